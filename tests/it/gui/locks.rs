//! The window's Locks tab, driven through the real UI: after the bundled plan's run, the
//! foreign keys' SHARE ROW EXCLUSIVE locks on the tables they reference are listed with the
//! statements that took them, sort by how long they were held, and the timeline is drawn.

use egui_kittest::kittest::Queryable;

use super::{harness, run_all_until_verdict, tick_manual_items};
use crate::support::path;

#[test]
fn the_locks_tab_lists_the_week2_foreign_key_locks_and_sorts_them() {
    let mut h = harness(path("plans/week2_staging.ron"), None);
    h.step();
    tick_manual_items(&mut h);
    run_all_until_verdict(&mut h);
    h.get_by_label("Locks").click();
    h.run_steps(3);
    for table in ["public.workspaces (table)", "public.users (table)", "public.moves (table)", "public.projects (table)"] {
        assert!(h.query_all_by_label(table).next().is_some(), "{table} is listed");
    }
    assert!(h.query_all_by_label("ShareRowExclusiveLock").next().is_some());
    assert!(h.query_by_label_contains("Lock timeline").is_some());
    assert!(
        h.query_by_label_contains("Findings: 0 errors, 0 warnings, 0 information, 12 accepted").is_some(),
        "the findings' summary: 7 foreign keys without an index, 5 migrations that set no lock_timeout, each accepted by the plan with its reason"
    );
    h.get_by_label("Held (ms)").click();
    h.run_steps(2);
    let held: Vec<f64> = {
        let app = h.state();
        let all: Vec<f64> =
            app.run.migrations.iter().flat_map(|m| m.trace.iter().flat_map(|t| t.locks.iter().map(|l| l.held_ms))).collect();
        app.locks.table.order().iter().map(|&i| all[i]).collect()
    };
    assert!(held.len() > 4 && held.windows(2).all(|w| w[0] <= w[1]), "{held:?}");
}
