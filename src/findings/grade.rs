//! How much a finding matters on this target: its severity and the words that say why. One
//! place for every rule. A finding about a lock held while the statement worked through a
//! table (a scan, an index build, a rewrite, a validation) is graded by what that lock cost
//! here: what it blocks, how long the statement ran under it (measured), the table's size
//! on the target (rows from the statistics or a bounded count, bytes from
//! `pg_total_relation_size`; on a clone of staging's schema, staging's), the time estimated
//! for those rows at the rate measured here (rows per second; assumed where the statement had
//! too few rows to measure one, as on an empty clone), and the plan's
//! `execution.max_write_lock_ms`:
//!
//! - **information**: the table is empty, or tiny (under [`TINY_ROWS`] rows: the time measured
//!   is the statement's own cost, not the table's) and the lock stayed under the limit;
//! - **error**: the lock blocked the application, measured or estimated, for at least a
//!   quarter of the limit ([`ERROR_SHARE`]): staging measures a floor (production's table is
//!   as big or bigger, its server busier, and every write queued behind the lock waits as long);
//!   and on a table of [`LARGE_ROWS`] rows or more whatever the time here (how busy the
//!   machine was must not decide it);
//! - **warning**: in between, or the table's size is unknown here (an error if the time alone
//!   says so).
//!
//! A lock held for a measured time whatever the table's size (a lock kept while later statements
//! run, a lock held past the limit) is graded by that time ([`held`]); a compatibility finding
//! (a rename, a drop: the running application breaks at COMMIT) keeps the rule's severity
//! whatever the size ([`compatibility`]). Every grade says the figures it stands on.

use crate::run_result::FindingSeverity;

/// Below this many rows a table is tiny: what a statement measures on it is its own fixed
/// cost (catalog work, locking, planning), not a rate that grows with the table.
pub const TINY_ROWS: i64 = 10_000;

/// A lock that blocks the application for at least `max_write_lock_ms / ERROR_SHARE` is an
/// error: the time measured on staging is a floor of production's.
pub const ERROR_SHARE: f64 = 4.0;

/// From this many rows, a lock held while the statement works through the whole table is an
/// error whatever the time measured here: a quiet staging builds a 1,000,000-row index in a
/// quarter of a second (about 4 M rows/s on an idle 2-core machine, 0.7 M rows/s on the same
/// machine busy), so the time alone would call the same migration an error or not by how busy
/// the machine was; production's table is as big or bigger and its server busier.
pub const LARGE_ROWS: i64 = 1_000_000;

/// How [`scaled`] grades, in the words of the rules' catalogue (`severity`).
pub const SCALED_POLICY: &str = "graded on the target: information on an empty table, or a tiny one (under 10,000 rows) that stayed under the plan's max_write_lock_ms; an error on a table of 1,000,000 rows or more, or once the lock blocked the application, measured or estimated for the target's rows at the rate measured (assumed on a clone of staging's empty schema), for a quarter of that limit or more; a warning in between or when the size is unknown";

/// How [`held`] grades, in the words of the rules' catalogue.
pub const HELD_POLICY: &str = "graded by the time the lock was held here: an error from the plan's max_write_lock_ms (a warning on an empty table), a warning from a quarter of it, information below";

/// How [`compatibility`] grades, in the words of the rules' catalogue.
pub const COMPATIBILITY_POLICY: &str =
    "the rule's own severity whatever the table's size: the running application breaks at COMMIT";

/// The rate at which a table's rows are estimated to be worked through when none can be
/// measured here (a clone of staging's schema holds no row): an index build or a validating
/// scan of narrow rows runs at about a million rows a second (a `bigint` index on 1,000,000
/// rows: 650,000 to 1,200,000 rows/s on this project's shared 2-core machine, PostgreSQL 15);
/// wide rows, more indexes and a busy server are slower.
pub const ASSUMED_ROWS_PER_S: f64 = 1_000_000.0;

/// A relation's size on the target: rows (statistics, else a bounded count) and bytes (with
/// indexes and TOAST); `None` where it could not be read.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Size {
    pub rows: Option<i64>,
    pub bytes: Option<i64>,
}

/// A finding's severity and the words saying what it stands on.
#[derive(Debug, Clone, PartialEq)]
pub struct Grade {
    pub severity: FindingSeverity,
    pub text: String,
}

