//! A sandbox that already holds a plan's baseline: started from a copy of the cached seeded
//! cluster when the baseline cache has this baseline on these server binaries (no initdb, no
//! scripts); otherwise the cluster is built once (initdb, the baseline's scripts, `ANALYZE`),
//! saved to the cache, and the sandbox starts from that copy, so a warm and a cold start hold
//! the same baseline. [`Sandbox::seed`] then gives the first run the copy made when the entry
//! was built (renamed), and each later one a new copy of the cluster's template database.

use super::baseline_cache::{self, CacheError, READY_DB, TEMPLATE_DB};
use super::{Sandbox, SandboxError, SandboxOptions, ServerBinaries, ServerChoice, binaries, io};
use crate::db;
use crate::plan::LoadedPlan;

/// Where a sandbox's baseline came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BaselineSource {
    /// A copy of the cached cluster, checked against its manifest.
    Cache,
    /// Built from the scripts (no entry for this baseline and server yet) and saved.
    Built,
    /// Built again: the cached entry was corrupted (said here) and is replaced.
    Rebuilt { why: String },
    /// Built from the scripts, without the cache (turned off or unusable, said here).
    NoCache { why: String },
}

impl std::fmt::Display for BaselineSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BaselineSource::Cache => f.write_str("from the baseline cache"),
            BaselineSource::Built => f.write_str("built from its scripts and cached"),
            BaselineSource::Rebuilt { why } => write!(f, "built again from its scripts: {why}"),
            BaselineSource::NoCache { why } => write!(f, "built from its scripts, not cached: {why}"),
        }
    }
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T, SandboxError> + Send + 'static) -> Result<T, SandboxError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| SandboxError::Io { action: "start the sandbox".into(), source: std::io::Error::other(e.to_string()) })?
}

impl Sandbox {
    /// Start a sandbox holding `plan`'s baseline, from the baseline cache when it can (see
    /// the module's doc); [`Sandbox::seed`] then gives a run its copy of it.
    pub async fn start_with_baseline(
        options: &SandboxOptions,
        plan: &LoadedPlan,
    ) -> Result<(Sandbox, BaselineSource), SandboxError> {
        let choice = options.server.clone();
        let binaries = blocking(move || binaries::find(&choice)).await?;
        let Some(cache) = options.baseline_cache.clone().or_else(baseline_cache::dir) else {
            let why = format!("{}=off", baseline_cache::CACHE_VAR);
            return Self::uncached(options, binaries, why).await;
        };
        let key = baseline_cache::key(&binaries, plan)?;
        let mut source = BaselineSource::Cache;
        if !baseline_cache::entry(&cache, &key).exists() {
            source = BaselineSource::Built;
        } else {
            match Self::from_cache(options, &binaries, &cache, &key).await {
                Ok(sandbox) => return Self::finish(sandbox, source).await,
                Err(SandboxError::Cache(e @ CacheError::Corrupt { .. })) => {
                    source = BaselineSource::Rebuilt { why: e.to_string() }
                }
                Err(e) => return Err(e),
            }
        }
        if let Err(e) = build(options, &binaries, plan, &cache, &key).await {
            match e {
                // The cache cannot be written: the baseline still can.
                SandboxError::Cache(CacheError::Io { .. }) => {
                    return Self::uncached(options, binaries, e.to_string()).await;
                }
                e => return Err(e),
            }
        }
        let sandbox = Self::from_cache(options, &binaries, &cache, &key).await?;
        Self::finish(sandbox, source).await
    }

    async fn from_cache(
        options: &SandboxOptions,
        binaries: &ServerBinaries,
        cache: &std::path::Path,
        key: &str,
    ) -> Result<Sandbox, SandboxError> {
        let (options, binaries, cache, key) = (options.clone(), binaries.clone(), cache.to_owned(), key.to_owned());
        blocking(move || Sandbox::start_on(binaries, &options, Some((&cache, &key)))).await
    }

