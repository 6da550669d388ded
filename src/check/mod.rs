//! Checks: running a probe (SQL in a read-only or always-rolled-back transaction, an object
//! count from the catalog snapshot, or a database figure) and judging what it returned against
//! the expectation.
//! Integrity (constraints, orphans, data loss, privileges of new objects), RLS isolation and
//! index-usage checks live in the submodules.

pub mod data_loss;
pub mod drift;
pub mod integrity;
pub mod performance;
pub mod privileges;
pub mod rls;

use std::time::Instant;

use tokio_postgres::{Client, SimpleQueryMessage};

use crate::db::figures::{self, Replication};
use crate::db::snapshot::{Kind, Snapshot};
use crate::db::{self, DbError, split};
use crate::plan::{Check, Expect, Metric, Probe, Severity};
use crate::run_result::{CheckResult, Status};

/// What a probe saw.
#[derive(Debug, Clone, PartialEq)]
pub enum Observed {
    /// First column of the first row (None: no row, or NULL), and the number of rows.
    Value { value: Option<String>, rows: u64 },
    /// The SQL failed with this SQLSTATE and message.
    Error { code: String, message: String },
    /// The figure does not apply here (e.g. replication lag without replicas).
    NotApplicable(String),
}

/// How the SQL of a check runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxMode {
    /// `BEGIN READ ONLY … COMMIT`: verification, integrity, performance.
    ReadOnly,
    /// `BEGIN … ROLLBACK`, always: sample data, RLS. Staging keeps no test rows.
    RolledBack,
}

/// Run `sql` (one or more statements; the last one's result counts) in a transaction of
/// `mode`, with a statement timeout.
pub async fn run_sql(client: &Client, sql: &str, mode: TxMode, statement_timeout_ms: u64) -> Result<Observed, DbError> {
    let statements = split::split(sql).map_err(|e| DbError::Query(format!("check SQL: {e}")))?;
    let begin = match mode {
        TxMode::ReadOnly => "BEGIN READ ONLY",
        TxMode::RolledBack => "BEGIN",
    };
    client
        .batch_execute(&format!("{begin}; SET LOCAL statement_timeout = {statement_timeout_ms}"))
        .await
        .map_err(DbError::query)?;
    let mut observed = Observed::Value { value: None, rows: 0 };
    for statement in &statements {
        match client.simple_query(&statement.sql).await {
            Ok(messages) => observed = first_value(&messages),
            Err(e) => {
                observed = match e.as_db_error() {
                    Some(db) => Observed::Error { code: db.code().code().to_owned(), message: db::describe(&e) },
                    None => {
                        let _ = client.batch_execute("ROLLBACK").await;
                        return Err(DbError::query(e));
                    }
                };
                break;
            }
        }
    }
    let end = match (mode, &observed) {
        (TxMode::ReadOnly, Observed::Value { .. }) => "COMMIT",
        _ => "ROLLBACK",
    };
    client.batch_execute(end).await.map_err(DbError::query)?;
    Ok(observed)
}

fn first_value(messages: &[SimpleQueryMessage]) -> Observed {
    let mut value = None;
    let mut rows = 0;
    for m in messages {
        if let SimpleQueryMessage::Row(row) = m {
            if rows == 0 {
                value = row.get(0).map(str::to_owned);
            }
            rows += 1;
        }
    }
    Observed::Value { value, rows }
}

/// The object kind a metric counts, and whether it counts only the objects new since the
/// baseline; `None` for figures that are not object counts (size, connections, lag).
pub fn counted(metric: Metric) -> Option<(Kind, bool)> {
    Some(match metric {
        Metric::Tables => (Kind::Table, false),
        Metric::ForeignKeys => (Kind::ForeignKey, false),
        Metric::Policies => (Kind::Policy, false),
        Metric::Indexes => (Kind::Index, false),
        Metric::Functions => (Kind::Function, false),
        Metric::Triggers => (Kind::Trigger, false),
        Metric::Views => (Kind::View, false),
        Metric::Sequences => (Kind::Sequence, false),
        Metric::NewTables => (Kind::Table, true),
        Metric::NewForeignKeys => (Kind::ForeignKey, true),
        Metric::NewPolicies => (Kind::Policy, true),
        Metric::NewIndexes => (Kind::Index, true),
        Metric::NewFunctions => (Kind::Function, true),
        Metric::NewTriggers => (Kind::Trigger, true),
        Metric::DatabaseSizeMb | Metric::ActiveConnections | Metric::ReplicationLagSeconds => return None,
    })
}

