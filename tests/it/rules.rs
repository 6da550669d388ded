//! The lock rules' catalogue, run: each rule's bad example raises it and its good example does
//! not, on the catalogue's schema (tables of 10,000 rows, `Template::Rules`, built once), each
//! example in a database of its own, through a whole run as a plan would make it; every
//! example must apply (one that fails proves nothing).

use pgstage::findings::catalogue;
use pgstage::findings::rules::ALL;
use pgstage::run_result::{MigrationResult, MigrationStatus};

use crate::engine::{migration, plan_with, run};
use crate::staging::bare;
use crate::support::{Template, fresh_db};

/// Run `sql` as the one migration of a plan on a fresh copy of the catalogue's schema.
async fn apply_example(rule: &str, kind: &str, n: usize, sql: &str) -> MigrationResult {
    let dir = std::env::temp_dir().join(format!("pgstage_rules_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("960_{rule}_{kind}_{n}.sql"));
    std::fs::write(&file, sql).unwrap();
    let non_transactional = pgstage::db::split::split(sql).unwrap().iter().any(|s| s.non_transactional.is_some());
    let plan = plan_with(|p| {
        bare(p);
        let mut m = migration("960", "Cargo.toml");
        m.file = file.clone();
        m.non_transactional = non_transactional;
        p.migrations = vec![m];
    });
    let db = fresh_db(Template::Rules).await;
    let mut result = run(plan, &db).await;
    result.migrations.remove(0)
}

/// Examples run at once: each in a database of its own, so they cannot meet; the server's
/// cores are the limit.
const AT_ONCE: usize = 4;

#[tokio::test]
async fn each_rules_bad_example_raises_it_and_its_good_example_does_not() {
    use futures_util::stream::{self, StreamExt};
    let mut cases = Vec::new();
    for rule in ALL {
        let doc = catalogue::doc(rule.id);
        for (kind, examples, want) in [("bad", doc.bad, true), ("good", doc.good, false)] {
            for (n, sql) in examples.iter().enumerate() {
                cases.push((rule.id, kind, n, *sql, want));
            }
        }
    }
    let wrong: Vec<String> = stream::iter(cases)
        .map(|(id, kind, n, sql, want)| async move {
            let m = apply_example(id.as_str(), kind, n, sql).await;
            let raised = m.findings.iter().any(|f| f.rule == id);
            // An example that fails proves nothing either way: each must apply.
            let applied = m.status == MigrationStatus::Applied;
            (raised != want || !applied).then(|| {
                format!(
                    "{id}: its {kind} example {n} {} it ({:?}{}):\n{sql}\nfindings: {:#?}",
                    if raised { "raises" } else { "does not raise" },
                    m.status,
                    m.error.as_ref().map(|e| format!(": {e}")).unwrap_or_default(),
                    m.findings.iter().map(|f| format!("{} {}: {}", f.rule, f.relation, f.message)).collect::<Vec<_>>()
                )
            })
        })
        .buffer_unordered(AT_ONCE)
        .filter_map(|w| async move { w })
        .collect()
        .await;
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}

/// The safe patterns the linters recommend, each step a migration of its own as a careful team
/// writes them (each file sets its `lock_timeout`), run as one plan on tables of 10,000 rows:
/// no rule raises anything, and `varchar(n)` → `text` rewrites nothing (measured).
#[tokio::test]
async fn the_safe_patterns_the_linters_recommend_raise_nothing() {
    let timeout = "SET lock_timeout = '2s';\n";
    let steps = [
        "ALTER TABLE public.orders ADD CONSTRAINT orders_total_positive CHECK (total >= 0) NOT VALID;",
        "ALTER TABLE public.orders VALIDATE CONSTRAINT orders_total_positive;",
        "ALTER TABLE public.shipments ADD CONSTRAINT shipments_order_fk FOREIGN KEY (order_id) REFERENCES public.orders (id) NOT VALID;",
        "ALTER TABLE public.shipments VALIDATE CONSTRAINT shipments_order_fk;",
        "CREATE UNIQUE INDEX CONCURRENTLY customers_name_idx ON public.customers (name);",
        "ALTER TABLE public.customers ADD CONSTRAINT customers_name_key UNIQUE USING INDEX customers_name_idx;",
        "ALTER TABLE public.customers ADD CONSTRAINT customers_email_present CHECK (email IS NOT NULL) NOT VALID;",
        "ALTER TABLE public.customers VALIDATE CONSTRAINT customers_email_present;",
        "ALTER TABLE public.customers ALTER COLUMN email SET NOT NULL;",
        "ALTER TABLE public.customers DROP CONSTRAINT customers_email_present;",
        "ALTER TABLE public.customers ADD COLUMN tier integer NOT NULL DEFAULT 1;",
        "ALTER TABLE public.customers ALTER COLUMN name TYPE text;",
    ];
    let dir = std::env::temp_dir().join(format!("pgstage_safe_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let plan = plan_with(|p| {
        bare(p);
        p.migrations = steps
            .iter()
            .enumerate()
            .map(|(i, sql)| {
                let concurrently = sql.contains("CONCURRENTLY");
                let file = dir.join(format!("{}_step.sql", 970 + i));
                std::fs::write(&file, if concurrently { sql.to_string() } else { format!("{timeout}{sql}") }).unwrap();
                let mut m = migration(&format!("{}", 970 + i), "Cargo.toml");
                m.file = file;
                m.non_transactional = concurrently;
                m
            })
            .collect();
    });
    let db = fresh_db(Template::Rules).await;
    let r = run(plan, &db).await;
    for (m, sql) in r.migrations.iter().zip(steps) {
        assert_eq!(m.status, MigrationStatus::Applied, "{sql}: {:?}", m.error);
        let found: Vec<String> = m.findings.iter().map(|f| format!("{} {}: {}", f.rule, f.relation, f.message)).collect();
        assert!(found.is_empty(), "{sql}\nraised {found:#?}");
    }
    let to_text = r.migrations.last().unwrap();
    assert!(to_text.trace.iter().all(|t| t.rewrote.is_empty()), "varchar(n) → text rewrote: {:#?}", to_text.trace);
    assert!(to_text.data.tables.iter().all(|t| !t.rewritten), "{:#?}", to_text.data);
}
