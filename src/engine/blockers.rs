//! Who holds the lock a statement, a snapshot or a check waits for. While one runs, a watcher
//! on the run's second connection asks the server, after a moment and then every half second,
//! whether the session waits for a lock (`pg_locks`) and which sessions block it
//! (`pg_blocking_pids`, `pg_stat_activity`): pid, user, application_name, client, state and
//! for how long, query, and the locks they hold on the relation waited for. Their SQL is
//! recorded as the plan's `execution.other_sessions_sql` says ([`shown`]): normalised by
//! default, its constants replaced by `$1`, `$2` …; whole, with any password literal blanked.

use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokio::sync::mpsc::UnboundedSender;
use tokio_postgres::Client;

use super::event::Event;
use crate::db::DbError;
use crate::db::split::normalise::normalise;
use crate::plan::OtherSessionsSql;
use crate::run_result::{Blocker, LockWait};

/// How long a statement runs before the watcher first looks.
const FIRST_LOOK: Duration = Duration::from_millis(250);
const EVERY: Duration = Duration::from_millis(500);

/// `schema.relation` of a `pg_locks` row `l`, or its lock type for other lock kinds.
const LOCKED: &str = "coalesce((SELECT n.nspname || '.' || c.relname FROM pg_catalog.pg_class c
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = l.relation), l.locktype)";

/// Watch `pid` (the session running `statement`) until dropped; the last wait seen is left
/// in `seen`, and each look that finds blockers is sent as an event. Their SQL is recorded as
/// `sql` says ([`shown`]).
pub async fn watch(
    reader: &Client,
    pid: i32,
    statement: String,
    sql: OtherSessionsSql,
    events: &UnboundedSender<Event>,
    seen: &Mutex<Option<LockWait>>,
) {
    let started = Instant::now();
    tokio::time::sleep(FIRST_LOOK).await;
    loop {
        if let Ok(Some(wait)) = look(reader, pid, &statement, sql, started).await {
            let _ = events.send(Event::LockWait(Box::new(wait.clone())));
            *seen.lock().unwrap_or_else(|e| e.into_inner()) = Some(wait);
        }
        tokio::time::sleep(EVERY).await;
    }
}

/// `work` (on the session `pid`) while `reader` watches it ([`watch`], `what` naming what
/// waits, `sql` how the blockers' SQL is recorded); with the last wait seen. Without a reader,
/// `work` alone.
pub async fn watched<T>(
    reader: Option<&Client>,
    pid: i32,
    what: &str,
    sql: OtherSessionsSql,
    events: &UnboundedSender<Event>,
    work: impl Future<Output = T>,
) -> (T, Option<LockWait>) {
    let Some(reader) = reader else { return (work.await, None) };
    let seen = Mutex::new(None);
    let outcome = {
        let watch = watch(reader, pid, what.to_owned(), sql, events, &seen);
        tokio::select! {
            outcome = work => outcome,
            () = watch => unreachable!("the watcher never ends"),
        }
    };
    (outcome, seen.into_inner().unwrap_or_else(|e| e.into_inner()))
}

/// A lock timeout, with the wait last seen before it: who held the lock.
pub fn named(e: DbError, wait: Option<LockWait>) -> DbError {
    match (e, wait) {
        (DbError::LockTimeout(e), Some(wait)) => DbError::LockTimeout(format!("{e}\n  {}", wait.sentence())),
        (e, _) => e,
    }
}