/// What a check runs against.
pub struct Context<'a> {
    pub client: &'a Client,
    /// Statement timeout for a check's SQL, ms.
    pub statement_timeout_ms: u64,
    /// The catalog now, and at the baseline (for the `New*` metrics; `None` when the
    /// baseline is unknown: earlier migrations applied with nothing recorded before them).
    pub now: &'a Snapshot,
    pub baseline: Option<&'a Snapshot>,
    /// The plan's schema, where objects are counted.
    pub schema: &'a str,
    /// Process ids of the runner's other connections, not counted as other sessions.
    pub own_sessions: &'a [i32],
    /// The database's size, asked ahead beside the pre-flight (`None` after it: a size asked
    /// later is read then).
    pub size_ahead: Option<&'a figures::SizeAhead>,
}

/// A metric: an object count from the snapshots, or a database figure read now.
pub async fn metric(ctx: &Context<'_>, metric: Metric) -> Result<Observed, DbError> {
    if let Some((kind, new)) = counted(metric) {
        let value = if new {
            let Some(baseline) = ctx.baseline else {
                return Ok(Observed::NotApplicable("n/a: no baseline recorded before the earlier migrations".into()));
            };
            let prefix = format!("{}.", ctx.schema);
            baseline.diff(ctx.now).appeared_of(kind).filter(|n| n.starts_with(&prefix)).count()
        } else {
            ctx.now.count(kind, ctx.schema)
        };
        return Ok(Observed::Value { value: Some(value.to_string()), rows: 1 });
    }
    let value = match metric {
        Metric::ActiveConnections => {
            // The connection asking the size ahead is the runner's own.
            let asking = match ctx.size_ahead {
                Some(a) => a.pid().await,
                None => None,
            };
            let own: Vec<i32> = ctx.own_sessions.iter().copied().chain(asking).collect();
            figures::other_sessions(ctx.client, &own).await?.to_string()
        }
        Metric::DatabaseSizeMb => {
            let ahead = match ctx.size_ahead {
                Some(a) => a.bytes().await,
                None => None,
            };
            let bytes = match ahead {
                Some(bytes) => bytes,
                None => figures::database_size_bytes(ctx.client).await?,
            };
            format!("{:.1}", bytes as f64 / (1024.0 * 1024.0))
        }
        Metric::ReplicationLagSeconds => match figures::replication(ctx.client).await? {
            Replication::NoReplicas => return Ok(Observed::NotApplicable("n/a: no replicas".into())),
            Replication::Primary { max_lag_seconds, .. } => return Ok(lag(max_lag_seconds)),
            Replication::Standby { lag_seconds } => return Ok(lag(lag_seconds)),
        },
        _ => unreachable!("object counts are handled above"),
    };
    Ok(Observed::Value { value: Some(value), rows: 1 })
}

fn lag(seconds: f64) -> Observed {
    Observed::Value { value: Some(format!("{seconds:.1}")), rows: 1 }
}

/// The expectation in words, for tables and reports.
pub fn expected_text(expect: &Expect) -> String {
    match expect {
        Expect::Equals(n) => format!("= {n}"),
        Expect::AtLeast(n) => format!("≥ {n}"),
        Expect::AtMost(n) => format!("≤ {n}"),
        Expect::Between(a, b) => format!("{a} – {b}"),
        Expect::About { value, tolerance_pct } => format!("≈ {value} (± {tolerance_pct}%)"),
        Expect::True => "true".into(),
        Expect::Exists => "≥ 1 row".into(),
        Expect::NoRows => "no rows".into(),
        Expect::Rows(n) => format!("{n} rows"),
        Expect::Text(t) => format!("\"{t}\""),
        Expect::Fails(code) => format!("fails with SQLSTATE {code}"),
    }
}

