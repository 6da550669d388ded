//! What a draft asks a DBA to review, end to end (`init`, `check`, `check --rehearse`, `run
//! --sandbox`): checks of what the batch altered (columns, constraints, replaced functions),
//! following what it finally leaves (an index renamed by `UNIQUE USING INDEX`); the losses it
//! causes drafted as declarations whose reasons must be written; lint and rehearsal agreeing.

use std::path::Path;

use pgstage::plan::{self, Expect, Loss, Probe};

use crate::draft::{pgstage, runs_go_on_a_sandbox, scratch, text};

/// `pgstage init` of a fixture folder into a scratch directory: the plan's path and the output.
fn init(folder: &str, extra: &[&str]) -> (std::path::PathBuf, String) {
    let dir = scratch(&format!("review-{folder}"));
    let plan = dir.join("next.ron");
    let fixture = format!("tests/fixtures/init/{folder}");
    let mut args = vec!["init", fixture.as_str(), "-o", plan.to_str().unwrap()];
    args.extend(extra);
    let out = pgstage(&args);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("the draft, rehearsed on the sandbox: GO"), "{all}");
    (plan, all)
}

fn check(plan: &Path, extra: &[&str]) -> (Option<i32>, String) {
    let mut args = vec!["check", plan.to_str().unwrap()];
    args.extend(extra);
    let out = pgstage(&args);
    (out.status.code(), text(&out))
}

#[test]
fn init_checks_what_the_batch_altered_and_drafts_its_losses_for_review() {
    let (path, out) = init("altered", &["--from", "2"]);
    // The losses: drafted, with a reason to write; the plan does not load until then.
    assert!(out.contains("before the plan runs, write the reason of each loss drafted from the rehearsal (2;"), "{out}");
    let (code, all) = check(&path, &[]);
    assert_eq!(code, Some(2), "{all}");
    for field in ["migrations[2].data_loss[0].reason", "migrations[2].data_loss[1].reason"] {
        let at = all.lines().find(|l| l.contains(&format!("in `{field}`: the reason for this loss")));
        assert!(at.is_some_and(|l| l.trim_start().contains("next.ron:")), "{field} at file:line:col: {all}");
    }
    let drafted = std::fs::read_to_string(&path).unwrap();
    let written = drafted.replace(pgstage::plan::DeclaredLoss::UNWRITTEN, "coupons and the legacy codes are retired (ticket 42)");
    std::fs::write(&path, &written).unwrap();
    let (code, all) = check(&path, &[]);
    assert_eq!(code, Some(0), "{all}");
    assert!(all.ends_with("plan OK\n"), "lint agrees with the draft (coupons dropped is not counted): {all}");

    let loaded = plan::load(&path).unwrap();
    let p = &loaded.plan;
    let losses: Vec<(&str, &Loss)> = p.migrations[2].data_loss.iter().map(|d| (d.table.as_str(), &d.what)).collect();
    assert_eq!(losses, [("coupons", &Loss::DropTable), ("orders", &Loss::DropColumn("legacy_code".into()))]);
    assert!(p.migrations.iter().all(|m| m.expected_ms.is_some_and(|r| r.min() == 0)), "ranges generous below");
    let checks: Vec<(&str, &Expect)> = p.verification.iter().map(|c| (c.title.as_str(), &c.expect)).collect();
    let text_of = |title: &str| match checks.iter().find(|(t, _)| *t == title) {
        Some((_, Expect::Text(t))) => t.clone(),
        other => panic!("{title}: {other:?} among {checks:#?}"),
    };
    assert_eq!(
        text_of("column orders.placed_at: timestamp with time zone not null default now()"),
        "timestamp with time zone not null default now()"
    );
    assert_eq!(text_of("column orders.total: bigint"), "bigint", "the type changed and NOT NULL dropped, as finally left");
    assert_eq!(text_of("constraint orders_total_positive on orders"), "CHECK ((total >= 0))");
    assert_eq!(text_of("constraint orders_id_status_key on orders"), "UNIQUE (id, status)");
    assert_eq!(text_of("function order_label(o orders) replaced: its body as rehearsed (md5)").len(), 32);
    assert_eq!(text_of("view open_orders replaced: its definition as rehearsed (md5)").len(), 32);
    let title = "enum order_state has the values new, cancelled, paid, refunded (new: cancelled, refunded)";
    assert_eq!(text_of(title), "new, cancelled, paid, refunded", "in order, BEFORE 'paid' included");
    assert!(p.verification.iter().any(|c| c.title == title && c.group == "000003"), "with the last migration naming a new value");
    assert!(!checks.iter().any(|(t, _)| t.contains("orders_id_status_idx")), "the renamed index is not checked: {checks:#?}");
    assert!(written.contains("\"index orders_id_status_idx exists\" does not hold once the batch is done"), "{written}");
    assert!(
        p.verification
            .iter()
            .all(|c| c.group != "000003" || !matches!(c.probe, Probe::Sql(ref s) if s.contains("orders_id_status_idx"))),
        "{checks:#?}"
    );
    assert!(
        out.contains("000002 order columns: ")
            && out.contains("created 1 other constraint, 1 NOT NULL constraint; altered: 1 table, 1 function"),
        "what each migration altered is reported: {out}"
    );
    let report = path.with_extension("md");
    let state = scratch("review-state");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_pgstage"))
        .args(["run", path.to_str().unwrap(), "--sandbox", "--ack-all", "--report", report.to_str().unwrap()])
        .current_dir(crate::support::root())
        .env("PGSTAGE_STATE_DIR", &state)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0), "GO: {}", text(&run));
    let md = std::fs::read_to_string(&report).unwrap();
    let line = |id: &str| md.lines().find(|l| l.starts_with(&format!("- **{id}**: "))).unwrap_or_default();
    assert!(line("000002").contains("rewritten") && line("000002").ends_with("; definition altered"), "{md}");
    assert!(line("000004").contains("column legacy_code dropped") && line("000004").ends_with("; definition altered"), "{md}");
    assert!(md.contains("altered: 1 table, 1 function, 1 view"), "{md}");

    // Without the declaration of coupons, the rehearsal is NO-GO: check --rehearse says so.
    let undeclared = written.replacen("DropTable", "DropColumn(\"nothing\")", 1);
    std::fs::write(&path, undeclared).unwrap();
    let (code, all) = check(&path, &["--rehearse"]);
    assert_ne!(code, Some(0), "{all}");
    assert!(!all.contains("plan OK"), "{all}");
    assert!(all.contains("NO-GO") && all.contains("coupons"), "the reason: {all}");
}