/// A lock held while the statement worked through the whole table for `ms` here, blocking
/// `blocks` ("writes", "reads and writes"): its cost grows with the table. `size` is the table
/// on the target; `here` the rows the statement worked through where it ran (`None`: as many),
/// fewer on a clone of staging's schema (empty). The time for the target's rows is estimated at
/// the rate measured here, rows per second, when the statement worked through enough rows to
/// measure one ([`TINY_ROWS`]); else at [`ASSUMED_ROWS_PER_S`], and the text says so.
pub fn scaled(size: Size, here: Option<i64>, ms: f64, blocks: &str, limit_ms: u64) -> Grade {
    let limit = limit_ms as f64;
    let error_ms = limit / ERROR_SHARE;
    let at = size_words(size);
    let worked = here.or(size.rows);
    let measured = match (worked, size.rows) {
        (Some(p), Some(n)) if p != n => format!("measured here {} on {}", ms_words(ms), rows_words(p)),
        _ => format!("measured here {}", ms_words(ms)),
    };
    let over = |severity: FindingSeverity, estimate: String, reach: String| Grade {
        severity,
        text: format!(
            "{}: {estimate}; {measured}; the plan allows {limit_ms} ms of a lock that blocks the application (max_write_lock_ms), an error from {}{reach}",
            severity.label(),
            ms_words(error_ms)
        ),
    };
    // Rows unknown on the target though known where the statements ran: a clone of staging's
    // schema, whose table staging never analyzed (its statistics say nothing, not 0).
    let unknown = match (here, size.bytes) {
        (Some(_), Some(b)) => {
            format!("rows unknown on staging ({}; never analyzed there: ANALYZE it to grade by its rows)", bytes_words(b))
        }
        (Some(_), None) => "rows unknown on staging (never analyzed there: ANALYZE it to grade by its rows)".to_owned(),
        (None, _) => "size unknown here".to_owned(),
    };
    match size.rows {
        None if ms >= error_ms => {
            over(FindingSeverity::Error, format!("{unknown}, {blocks} blocked {}", ms_words(ms)), String::new())
        }
        None => Grade {
            severity: FindingSeverity::Warning,
            text: format!("warning: {unknown}; {measured} of blocked {blocks}: the lock grows with the table"),
        },
        Some(0) => Grade {
            severity: FindingSeverity::Info,
            text: format!(
                "info: empty here ({measured}): nothing to scan; on a table with rows, {blocks} wait as long as the work on them"
            ),
        },
        Some(n) if n < TINY_ROWS && ms < limit => Grade {
            severity: FindingSeverity::Info,
            text: format!(
                "info: tiny here ({at}; {measured}, the statement's own cost more than the table's); on a table with rows, {blocks} wait as long as the work on them"
            ),
        },
        Some(n) if n < TINY_ROWS => over(
            FindingSeverity::Error,
            format!("{blocks} blocked {} on a tiny table ({at}): longer than its size explains", ms_words(ms)),
            String::new(),
        ),
        Some(n) => {
            let (rate, how) = match worked {
                Some(p) if p >= TINY_ROWS => (p as f64 / (ms / 1000.0).max(0.000_1), "the rate measured here".to_owned()),
                p => (
                    ASSUMED_ROWS_PER_S,
                    format!("an assumed rate (no rate can be measured on the {} worked here)", rows_words(p.unwrap_or(0))),
                ),
            };
            let estimate_ms = n as f64 / rate * 1000.0;
            let estimate =
                format!("~{} of blocked {blocks} estimated for {at} at {how} ({} rows/s)", ms_words(estimate_ms), approx(rate));
            let reach = format!(
                ": at this rate the limit is reached at ~{} rows, and 10 M rows take ~{}",
                approx(rate * limit / 1000.0),
                ms_words(10_000_000.0 / rate.max(1.0) * 1000.0)
            );
            let large = n >= LARGE_ROWS;
            let severity =
                if large || estimate_ms.max(ms) >= error_ms { FindingSeverity::Error } else { FindingSeverity::Warning };
            let reach = if large && estimate_ms.max(ms) < error_ms {
                format!("{reach}; a table of {} rows or more is an error whatever the time here", count(LARGE_ROWS))
            } else {
                reach
            };
            over(severity, estimate, reach)
        }
    }
}

