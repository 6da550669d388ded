//! The checks a run-book states: its verification items, each migration's "Expected: N tables
//! created", the schema's counts (one check per count, however often stated) and the baseline's.

use super::*;

pub(super) fn check(id: String, group: &str, title: &str, probe: Probe, expect: Expect) -> Check {
    Check {
        id,
        title: title.to_owned(),
        group: group.to_owned(),
        probe,
        expect,
        on_miss: Severity::Fail,
        invariant: false,
        after: None,
    }
}

pub(super) fn tables_sql(tables: &[String], extra: &str) -> String {
    let list = tables.iter().map(|t| quote_literal(t)).collect::<Vec<_>>().join(", ");
    format!(
        "SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r'{extra} AND c.relname IN ({list})"
    )
}

/// A migration's "Expected: N tables created": how many of the tables it announces exist
/// after the batch. A line about a migration that names no tables is listed as unmapped.
pub(super) fn table_counts(book: &mut RunBook, plan: &mut Plan, contradictions: &mut Vec<String>) {
    for (id, n, line) in book.table_counts.clone() {
        let m = plan.migrations.iter().find(|m| crate::db::layout::same_version(&m.id, &id));
        let why = match m {
            None => Some(format!("\"{n} tables created\" for migration {id}, which the run-book does not run")),
            Some(m) if m.creates.tables.is_empty() => {
                Some(format!("the run-book names no tables for migration {}: the {n} tables cannot be counted", m.id))
            }
            Some(_) => None,
        };
        if let Some(why) = why {
            if let Some(entry) = book.mapping.get_mut(line - 1) {
                entry.to = Target::Unmapped(why);
            }
            continue;
        }
        let Some(m) = m else { continue };
        let tables = &m.creates.tables;
        if tables.len() as i64 != n {
            contradictions.push(format!(
                "line {line} expects {n} tables created by migration {}, which announces {} ({})",
                m.id,
                tables.len(),
                tables.join(", ")
            ));
        }
        let title = format!("Migration {}: {n} tables created ({})", m.id, tables.join(", "));
        let c = check(format!("V-{}-TABLES", m.id), &m.id, &title, Probe::Sql(tables_sql(tables, "")), Expect::Equals(n));
        if !plan.verification.iter().any(|v| v.id == c.id) {
            plan.verification.push(c);
        }
    }
}

/// The run-book's verification items, read from pg_catalog.
pub(super) fn verification(book: &RunBook) -> Vec<Check> {
    book.items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let id = format!("V{:02}", i + 1);
            let (probe, expect) = match (&item.function, item.tables.as_slice()) {
                (Some(f), _) => (
                    format!(
                        "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public' AND p.proname = {})",
                        quote_literal(f)
                    ),
                    Expect::True,
                ),
                (None, [t]) => (format!("SELECT to_regclass({}) IS NOT NULL", quote_literal(&format!("public.{t}"))), Expect::True),
                (None, ts) => (tables_sql(ts, ""), Expect::Equals(ts.len() as i64)),
            };
            check(id, &item.group, &item.title, Probe::Sql(probe), expect)
        })
        .collect()
}

fn metric(what: Figured) -> Metric {
    match what {
        Figured::Tables => Metric::Tables,
        Figured::NewTables => Metric::NewTables,
        Figured::ForeignKeys => Metric::ForeignKeys,
        Figured::Policies => Metric::Policies,
        Figured::Indexes => Metric::Indexes,
        Figured::NewFunctions => Metric::NewFunctions,
        Figured::NewForeignKeys => Metric::NewForeignKeys,
        Figured::NewPolicies => Metric::NewPolicies,
        Figured::NewIndexes => Metric::NewIndexes,
        Figured::DatabaseSizeMb => Metric::DatabaseSizeMb,
    }
}

fn threshold(f: &Figure) -> Expect {
    if f.at_least { Expect::AtLeast(f.value) } else { Expect::Equals(f.value) }
}