/// What `pid` waits for and who blocks it, if it waits; their SQL as `sql` says ([`shown`]).
pub async fn look(
    reader: &Client,
    pid: i32,
    statement: &str,
    sql: OtherSessionsSql,
    started: Instant,
) -> Result<Option<LockWait>, tokio_postgres::Error> {
    let waiting: Option<String> = reader
        .query_one(
            &format!(
                "SELECT string_agg(l.mode || ' on ' || {LOCKED}, ', ') FROM pg_catalog.pg_locks l WHERE l.pid = $1 AND NOT l.granted"
            ),
            &[&pid],
        )
        .await?
        .get(0);
    let Some(waiting_for) = waiting else { return Ok(None) };
    let rows = reader
        .query(
            &format!(
                "SELECT b.pid, coalesce(b.usename::text, ''), coalesce(b.application_name, ''),
                        coalesce(host(b.client_addr), 'local'), coalesce(b.state, ''),
                        coalesce(extract(epoch FROM now() - coalesce(b.xact_start, b.query_start, b.backend_start)) * 1000, 0)::float8,
                        coalesce(b.query, ''),
                        coalesce((SELECT string_agg(DISTINCT l.mode || ' on ' || {LOCKED}, ', ')
                                  FROM pg_catalog.pg_locks l
                                  WHERE l.pid = b.pid AND l.granted AND l.relation IN
                                        (SELECT w.relation FROM pg_catalog.pg_locks w WHERE w.pid = $1 AND NOT w.granted)), '')
                 FROM pg_catalog.pg_stat_activity b WHERE b.pid = ANY (pg_catalog.pg_blocking_pids($1)) ORDER BY b.pid"
            ),
            &[&pid],
        )
        .await?;
    if rows.is_empty() {
        return Ok(None);
    }
    let blockers = rows
        .iter()
        .map(|r| Blocker {
            pid: r.get(0),
            user: r.get(1),
            application_name: r.get(2),
            client: r.get(3),
            state: r.get(4),
            for_ms: r.get(5),
            query: shown(&r.get::<_, String>(6), sql).chars().take(500).collect(),
            holds: r.get(7),
        })
        .collect();
    Ok(Some(LockWait {
        statement: statement.to_owned(),
        waiting_for,
        waited_ms: started.elapsed().as_secs_f64() * 1000.0,
        blockers,
    }))
}

/// Another session's `query` as pgstage records it: normalised ([`normalise`]: no constant
/// of it is left, comments keep no quoted text), or whole with its passwords blanked
/// ([`redact`]).
pub fn shown(query: &str, sql: OtherSessionsSql) -> String {
    match sql {
        OtherSessionsSql::Normalised => normalise(query),
        OtherSessionsSql::Whole => redact(query),
    }
}

/// `query` with the literal after each PASSWORD keyword blanked (`ALTER ROLE … PASSWORD '…'`):
/// other sessions' SQL is shown to whoever reads the report, never their secrets.
pub fn redact(query: &str) -> String {
    let lower = query.to_ascii_lowercase();
    let mut out = String::with_capacity(query.len());
    let mut rest = 0;
    let mut from = 0;
    while let Some(found) = lower[from..].find("password") {
        let at = from + found + "password".len();
        let after = &query[at..];
        let skipped = after.len() - after.trim_start().len();
        let start = at + skipped;
        if query[start..].starts_with('\'') {
            // The literal ends at the next quote not doubled.
            let mut end = start + 1;
            let bytes = query.as_bytes();
            while end < bytes.len() {
                if bytes[end] == b'\'' {
                    if bytes.get(end + 1) == Some(&b'\'') {
                        end += 2;
                        continue;
                    }
                    break;
                }
                end += 1;
            }
            out.push_str(&query[rest..start]);
            out.push_str("'…'");
            rest = (end + 1).min(query.len());
            from = rest;
        } else {
            from = at;
        }
    }
    out.push_str(&query[rest..]);
    out
}

#[cfg(test)]
mod tests {
    use crate::plan::OtherSessionsSql;

    #[test]
    fn other_sessions_sql_is_normalised_or_whole_with_passwords_blanked() {
        let sql = "SELECT * FROM users WHERE email = 'alice@example.com' AND token = 'abc123' /* PASSWORD 'p' */";
        assert_eq!(
            super::shown(sql, OtherSessionsSql::Normalised),
            "SELECT * FROM users WHERE email = $1 AND token = $2 /* PASSWORD '…' */"
        );
        assert_eq!(
            super::shown(sql, OtherSessionsSql::Whole),
            "SELECT * FROM users WHERE email = 'alice@example.com' AND token = 'abc123' /* PASSWORD '…' */"
        );
    }

    #[test]
    fn passwords_in_other_sessions_sql_are_blanked() {
        assert_eq!(
            super::redact("ALTER ROLE app PASSWORD 'it''s s3cret' VALID UNTIL 'x'"),
            "ALTER ROLE app PASSWORD '…' VALID UNTIL 'x'"
        );
        assert_eq!(super::redact("create user u with password  'p'"), "create user u with password  '…'");
        assert_eq!(super::redact("SELECT password_hash FROM users"), "SELECT password_hash FROM users");
    }
}