/// A lock that blocked `blocks` for `ms` here, whatever the table's size (the time is not the
/// work on the table: later statements, a wait): an error at the plan's limit, a warning from
/// [`ERROR_SHARE`] of it, information below; an empty table is never an error.
pub fn held(size: Size, ms: f64, blocks: &str, limit_ms: u64) -> Grade {
    let limit = limit_ms as f64;
    let severity = if ms >= limit && size.rows != Some(0) {
        FindingSeverity::Error
    } else if ms >= limit / ERROR_SHARE {
        FindingSeverity::Warning
    } else {
        FindingSeverity::Info
    };
    Grade {
        severity,
        text: format!(
            "{}: {blocks} of {} blocked {} here; the plan allows {limit_ms} ms (max_write_lock_ms)",
            severity.label(),
            size_words(size),
            ms_words(ms)
        ),
    }
}

/// A finding that breaks the running application whatever the table's size: `severity` stands.
pub fn compatibility(size: Size, severity: FindingSeverity) -> Grade {
    Grade {
        severity,
        text: format!(
            "{} whatever the size ({} here): the application that runs breaks at COMMIT",
            severity.label(),
            size_words(size)
        ),
    }
}

/// "1 row", "1,000,000 rows".
fn rows_words(n: i64) -> String {
    if n == 1 { "1 row".to_owned() } else { format!("{} rows", count(n)) }
}

/// "1,000,000 rows, 86.5 MB", "6 rows", "size unknown".
pub fn size_words(size: Size) -> String {
    let rows = size.rows.map(rows_words);
    let bytes = size.bytes.map(bytes_words);
    match (rows, bytes) {
        (Some(r), Some(b)) => format!("{r}, {b}"),
        (Some(r), None) => r,
        (None, Some(b)) => b,
        (None, None) => "size unknown".into(),
    }
}

/// A figure to two significant digits, with its thousands marked: 655406.2 -> "660,000".
pub fn approx(x: f64) -> String {
    if x < 100.0 {
        return format!("{x:.0}");
    }
    let step = 10f64.powi(x.log10().floor() as i32 - 1);
    count(((x / step).round() * step) as i64)
}

