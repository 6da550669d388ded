//! Figures about the database that pre-flight checks ask for: its size, the other sessions
//! connected to it, and replication lag. Each is read when a check asks for it, not with the
//! catalog snapshot: `pg_database_size` stats every file of the database (~60 ms on 40,000
//! relations, ~0.6–1.1 s on 500,000), which a snapshot after each migration has no use for.
//! [`SizeAhead`] asks it on a connection of its own while the rest of the pre-flight runs.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tokio::sync::{Mutex, OnceCell, oneshot};
use tokio::task::JoinHandle;
use tokio_postgres::Client;

use super::DbError;
use super::connect::Session;

/// Replication as seen from the connected server.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub enum Replication {
    /// A primary with no replica attached: lag is not applicable.
    #[default]
    NoReplicas,
    /// A primary with replicas: the worst replay lag, seconds (0 when none reported).
    Primary { replicas: i64, max_lag_seconds: f64 },
    /// A standby: seconds since the last replayed transaction.
    Standby { lag_seconds: f64 },
}

/// `pg_database_size` of the connected database, in bytes.
pub async fn database_size_bytes(client: &Client) -> Result<i64, DbError> {
    let row = client.query_one("SELECT pg_database_size(current_database())", &[]).await.map_err(DbError::query)?;
    Ok(row.get(0))
}

/// The task asking the size: the connection (kept open) and the answer, in bytes.
type Asking = JoinHandle<Option<(Session, i64)>>;

/// `pg_database_size` asked on a third connection, opened for that question alone, so that its
/// stat of every file of the database runs beside the pre-flight's other reads instead of
/// before them. The session is named `application_name`. It stays open until this is dropped
/// (the end of the pre-flight): its process, known as soon as it is connected, is left out of
/// the other sessions, where a closed one could still be listed for a moment. Dropping this
/// aborts the question if it is still running, and closes the connection.
pub struct SizeAhead {
    pid_sent: Mutex<Option<oneshot::Receiver<i32>>>,
    pid: OnceCell<Option<i32>>,
    task: Mutex<Option<Asking>>,
    bytes: OnceCell<Option<i64>>,
    connection: std::sync::Mutex<Option<Session>>,
}

impl SizeAhead {
    /// Open another connection like `session`'s and ask the size there.
    pub fn start(session: &Arc<Session>, application_name: String) -> Self {
        let session = session.clone();
        let (send_pid, pid_sent) = oneshot::channel();
        let task = tokio::spawn(async move {
            let other = session.open_another().await.ok()?;
            let row = other
                .client
                .query_one("SELECT pg_backend_pid(), set_config('application_name', $1, false)", &[&application_name])
                .await
                .ok()?;
            let _ = send_pid.send(row.get(0));
            let row = other.client.query_one("SELECT pg_database_size(current_database())", &[]).await.ok()?;
            Some((other, row.get(0)))
        });
        SizeAhead {
            pid_sent: Mutex::new(Some(pid_sent)),
            pid: OnceCell::new(),
            task: Mutex::new(Some(task)),
            bytes: OnceCell::new(),
            connection: Default::default(),
        }
    }

    /// The asking connection's server process, once connected (not waiting for the size);
    /// `None` if it could not connect.
    pub async fn pid(&self) -> Option<i32> {
        *self.pid.get_or_init(|| async { self.pid_sent.lock().await.take()?.await.ok() }).await
    }

    /// The size in bytes, once answered; `None` when the connection or the question failed
    /// (then ask on the run's session, whose error is the one to report).
    pub async fn bytes(&self) -> Option<i64> {
        *self
            .bytes
            .get_or_init(|| async {
                let task = self.task.lock().await.take()?;
                let (session, bytes) = task.await.ok().flatten()?;
                *self.connection.lock().unwrap_or_else(|e| e.into_inner()) = Some(session);
                Some(bytes)
            })
            .await
    }
}

impl Drop for SizeAhead {
    fn drop(&mut self) {
        if let Some(task) = self.task.get_mut().take() {
            task.abort();
        }
    }
}

/// Sessions connected to this database other than this one and `own` (process ids of the
/// caller's other connections).
pub async fn other_sessions(client: &Client, own: &[i32]) -> Result<i64, DbError> {
    let row = client
        .query_one(
            "SELECT count(*) FROM pg_stat_activity
             WHERE datname = current_database() AND pid <> pg_backend_pid() AND pid <> ALL ($1::int4[])",
            &[&own],
        )
        .await
        .map_err(DbError::query)?;
    Ok(row.get(0))
}

/// Whether the server is a primary with replicas or a standby, and how far behind.
pub async fn replication(client: &Client) -> Result<Replication, DbError> {
    let row = client
        .query_one(
            "SELECT pg_is_in_recovery(), (SELECT count(*) FROM pg_stat_replication),
                    CASE WHEN pg_is_in_recovery()
                         THEN extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8
                         ELSE (SELECT extract(epoch FROM max(replay_lag))::float8 FROM pg_stat_replication) END",
            &[],
        )
        .await
        .map_err(DbError::query)?;
    let (in_recovery, replicas, lag): (bool, i64, Option<f64>) = (row.get(0), row.get(1), row.get(2));
    Ok(match (in_recovery, replicas) {
        (true, _) => Replication::Standby { lag_seconds: lag.unwrap_or(0.0) },
        (false, 0) => Replication::NoReplicas,
        (false, n) => Replication::Primary { replicas: n, max_lag_seconds: lag.unwrap_or(0.0) },
    })
}
