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