/// 1234567 -> "1,234,567".
pub fn count(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

fn bytes_words(b: i64) -> String {
    let b = b as f64;
    if b >= 1_073_741_824.0 {
        format!("{:.1} GB", b / 1_073_741_824.0)
    } else if b >= 1_048_576.0 {
        format!("{:.1} MB", b / 1_048_576.0)
    } else {
        format!("{:.0} kB", b / 1024.0)
    }
}

/// "12.0 ms", "850 ms", "8.5 s", "2.1 min".
pub fn ms_words(ms: f64) -> String {
    if ms < 100.0 {
        format!("{ms:.1} ms")
    } else if ms < 1_000.0 {
        format!("{ms:.0} ms")
    } else if ms < 120_000.0 {
        format!("{:.1} s", ms / 1000.0)
    } else {
        format!("{:.1} min", ms / 60_000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use FindingSeverity::{Error, Info, Warning};

    fn rows(n: i64) -> Size {
        Size { rows: Some(n), bytes: Some(n * 90) }
    }

    /// Graded where the statement worked through the target's rows.
    fn scaled_here(size: Size, ms: f64, blocks: &str, limit_ms: u64) -> Grade {
        scaled(size, None, ms, blocks, limit_ms)
    }

    #[test]
    fn on_a_clone_of_stagings_schema_the_time_is_estimated_for_stagings_rows() {
        // 50,000,000 rows on staging, none in the clone: 12 ms measured there says nothing.
        let g = scaled(Size { rows: Some(50_000_000), bytes: Some(4_000_000_000) }, Some(0), 12.0, "writes", 1_000);
        assert_eq!(g.severity, Error, "{}", g.text);
        for part in [
            "error: ~50.0 s of blocked writes estimated for 50,000,000 rows, 3.7 GB at an assumed rate",
            "measured here 12.0 ms on 0 rows",
        ] {
            assert!(g.text.contains(part), "{part:?} in {}", g.text);
        }
        // A clone whose table holds enough rows to measure: its rate, applied to staging's rows.
        let g = scaled(rows(10_000_000), Some(100_000), 80.0, "writes", 1_000);
        assert_eq!(g.severity, Error, "{}", g.text);
        assert!(
            g.text.contains("~8.0 s of blocked writes estimated for 10,000,000 rows")
                && g.text.contains("at the rate measured here"),
            "{}",
            g.text
        );
        // Staging's table is tiny: information, whatever the clone held.
        assert_eq!(scaled(rows(6), Some(0), 12.0, "writes", 1_000).severity, Info);
    }

    #[test]
    fn on_a_clone_a_table_staging_never_analyzed_is_of_unknown_size_never_empty() {
        let g = scaled(Size { rows: None, bytes: Some(44_318_720) }, Some(0), 2.0, "writes", 1_000);
        assert_eq!(g.severity, Warning, "{}", g.text);
        assert!(g.text.contains("rows unknown on staging (42.3 MB; never analyzed there"), "{}", g.text);
        assert!(!g.text.contains("empty"), "{}", g.text);
        let slow = scaled(Size { rows: None, bytes: None }, Some(0), 400.0, "writes", 1_000);
        assert_eq!(slow.severity, Error, "{}", slow.text);
        assert!(slow.text.contains("rows unknown on staging (never analyzed"), "{}", slow.text);
    }

    #[test]
    fn the_same_lock_is_information_on_an_empty_or_tiny_table_and_an_error_on_a_big_one() {
        assert_eq!(scaled_here(rows(0), 3.0, "writes", 1_000).severity, Info);
        let tiny = scaled_here(rows(6), 12.0, "writes", 1_000);
        assert_eq!(tiny.severity, Info, "{}", tiny.text);
        assert!(tiny.text.contains("6 rows") && tiny.text.contains("12.0 ms"), "{}", tiny.text);
        let big = scaled_here(rows(1_000_000), 850.0, "writes", 1_000);
        assert_eq!(big.severity, Error, "{}", big.text);
        for part in [
            "error: ~850 ms of blocked writes estimated for 1,000,000 rows",
            "measured here 850 ms",
            "1000 ms",
            "max_write_lock_ms",
            "10 M rows take ~8.5 s",
        ] {
            assert!(big.text.contains(part), "{part:?} in {}", big.text);
        }
    }

    #[test]
    fn the_grade_follows_the_plans_limit() {
        // 100,000 rows in 60 ms: a warning under a 1 s limit, an error under 200 ms.
        assert_eq!(scaled_here(rows(100_000), 60.0, "writes", 1_000).severity, Warning);
        assert_eq!(scaled_here(rows(100_000), 60.0, "writes", 200).severity, Error);
        // A tiny table whose statement still ran past the limit is not waved through.
        assert_eq!(scaled_here(rows(6), 1_500.0, "writes", 1_000).severity, Error);
        // Unknown size: a warning, unless the time alone makes it an error.
        assert_eq!(scaled_here(Size::default(), 20.0, "writes", 1_000).severity, Warning);
        assert_eq!(scaled_here(Size::default(), 400.0, "writes", 1_000).severity, Error);
        // A large table is an error however fast this machine built it (a quiet one: 4 M rows/s).
        let large = scaled_here(rows(LARGE_ROWS), 238.0, "writes", 1_000);
        assert_eq!(large.severity, Error, "{}", large.text);
        assert!(large.text.contains("1,000,000 rows or more is an error whatever the time here"), "{}", large.text);
        assert_eq!(scaled_here(rows(LARGE_ROWS - 1), 238.0, "writes", 1_000).severity, Warning);
    }

    #[test]
    fn a_held_lock_is_graded_by_its_time_and_a_compatibility_finding_by_the_rule() {
        assert_eq!(held(rows(6), 1_200.0, "reads and writes", 1_000).severity, Error);
        assert_eq!(held(rows(0), 1_200.0, "reads and writes", 1_000).severity, Warning);
        assert_eq!(held(rows(6), 300.0, "reads and writes", 1_000).severity, Warning);
        assert_eq!(held(rows(1_000_000), 2.0, "reads and writes", 1_000).severity, Info);
        assert_eq!(compatibility(rows(0), Warning).severity, Warning);
        assert_eq!(compatibility(rows(1_000_000), Error).severity, Error);
    }

    #[test]
    fn figures_read_as_a_dba_writes_them() {
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(count(999), "999");
        assert_eq!(approx(655_406.2), "660,000");
        assert_eq!(approx(1_176_470.6), "1,200,000");
        assert_eq!(approx(42.4), "42");
        assert_eq!(size_words(Size { rows: Some(1_000_000), bytes: Some(90_734_592) }), "1,000,000 rows, 86.5 MB");
        assert_eq!(size_words(Size { rows: Some(1), bytes: None }), "1 row");
        assert_eq!(ms_words(8_500.0), "8.5 s");
    }
}