#[test]
fn init_of_a_batch_outside_public_counts_each_schema_it_touches() {
    let (path, out) = init("schemas", &["--from", "002"]);
    let (code, all) = check(&path, &["--rehearse"]);
    assert_eq!(code, Some(0), "{all}");
    assert!(all.contains(", GO\n") && all.ends_with("plan OK\n"), "{all}");
    let p = plan::load(&path).unwrap().plan;
    assert_eq!(p.baseline.schema, "auth", "the schema the batch touches most, public being left alone: {out}");
    assert_eq!(p.migrations[0].creates.tables, ["sessions"]);
    assert_eq!(p.migrations[0].creates.functions, ["session_valid"]);
    assert_eq!(p.migrations[1].creates.tables, ["registry.versions"], "another schema's table, qualified");
    let titles = |checks: &[plan::Check]| checks.iter().map(|c| c.title.clone()).collect::<Vec<_>>();
    let (pre, summary, verification) = (titles(&p.preflight.checks), titles(&p.schema_summary), titles(&p.verification));
    for t in ["Baseline: 1 tables", "Baseline: 1 tables in registry"] {
        assert!(pre.contains(&t.to_owned()), "{t}: {pre:?}");
    }
    for t in ["Tables: 2", "Tables in registry: 2", "New tables: 1"] {
        assert!(summary.contains(&t.to_owned()), "{t}: {summary:?}");
    }
    for t in [
        "table sessions exists",
        "function session_valid exists",
        "index sessions_user_idx exists",
        "table registry.versions exists",
        "column registry.packages.deprecated: boolean not null default false",
    ] {
        assert!(verification.contains(&t.to_owned()), "{t}: {verification:?}");
    }
    let rollback = titles(&p.rollback.as_ref().unwrap().checks);
    assert!(rollback.contains(&"Back to 1 tables in registry".to_owned()), "{rollback:?}");
    runs_go_on_a_sandbox(&path);

    let (path, out) = init("schemas", &["--from", "002", "--schema", "registry"]);
    let p = plan::load(&path).unwrap().plan;
    assert_eq!(p.baseline.schema, "registry", "{out}");
    assert_eq!(p.migrations[0].creates.tables, ["auth.sessions"]);
    assert_eq!(p.migrations[1].creates.tables, ["versions"]);
    assert!(titles(&p.schema_summary).contains(&"Tables in auth: 2".to_owned()), "{:?}", p.schema_summary);
}