/// The schema-summary check of a count the run-book states (one check per count, however
/// often it is stated): its id.
pub(super) fn counted(summary: &mut Vec<Check>, f: &Figure) -> String {
    let (probe, expect) = (Probe::Metric(metric(f.what)), threshold(f));
    if let Some(c) = summary.iter_mut().find(|c| c.probe == probe && c.expect == expect) {
        // The wording that says what is new ("33+ total (18 + 15 new)") is the one to review.
        if f.title.contains(" new") && !c.title.contains(" new") {
            c.title = f.title.clone();
        }
        return c.id.clone();
    }
    let base = format!("S-{:?}", f.what).to_uppercase();
    let id =
        (1..).map(|i| if i == 1 { base.clone() } else { format!("{base}-{i}") }).find(|id| !summary.iter().any(|c| &c.id == id));
    let id = id.unwrap_or(base);
    summary.push(check(id.clone(), "summary", &f.title, probe, expect));
    id
}

/// Counts of the same thing the run-book gives twice, that cannot both hold.
pub(super) fn counts_disagree(figures: &[&Figure]) -> Vec<String> {
    let mut out = Vec::new();
    for (i, a) in figures.iter().enumerate() {
        for b in &figures[..i] {
            let clash = a.what == b.what
                && match (a.at_least, b.at_least) {
                    (false, false) => a.value != b.value,
                    (false, true) => a.value < b.value,
                    (true, false) => b.value < a.value,
                    (true, true) => false,
                };
            if clash && !out.iter().any(|o: &String| o.contains(&format!("\"{}\"", a.title))) {
                out.push(format!(
                    "line {} says \"{}\", line {} says \"{}\": both are checked, one must fail",
                    b.line, b.title, a.line, a.title
                ));
            }
        }
    }
    out
}

pub(super) fn preflight(book: &RunBook, plan: &mut Plan) {
    let p = &mut plan.preflight;
    p.manual = book
        .manual
        .iter()
        .enumerate()
        .map(|(i, t)| ManualItem { id: format!("MI-{:02}", i + 1), title: t.clone(), owner: String::new() })
        .collect();
    let mut seen = std::collections::HashSet::new();
    let baseline = |f: &&Figure| {
        matches!(f.what, Figured::Tables | Figured::ForeignKeys | Figured::Policies | Figured::Indexes | Figured::DatabaseSizeMb)
    };
    for f in book.initial.iter().filter(baseline).filter(|f| seen.insert(f.what)) {
        let (expect, on_miss) = match f.what {
            // Staging's size, not a sandbox's: only a warning.
            Figured::DatabaseSizeMb => (Expect::About { value: f.value as f64, tolerance_pct: 25.0 }, Severity::Warn),
            _ if f.at_least => (Expect::AtLeast(f.value), Severity::Fail),
            _ => (Expect::Equals(f.value), Severity::Fail),
        };
        let id = format!("PF-{:?}", f.what).to_uppercase();
        let mut c = check(id, "baseline", &f.title, Probe::Metric(metric(f.what)), expect);
        c.on_miss = on_miss;
        p.checks.push(c);
    }
    for s in &book.safety {
        let (id, title, m, expect, on_miss) = match *s {
            "connections" => (
                "PF-CONNECTIONS",
                "Active connections: confirm low traffic",
                Metric::ActiveConnections,
                Expect::AtMost(20),
                Severity::Warn,
            ),
            "replication" => {
                ("PF-REPLICATION", "Replication lag: 0 seconds", Metric::ReplicationLagSeconds, Expect::AtMost(0), Severity::Fail)
            }
            _ => continue,
        };
        let mut c = check(id.into(), "safety", title, Probe::Metric(m), expect);
        c.on_miss = on_miss;
        p.checks.push(c);
    }
    let tables: Vec<String> = plan.migrations.iter().flat_map(|m| m.creates.tables.clone()).collect();
    if !tables.is_empty() {
        let title = format!("None of the {} new tables exists yet", tables.len());
        p.checks.push(check("PF-NEW-ABSENT".into(), "safety", &title, Probe::Sql(tables_sql(&tables, "")), Expect::Equals(0)));
    }
}