    /// The superuser's password for TCP (the cached cluster has none).
    async fn finish(sandbox: Sandbox, source: BaselineSource) -> Result<(Sandbox, BaselineSource), SandboxError> {
        if sandbox.tcp {
            let admin = db::connect_config(&sandbox.config("postgres")).await?;
            let sql = format!(
                "ALTER ROLE {} PASSWORD {}",
                db::quote_ident(super::SUPERUSER),
                db::quote_literal(sandbox.password.expose())
            );
            admin.batch_execute(&sql).await.map_err(db::DbError::query)?;
        }
        Ok((sandbox, source))
    }

    /// What pgstage did before the cache: initdb; [`Sandbox::seed`] runs the scripts.
    async fn uncached(
        options: &SandboxOptions,
        binaries: ServerBinaries,
        why: String,
    ) -> Result<(Sandbox, BaselineSource), SandboxError> {
        let options = options.clone();
        let sandbox = blocking(move || Sandbox::start_on(binaries, &options, None)).await?;
        Ok((sandbox, BaselineSource::NoCache { why }))
    }
}

/// Build the cluster holding `plan`'s baseline in [`TEMPLATE_DB`] on a sandbox of its own, stop
/// it, and save its data directory as the entry `key`.
async fn build(
    options: &SandboxOptions,
    binaries: &ServerBinaries,
    plan: &LoadedPlan,
    cache: &std::path::Path,
    key: &str,
) -> Result<(), SandboxError> {
    let builder_options = SandboxOptions {
        tcp: false,
        parent_dir: options.parent_dir.clone(),
        tls: None,
        server: ServerChoice::BinDir(binaries.dir.clone()),
        baseline_cache: None,
        // A cold start is this builder's initdb and start: told as the sandbox's own.
        progress: options.progress.clone(),
    };
    let binaries = binaries.clone();
    let builder = blocking(move || Sandbox::start_on(binaries, &builder_options, None)).await?;
    builder.seed(plan, TEMPLATE_DB).await?;
    {
        let admin = db::connect_config(&builder.config("postgres")).await?;
        create_from_template(&admin, builder.binaries.major, READY_DB).await?;
        // No password in the cache: a sandbox from it sets its own.
        let sql = format!("ALTER ROLE {} PASSWORD NULL", db::quote_ident(super::SUPERUSER));
        admin.batch_execute(&sql).await.map_err(db::DbError::query)?;
    }
    let (cache, key) = (cache.to_owned(), key.to_owned());
    blocking(move || {
        let dir = builder.stop_keeping_files();
        let saved = baseline_cache::save(&cache, &key, &dir.join("data"));
        std::fs::remove_dir_all(&dir).map_err(io(format!("remove {}", dir.display())))?;
        Ok(saved?)
    })
    .await
}

/// The run's database `dbname`: the cluster's ready copy of the baseline, renamed.
pub(super) async fn take_ready_copy(admin: &tokio_postgres::Client, dbname: &str) -> Result<(), db::DbError> {
    let sql = format!("ALTER DATABASE {} RENAME TO {}", db::quote_ident(READY_DB), db::quote_ident(dbname));
    admin.batch_execute(&sql).await.map_err(db::DbError::query)
}

/// `CREATE DATABASE dbname` as a copy of [`TEMPLATE_DB`] (file by file on 15 and later: faster
/// than through the WAL for a database this small, with fsync off).
pub(super) async fn create_from_template(admin: &tokio_postgres::Client, major: u32, dbname: &str) -> Result<(), db::DbError> {
    let mut sql = format!("CREATE DATABASE {} TEMPLATE {}", db::quote_ident(dbname), db::quote_ident(TEMPLATE_DB));
    if major >= 15 {
        sql += " STRATEGY FILE_COPY";
    }
    admin.batch_execute(&sql).await.map_err(db::DbError::query)
}
