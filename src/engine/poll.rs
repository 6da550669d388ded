//! The lock trace of statements that run outside a transaction (a migration marked
//! `non_transactional`: `VACUUM FULL`, `CLUSTER`, `REINDEX`, `CREATE`/`DROP INDEX
//! CONCURRENTLY`, `REFRESH MATERIALIZED VIEW CONCURRENTLY`…). No trace query can ride in the
//! same query as they do, so while each runs the run's reader session polls `pg_locks` for the
//! migration's backend (one query filtered by its pid, every [`INTERVAL`]), keeping the
//! strongest mode seen on each pre-existing relation and from when, and probes once, without
//! waiting, whether reads and writes of a table it locks could go on; after it, the storage of
//! the pre-existing relations compared with before tells a rewrite ([`super::trace::Tracer::observe_polled`]).
//! Transactional migrations never poll.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokio_postgres::{Client, SimpleQueryMessage};

use crate::db::lock_modes::{Blocks, LockMode};

/// How often the reader asks: a lock held for less than this may go unseen, and a lock's
/// start is known to within this.
pub const INTERVAL: Duration = Duration::from_millis(25);

/// A pre-existing relation as the poll knows it: `schema.name` and kind ("table", "index"…).
pub type Relations = HashMap<u32, (String, &'static str)>;

/// The strongest lock seen on one relation while the statement ran.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Held {
    pub mode: LockMode,
    /// When it may have been granted, ms after the statement was sent: the poll before the
    /// one that first saw it (the statement's start for the first poll), so that the time
    /// held is never less than the real one, and at most one interval more.
    pub since_ms: f64,
    pub read_blocked: Option<bool>,
    pub write_blocked: Option<bool>,
    /// When seen, the relation was not an index made dead for its drop (`pg_index.indislive`).
    pub live: bool,
}

/// Poll until dropped (the statement ended): what `pid` holds on `relations`, into `seen`;
/// a table held in a mode that keeps reads or writes waiting is probed once per mode
/// (`probe`). A failed poll is skipped: the trace is a figure, never a reason to stop.
pub async fn watch(
    reader: &Client,
    pid: i32,
    relations: &Relations,
    probe: bool,
    sent: Instant,
    seen: &Mutex<HashMap<u32, Held>>,
) {
    let max_oid = relations.keys().copied().max().unwrap_or(0);
    let sql = format!(
        "SELECT l.relation::int8, l.mode, coalesce(i.indislive, true) FROM pg_catalog.pg_locks l \
         LEFT JOIN pg_catalog.pg_index i ON i.indexrelid = l.relation \
         WHERE l.pid = {pid} AND l.locktype = 'relation' AND l.granted AND l.relation <= {max_oid}::oid"
    );
    let mut previous_ms = 0.0;
    loop {
        let asked_ms = sent.elapsed().as_secs_f64() * 1000.0;
        let mut to_probe = Vec::new();
        if let Ok(messages) = reader.simple_query(&sql).await {
            let mut seen = seen.lock().unwrap_or_else(|e| e.into_inner());
            for m in &messages {
                let SimpleQueryMessage::Row(row) = m else { continue };
                let (Some(oid), Some(mode)) = (row.get(0).and_then(|o| o.parse::<u32>().ok()), row.get(1)) else { continue };
                let (Ok(mode), Some((name, kind))) = (mode.parse::<LockMode>(), relations.get(&oid)) else { continue };
                let live = row.get(2) != Some("f");
                let stronger = seen.get(&oid).is_none_or(|h| mode > h.mode);
                if stronger {
                    let held = Held { mode, since_ms: previous_ms, read_blocked: None, write_blocked: None, live };
                    seen.insert(oid, held);
                    if probe && live && blocks_the_application(kind, mode) {
                        to_probe.push((oid, name.clone()));
                    }
                }
            }
        }
        for (oid, name) in to_probe {
            let (read, write) = super::trace::probe(reader, &name).await;
            if let Some(h) = seen.lock().unwrap_or_else(|e| e.into_inner()).get_mut(&oid) {
                (h.read_blocked, h.write_blocked) = (read, write);
            }
        }
        previous_ms = asked_ms;
        tokio::time::sleep(INTERVAL).await;
    }
}

/// A table's lock the probes ask about: one that keeps reads or writes waiting.
fn blocks_the_application(kind: &str, mode: LockMode) -> bool {
    matches!(kind, "table" | "partitioned table" | "materialized view")
        && super::trace::blocks(super::trace::relkind(kind), mode) != Blocks::DdlOnly
}

/// The storage (`relfilenode`) of each of `oids` now, read on the migration's own session
/// once its statement ended (a relation gone, as the old copy of an index `REINDEX …
/// CONCURRENTLY` rebuilt, is left out).
pub async fn storage(client: &Client, oids: &[u32]) -> Result<HashMap<u32, i64>, tokio_postgres::Error> {
    let rows = client
        .query_typed(
            "SELECT oid, relfilenode::int8 FROM pg_catalog.pg_class WHERE oid = ANY ($1)",
            &[(&oids, tokio_postgres::types::Type::OID_ARRAY)],
        )
        .await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}
