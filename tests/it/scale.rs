//! A staging with thousands of tables the plan never touches: the run reads only what the plan
//! covers (its schemas, what reaches into them, schemas its migrations make), never the rest.

use pgstage::db::snapshot::{Kind, Snapshot};
use pgstage::run_result::MigrationStatus;

use crate::engine::{migration, plan_with, run};
use crate::support::{Template, fresh_db};

/// 20 schemas of 100 tables, each with a primary key, an index and a foreign key to the one
/// before it; and one table outside whose foreign key points into the plan's schema.
const OTHER_TABLES: &str = "DO $$
BEGIN
  FOR s IN 1..20 LOOP
    EXECUTE format('CREATE SCHEMA tenant_%s', s);
    FOR t IN 1..100 LOOP
      EXECUTE format('CREATE TABLE tenant_%s.t_%s (id bigint PRIMARY KEY, name text NOT NULL, parent bigint %s)', s, t,
                     CASE WHEN t > 1 THEN format('REFERENCES tenant_%s.t_%s', s, t - 1) ELSE '' END);
      EXECUTE format('CREATE INDEX ON tenant_%s.t_%s (name)', s, t);
    END LOOP;
  END LOOP;
END
$$;
CREATE SCHEMA partner;
CREATE TABLE partner.links (id int PRIMARY KEY, workspace_id uuid REFERENCES public.workspaces (id));
ANALYZE;";

#[tokio::test]
async fn among_2000_other_tables_the_run_reads_only_the_plans_schemas_and_a_new_one() {
    let db = fresh_db(Template::Baseline).await;
    db.client.batch_execute(OTHER_TABLES).await.unwrap();
    let plan = plan_with(|p| {
        let mut m = migration("950", "tests/fixtures/sql/950_new_schema.sql");
        m.creates.tables = vec!["daily".into()];
        p.migrations.push(m);
        p.rollback = None;
    });
    let result = run(plan, &db).await;
    let added = result.migrations.last().unwrap();
    assert_eq!(added.status, MigrationStatus::Applied, "{:?}", added.error);

    // The baseline snapshot the run took (and recorded in the ledger).
    let recorded: String = db.client.query_one("SELECT snapshot::text FROM pgstage.baseline", &[]).await.unwrap().get(0);
    let baseline: Snapshot = serde_json::from_str(&recorded).unwrap();
    let outside: Vec<&String> = Kind::ALL.iter().flat_map(|&k| baseline.names(k)).filter(|n| n.starts_with("tenant_")).collect();
    assert!(outside.is_empty(), "the run read {} objects of other schemas, e.g. {:?}", outside.len(), outside.first());
    assert_eq!(baseline.count(Kind::Table, "public"), 43);
    assert!(
        baseline.names(Kind::ForeignKey).any(|n| n == "partner.links.links_workspace_id_fkey"),
        "a foreign key from outside into the plan's schema is read"
    );

    // The schema the migration made (its name spelled nowhere in its SQL) is covered: its table
    // and index appear in the migration's diff.
    assert_eq!(added.created.get("tables"), Some(&vec!["reporting.daily".to_owned()]), "{:?}", added.created);
    assert!(
        added.created.get("indexes").is_some_and(|i| i.iter().any(|n| n == "reporting.daily_workspace")),
        "{:?}",
        added.created
    );
    assert!(added.object_mismatches.is_empty(), "{:?}", added.object_mismatches);
}
