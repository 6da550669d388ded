//! The lock rules' catalogue, run: each rule's bad example raises it and its good example does
//! not, on the catalogue's schema (tables of 10,000 rows, `Template::Rules`, built once), each
//! example in a database of its own, through a whole run as a plan would make it.

use pgstage::findings::catalogue;
use pgstage::findings::rules::ALL;
use pgstage::run_result::MigrationResult;

use crate::engine::{migration, plan_with, run};
use crate::staging::bare;
use crate::support::{Template, fresh_db};

/// Run `sql` as the one migration of a plan on a fresh copy of the catalogue's schema.
async fn apply_example(rule: &str, kind: &str, n: usize, sql: &str) -> MigrationResult {
    let dir = std::env::temp_dir().join(format!("pgstage_rules_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("960_{rule}_{kind}_{n}.sql"));
    std::fs::write(&file, sql).unwrap();
    let non_transactional =
        pgstage::db::split::split(sql).unwrap().iter().any(|s| s.non_transactional.is_some());
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
            (raised != want).then(|| {
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
