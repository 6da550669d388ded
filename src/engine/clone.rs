//! A sandbox seeded with a clone of staging's schema, ready for a run: the one path that
//! `pgstage run --sandbox --clone-from` and the window's "clone of staging's schema" take.
//! Staging is connected to first and a pg_dump able to dump it looked for (when either fails
//! nothing is started), its major version chooses the sandbox's server,
//! [`crate::sandbox::clone`] copies the plan's schemas, and the plan's own sample data (its
//! test rows, never staging's) goes on top.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use tokio::sync::mpsc::unbounded_channel;

use crate::db::connect::{self, ConnectError, ConnectOptions, Session};
use crate::db::{self, DbError};
use crate::plan::LoadedPlan;
use crate::sandbox::clone::{self, Cloned};
use crate::sandbox::dump_tools;
use crate::sandbox::progress::{CloneProgress, CloneStep, tell};
use crate::sandbox::{Sandbox, SandboxError, SandboxOptions, ServerChoice, StartStep};

/// What to clone, and where to tell how it goes.
pub struct CloneRequest<'a> {
    /// Staging: a libpq connection string or URL. It may hold a password: never logged or
    /// shown (pg_dump gets it in its environment).
    pub staging: &'a str,
    /// How to connect to staging (`from_fields` when the window's fields made the string).
    pub connect: ConnectOptions,
    /// The sandbox's server: `Default` takes staging's major version; a version must be
    /// staging's; binaries in a directory must be of staging's major version.
    pub server: ServerChoice,
    /// The sandbox's database the schema is restored into.
    pub dbname: &'a str,
    /// Each step as it begins, the sandbox's start's among them, in order.
    pub progress: CloneProgress,
}

/// A running sandbox holding staging's schema, and a session on its database.
pub struct ClonedSandbox {
    pub sandbox: Sandbox,
    pub session: Session,
    pub cloned: Cloned,
    /// The plan's sample-data file loaded on top, if it has one.
    pub sample_data: Option<PathBuf>,
    /// How long the copy of the schema took (after the sandbox's start).
    pub took: Duration,
}

/// Why a clone of staging's schema could not be made. Never holds a password.
#[derive(Debug, thiserror::Error)]
pub enum CloneError {
    #[error("cannot read staging's schema: {0}")]
    Staging(ConnectError),
    #[error("staging runs PostgreSQL {staging}; the sandbox must too, not PostgreSQL {asked}")]
    OtherVersion { staging: u32, asked: u32 },
    #[error("staging runs PostgreSQL {staging} but the sandbox's server is {server}")]
    OtherServer { staging: u32, server: String },
    #[error(transparent)]
    Sandbox(#[from] SandboxError),
    #[error("connecting to the sandbox: {0}")]
    Session(ConnectError),
    #[error("the plan's sample data does not fit staging's schema: {0}")]
    SampleData(DbError),
}

/// Start a sandbox of staging's major version and seed it with staging's schema for `plan`'s
/// schemas (read-only on staging, under the plan's `lock_timeout`, no row copied).
pub async fn clone_staging(plan: &LoadedPlan, request: CloneRequest<'_>) -> Result<ClonedSandbox, CloneError> {
    let progress = &request.progress;
    tell(progress, CloneStep::ConnectStaging);
    let source = connect::connect(request.staging, &request.connect).await.map_err(CloneError::Staging)?;
    let major = clone::staging_major(&source.client).await?;
    let server = match request.server {
        ServerChoice::Version(asked) if asked != major => return Err(CloneError::OtherVersion { staging: major, asked }),
        ServerChoice::BinDir(dir) => ServerChoice::BinDir(dir),
        _ => ServerChoice::Version(major),
    };
    // A pg_dump able to dump staging, looked for before anything is started.
    tokio::task::spawn_blocking(move || dump_tools::find(major))
        .await
        .map_err(|e| SandboxError::Clone(format!("looking for pg_dump stopped: {e}")))??;
    tell(progress, CloneStep::StartSandbox { major });
    // The start's steps, told in the same channel in their order.
    let (start_progress, mut start_steps) = unbounded_channel::<StartStep>();
    let told = progress.clone();
    let forward = tokio::spawn(async move {
        while let Some(step) = start_steps.recv().await {
            tell(&told, CloneStep::Sandbox(step));
        }
    });
    let options = SandboxOptions { server, progress: Some(start_progress), ..Default::default() };
    let started = tokio::task::spawn_blocking(move || Sandbox::start(&options)).await;
    let _ = forward.await;
    let sandbox = started.map_err(|e| SandboxError::Clone(format!("the sandbox's start stopped: {e}")))??;
    if sandbox.binaries().major != major {
        return Err(CloneError::OtherServer { staging: major, server: sandbox.binaries().version.clone() });
    }
    let started = Instant::now();
    let named = super::plan_schemas(plan);
    let lock_timeout = plan.plan.execution.lock_timeout_ms;
    let cloned =
        clone::clone_schema(&source.client, request.staging, &named, lock_timeout, &sandbox, request.dbname, progress).await?;
    drop(source);
    let took = started.elapsed();
    let session = connect::connect_config(&sandbox.config(request.dbname)).await.map_err(CloneError::Session)?;
    let sample_data = match &plan.plan.baseline.sample_data {
        Some(sample) => {
            tell(progress, CloneStep::SampleData);
            let file = plan.resolve(sample);
            db::run_script_file(&session.client, &file).await.map_err(CloneError::SampleData)?;
            Some(file)
        }
        None => None,
    };
    Ok(ClonedSandbox { sandbox, session, cloned, sample_data, took })
}