/// Judge `observed` against `expect`: (status before severity, actual in words, detail).
pub fn judge(expect: &Expect, observed: &Observed) -> (bool, String, String) {
    let (value, rows) = match observed {
        Observed::Error { code, message } => {
            return match expect {
                Expect::Fails(want) if want == code => (true, format!("failed with {code}"), String::new()),
                _ => (false, format!("error {code}"), message.clone()),
            };
        }
        Observed::NotApplicable(why) => return (true, why.clone(), String::new()),
        Observed::Value { value, rows } => (value.as_deref(), *rows),
    };
    let shown = value.unwrap_or(if rows == 0 { "no rows" } else { "NULL" }).to_owned();
    let number = value.and_then(|v| v.trim().parse::<f64>().ok());
    match expect {
        Expect::Equals(want) => compare(number, &shown, |n| n == *want as f64),
        Expect::AtLeast(want) => compare(number, &shown, |n| n >= *want as f64),
        Expect::AtMost(want) => compare(number, &shown, |n| n <= *want as f64),
        Expect::Between(lo, hi) => compare(number, &shown, |n| n >= *lo as f64 && n <= *hi as f64),
        Expect::About { value: want, tolerance_pct } => {
            compare(number, &shown, |n| (n - want).abs() <= want.abs() * tolerance_pct / 100.0)
        }
        Expect::True => (matches!(value, Some("t" | "true")), shown, String::new()),
        Expect::Exists => (rows > 0, format!("{rows} rows"), String::new()),
        Expect::NoRows => (rows == 0, format!("{rows} rows"), String::new()),
        Expect::Rows(n) => (rows == *n, format!("{rows} rows"), String::new()),
        Expect::Text(t) => (value == Some(t.as_str()), shown, String::new()),
        Expect::Fails(code) => (false, shown, format!("succeeded; expected it to fail with SQLSTATE {code}")),
    }
}

fn compare(number: Option<f64>, shown: &str, ok: impl Fn(f64) -> bool) -> (bool, String, String) {
    match number {
        Some(n) => (ok(n), shown.to_owned(), String::new()),
        None => (false, shown.to_owned(), "not a number".into()),
    }
}

/// Run one check and build its result.
pub async fn run(ctx: &Context<'_>, check: &Check, mode: TxMode) -> Result<CheckResult, DbError> {
    let started = Instant::now();
    let (observed, sql) = match &check.probe {
        Probe::Sql(sql) => (run_sql(ctx.client, sql, mode, ctx.statement_timeout_ms).await?, sql.clone()),
        Probe::Metric(m) => (metric(ctx, *m).await?, String::new()),
    };
    Ok(result(check, &observed, started.elapsed().as_secs_f64() * 1000.0, sql))
}

/// A check's result from what its probe saw.
pub fn result(check: &Check, observed: &Observed, duration_ms: f64, sql: String) -> CheckResult {
    let (ok, actual, detail) = judge(&check.expect, observed);
    let status = match (observed, ok, check.on_miss) {
        (Observed::NotApplicable(_), _, _) => Status::NotApplicable,
        (_, true, _) => Status::Pass,
        (_, false, Severity::Fail) => Status::Fail,
        (_, false, Severity::Warn) => Status::Warn,
    };
    CheckResult {
        id: check.id.clone(),
        group: check.group.clone(),
        title: check.title.clone(),
        expected: expected_text(&check.expect),
        actual,
        status,
        duration_ms,
        sql,
        detail,
        metric: match check.probe {
            Probe::Metric(m) => Some(m),
            Probe::Sql(_) => None,
        },
    }
}
