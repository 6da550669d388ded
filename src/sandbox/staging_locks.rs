//! Who holds staging's tables when a clone of its schema cannot read them: the sessions
//! holding (or queued for) ACCESS EXCLUSIVE on a table of the cloned schemas, the only lock
//! that stops pgstage's size read and pg_dump's ACCESS SHARE. Read from `pg_locks` and
//! `pg_stat_activity`, which take no lock; their SQL normalised (constants as `$n`), as a run
//! shows the sessions that block a migration.

use tokio_postgres::Client;
use tokio_postgres::types::Type;

use crate::db::split::normalise::normalise;

/// Each session holding or waiting for ACCESS EXCLUSIVE on a table of `schemas`, in words:
/// "public.audit_log: AccessExclusiveLock held by pid 6448 (application_name 'nightly report',
/// user dba, idle in transaction for 12.0 s): LOCK TABLE …". Empty when none (or unreadable).
pub async fn holders(staging: &Client, schemas: &[String]) -> Vec<String> {
    let rows = staging
        .query_typed(
            "SELECT n.nspname || '.' || c.relname, l.mode, l.granted, l.pid, coalesce(a.application_name, ''),
                    coalesce(a.usename::text, ''), coalesce(a.state, ''),
                    coalesce(extract(epoch FROM now() - coalesce(a.state_change, a.xact_start))::float8, 0),
                    left(coalesce(a.query, ''), 300)
             FROM pg_catalog.pg_locks l
             JOIN pg_catalog.pg_class c ON c.oid = l.relation
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
             LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
             WHERE l.locktype = 'relation' AND l.mode = 'AccessExclusiveLock' AND l.pid <> pg_catalog.pg_backend_pid()
               AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())
               AND n.nspname = ANY ($1)
             ORDER BY 1, l.granted DESC, l.pid",
            &[(&schemas, Type::TEXT_ARRAY)],
        )
        .await;
    let Ok(rows) = rows else { return vec![] };
    rows.iter()
        .map(|r| {
            let (table, mode, granted, pid): (String, String, bool, i32) = (r.get(0), r.get(1), r.get(2), r.get(3));
            let (application, user, state, for_s, query): (String, String, String, f64, String) =
                (r.get(4), r.get(5), r.get(6), r.get(7), r.get(8));
            let query = normalise(query.trim());
            format!(
                "{table}: {mode} {} by pid {pid} (application_name '{application}', user {user}, {state} for {for_s:.1} s){}",
                if granted { "held" } else { "waited for" },
                if query.is_empty() { String::new() } else { format!(": {query}") }
            )
        })
        .collect()
}

/// What [`watched`] saw of pg_dump.
pub struct Watched {
    pub status: std::process::ExitStatus,
    /// Its error output.
    pub stderr: String,
    /// What it had waited for when pgstage cancelled its statement ("AccessShareLock on
    /// public.recent_orders"), if it did.
    pub cancelled: Option<String>,
}

/// Run pg_dump (`command`, its sessions named `application_name`, its error output written to
/// `stderr_file`) to its end while pgstage's own session on staging watches its lock waits:
/// a statement of it that has waited `lock_timeout_ms` for a lock is cancelled
/// (`pg_cancel_backend`, its own session only). pg_dump's `--lock-wait-timeout` bounds only its
/// `LOCK TABLE` of the tables it dumps, and it turns `lock_timeout` off: deparsing a view
/// another session holds in ACCESS EXCLUSIVE (a `CREATE OR REPLACE VIEW` in an open
/// transaction) would otherwise wait without end (seen with pg_dump 15: still waiting after 15 s
/// with `--lock-wait-timeout=1000ms`).
pub async fn watched(
    staging: &Client,
    mut command: std::process::Command,
    application_name: &str,
    lock_timeout_ms: u64,
    stderr_file: &std::path::Path,
) -> std::io::Result<Watched> {
    let errors = std::fs::File::create(stderr_file)?;
    let mut child = command.stdout(std::process::Stdio::null()).stderr(errors).spawn()?;
    let waited_s = lock_timeout_ms as f64 / 1000.0;
    let mut cancelled = None;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if cancelled.is_none() {
            let waiting = staging
                .query_typed(
                    "SELECT l.pid, l.mode || ' on ' || coalesce(n.nspname || '.' || c.relname, l.locktype)
                     FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
                     LEFT JOIN pg_catalog.pg_class c ON c.oid = l.relation
                     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                     WHERE NOT l.granted AND a.application_name = $1
                       AND l.waitstart < pg_catalog.clock_timestamp() - pg_catalog.make_interval(secs => $2)",
                    &[(&application_name, Type::TEXT), (&waited_s, Type::FLOAT8)],
                )
                .await;
            if let Some(row) = waiting.ok().and_then(|rows| rows.into_iter().next()) {
                let pid: i32 = row.get(0);
                let _ = staging.query_typed("SELECT pg_catalog.pg_cancel_backend($1)", &[(&pid, Type::INT4)]).await;
                cancelled = Some(row.get::<_, String>(1));
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    let stderr = std::fs::read_to_string(stderr_file).unwrap_or_default();
    let _ = std::fs::remove_file(stderr_file);
    Ok(Watched { status, stderr, cancelled })
}
