//! Figures about the database that pre-flight checks ask for: its size, the other sessions
//! connected to it, and replication lag. Each is read when a check asks for it, not with the
//! catalog snapshot: `pg_database_size` stats every file of the database (~60 ms on 40,000
//! relations), which a snapshot after each migration has no use for.

use serde::{Deserialize, Serialize};
use tokio_postgres::Client;

use super::DbError;

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
