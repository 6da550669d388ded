//! Checks proven able to fail: every verification and schema-summary check also runs on the
//! baseline state (before the migrations, and after the rollback rehearsal); one that passes
//! there too cannot tell a migrated database from an unmigrated one and is flagged, unless the
//! plan marks it an invariant.

use pgstage::plan::{Check, Expect, Probe, Severity};
use pgstage::run_result::Able;

use crate::engine::{plan_with, run};
use crate::support::{Template, fresh_db};

fn always_true(invariant: bool) -> Check {
    Check {
        id: "V-USERS".into(),
        title: "users table exists".into(),
        group: "013".into(),
        probe: Probe::Sql("SELECT to_regclass('public.users') IS NOT NULL".into()),
        expect: Expect::True,
        on_miss: Severity::Fail,
        invariant,
        after: None,
    }
}

#[tokio::test]
async fn a_check_that_passes_on_the_baseline_is_flagged_unless_it_is_an_invariant() {
    for invariant in [false, true] {
        let db = fresh_db(Template::Baseline).await;
        let r = run(plan_with(|p| p.verification.push(always_true(invariant))), &db).await;
        let of = |id: &str| r.sensitivity.iter().find(|s| s.id == id).unwrap_or_else(|| panic!("no {id}"));
        let users = of("V-USERS");
        assert_eq!(users.on_baseline.len(), 2, "before the migrations and after the rollback: {users:?}");
        assert_eq!(users.verdict, if invariant { Able::Invariant } else { Able::Insensitive });
        // The plan's own checks fail on the baseline: 16 tables, 59 tables, 12 functions…
        for id in ["V01", "V16", "S-TABLES", "S-NEW-TABLES", "S-FUNCTIONS"] {
            assert_eq!(of(id).verdict, Able::ShownAbleToFail, "{id}: {:?}", of(id));
        }
        assert!(r.verdict.able_to_fail.contains("24 verification and schema checks"), "{}", r.verdict.able_to_fail);
        assert_eq!(r.verdict.able_to_fail.contains("insensitive: V-USERS"), !invariant, "{}", r.verdict.able_to_fail);
        let md = pgstage::report::render_with(&r, &[], pgstage::report::Format::Markdown);
        assert!(md.contains("Checks proven able to fail"));
        assert!(r.verdict.go, "a flag, not a blocker: {:?}", r.verdict.reasons);
    }
}
