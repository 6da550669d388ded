//! Rehearsing a plan on a sandbox through the real engine, for drafting (what each migration
//! creates, how long it takes) and for `pgstage check --rehearse` (what a migration
//! announces but its SQL does not create). Each rehearsal starts from the cluster as the
//! sandbox began: the databases of the rehearsals before it are dropped, and so are the roles
//! they created (roles are cluster-wide: a baseline's `CREATE ROLE app_user` would otherwise
//! fail on the second rehearsal). Dropping them took 10–17 ms on PG 15 here; a fresh cluster
//! per rehearsal would cost an `initdb` and a server start (0.7–0.8 s) and a stop each. On a
//! clone of staging's schema (`init --clone-from`) staging is read once, and each rehearsal
//! starts from a copy of that clone.

use crate::check::{self, Observed, TxMode};
use crate::db::connect;
use crate::engine::clone::{CloneRequest, clone_staging};
use crate::engine::{Engine, RunOptions};
use crate::plan::{Contradiction, LintRule, LoadedPlan};
use crate::run_result::{Acknowledgement, Outcome, RunResult};
use crate::sandbox::clone::Cloned;
use crate::sandbox::{Sandbox, SandboxOptions, ServerChoice};

use super::DraftError;

/// A sandbox to rehearse on; each rehearsal gets a database of its own, in a cluster holding
/// nothing an earlier rehearsal made.
pub struct Rig {
    sandbox: Sandbox,
    /// The roles of the cluster as it started (the sandbox's own, `pg_*`).
    roles: Vec<String>,
    runs: std::sync::atomic::AtomicU32,
    /// The database of the last rehearsal, left as the run left it (migrated).
    last: std::sync::Mutex<Option<String>>,
    /// On a clone of staging's schema ([`Rig::start_clone`]): what was cloned; each rehearsal
    /// starts from a copy of [`CLONE_DB`].
    clone: Option<Cloned>,
}

/// The database holding the clone of staging's schema that each rehearsal of a [`Rig`] on a
/// clone copies.
const CLONE_DB: &str = "pgstage_staging_clone";

impl Rig {
    /// Start a sandbox on the server binaries `server` chooses, holding `plan`'s baseline as a
    /// template (from the baseline cache when it has it): each rehearsal of a plan with that
    /// baseline starts from a copy of it.
    pub async fn start(server: ServerChoice, plan: &LoadedPlan) -> Result<Self, DraftError> {
        let options = SandboxOptions { server, ..Default::default() };
        let (sandbox, _) =
            Sandbox::start_with_baseline(&options, plan).await.map_err(|e| DraftError::Rehearsal(e.to_string()))?;
        Self::on(sandbox, None).await
    }

    /// Start a sandbox of staging's major version holding a clone of staging's schema (the
    /// schemas `plan` names, read from `staging`, a connection string, under the plan's
    /// `lock_timeout`; no row copied): each rehearsal starts from a copy of it, with
    /// staging's sizes grading the findings. `server` may only name staging's major version.
    pub async fn start_clone(server: ServerChoice, staging: &str, plan: &LoadedPlan) -> Result<Self, DraftError> {
        let request = CloneRequest { staging, connect: Default::default(), server, dbname: CLONE_DB, progress: None };
        let cloned = clone_staging(plan, request).await.map_err(|e| DraftError::Rehearsal(format!("--clone-from: {e}")))?;
        // No session left on the clone: each rehearsal's database is a copy of it.
        drop(cloned.session);
        Self::on(cloned.sandbox, Some(cloned.cloned)).await
    }

    /// A rig on `sandbox`, whose roles as they are now stay from one rehearsal to the next.
    async fn on(sandbox: Sandbox, clone: Option<Cloned>) -> Result<Self, DraftError> {
        let admin =
            crate::db::connect_config(&sandbox.config("postgres")).await.map_err(|e| DraftError::Rehearsal(e.to_string()))?;
        let roles = admin
            .query("SELECT rolname::text FROM pg_catalog.pg_roles", &[])
            .await
            .map_err(|e| DraftError::Rehearsal(crate::db::DbError::query(e).to_string()))?
            .iter()
            .map(|r| r.get(0))
            .collect();
        Ok(Self { sandbox, roles, runs: Default::default(), last: Default::default(), clone })
    }

    /// What was cloned, when the rig rehearses on a clone of staging's schema.
    pub fn clone_info(&self) -> Option<&crate::run_result::CloneInfo> {
        self.clone.as_ref().map(|c| &c.info)
    }

    /// Drop what earlier rehearsals left in the cluster: their databases, then the roles
    /// they created (what such a role still owns or was granted goes with its databases).
    async fn reset(&self) -> Result<(), DraftError> {
        let failed = |what: &str, e: crate::db::DbError| DraftError::Rehearsal(format!("{what}: {e}"));
        let admin = crate::db::connect_config(&self.sandbox.config("postgres")).await.map_err(|e| failed("connect", e))?;
        let last = self.last.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(db) = last {
            let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", crate::db::quote_ident(&db));
            admin
                .batch_execute(&sql)
                .await
                .map_err(|e| failed("drop the last rehearsal's database", crate::db::DbError::query(e)))?;
        }
        let rows = admin
            .query("SELECT rolname::text FROM pg_catalog.pg_roles WHERE NOT (rolname = ANY($1)) ORDER BY 1", &[&self.roles])
            .await
            .map_err(|e| failed("list roles", crate::db::DbError::query(e)))?;
        for row in rows {
            let role = crate::db::quote_ident(row.get(0));
            let sql = format!("DROP OWNED BY {role}; DROP ROLE {role}");
            admin.batch_execute(&sql).await.map_err(|e| failed(&format!("drop role {role}"), crate::db::DbError::query(e)))?;
        }
        Ok(())
    }

    /// Run `plan` on a new database seeded with its baseline; every manual item acknowledged.
    pub async fn rehearse(&self, plan: &LoadedPlan) -> Result<RunResult, DraftError> {
        let n = self.runs.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if n > 0 {
            self.reset().await?;
        }
        let dbname = format!("pgstage_rehearsal_{n}");
        match &self.clone {
            None => self.sandbox.seed(plan, &dbname).await.map(drop).map_err(|e| DraftError::Rehearsal(e.to_string()))?,
            Some(_) => {
                let admin = crate::db::connect_config(&self.sandbox.config("postgres"))
                    .await
                    .map_err(|e| DraftError::Rehearsal(e.to_string()))?;
                crate::db::create_database(&admin, &dbname, Some(CLONE_DB))
                    .await
                    .map_err(|e| DraftError::Rehearsal(format!("copy the clone of staging's schema: {e}")))?;
            }
        }
        *self.last.lock().unwrap_or_else(|e| e.into_inner()) = Some(dbname.clone());
        rehearse_on(plan, &self.sandbox.config(&dbname), Some(self.sandbox.info()), self.clone.clone()).await
    }

    /// What check SQL sees on the database of the last rehearsal (read-only, as a check runs).
    pub async fn observe(&self, sql: &str) -> Result<Observed, DraftError> {
        Ok(self.observe_all(&[sql]).await?.remove(0))
    }

    /// [`Rig::observe`] for each SQL in turn, on one connection.
    pub async fn observe_all(&self, sqls: &[&str]) -> Result<Vec<Observed>, DraftError> {
        let failed = |e: String| DraftError::Rehearsal(e);
        let dbname =
            self.last.lock().unwrap_or_else(|e| e.into_inner()).clone().ok_or_else(|| failed("nothing rehearsed yet".into()))?;
        let client = crate::db::connect_config(&self.sandbox.config(&dbname)).await.map_err(|e| failed(e.to_string()))?;
        let mut out = Vec::with_capacity(sqls.len());
        for sql in sqls {
            out.push(check::run_sql(&client, sql, TxMode::ReadOnly, 60_000).await.map_err(|e| failed(e.to_string()))?);
        }
        Ok(out)
    }
}

/// Run `plan` on the database `config` names, which already holds the baseline.
pub async fn rehearse_on(
    plan: &LoadedPlan,
    config: &tokio_postgres::Config,
    sandbox: Option<crate::run_result::SandboxInfo>,
    clone: Option<Cloned>,
) -> Result<RunResult, DraftError> {
    let failed = |e: String| DraftError::Rehearsal(e);
    let session = connect::connect_config(config).await.map_err(|e| failed(e.to_string()))?;
    let operator = "pgstage rehearsal".to_owned();
    let acknowledgements = plan
        .plan
        .preflight
        .manual
        .iter()
        .map(|m| Acknowledgement { item: m.id.clone(), title: m.title.clone(), by: operator.clone(), at: String::new() })
        .collect();
    let options = RunOptions { operator, acknowledgements, override_target_guard: true, sandbox, clone, ..Default::default() };
    let (events, _) = tokio::sync::mpsc::unbounded_channel();
    let mut engine = Engine::start(plan.clone(), session, options, events).await.map_err(|e| failed(e.to_string()))?;
    engine.run().await;
    Ok(engine.finish().await)
}

/// The migrations that did not apply, in words, one problem an entry (every problem of a
/// failed pre-flight check, as `PF-FILES`'s file:line:col list, rather than its count);
/// empty when all applied.
pub fn failures(run: &RunResult) -> Vec<String> {
    let problems: Vec<String> = run
        .preflight
        .iter()
        .filter(|c| c.status == crate::run_result::Status::Fail && c.id == "PF-FILES")
        .flat_map(|c| c.detail.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect::<Vec<_>>())
        .collect();
    if !problems.is_empty() {
        return problems;
    }
    let mut out: Vec<String> = run.migrations.iter().filter_map(|m| m.error.clone()).collect();
    if out.is_empty()
        && let Outcome::Failed { step, error } = &run.outcome
    {
        out.push(format!("{step}: {error}"));
    }
    out
}

/// What migrations announce that their SQL, rehearsed, does not create (or the reverse).
pub fn mismatches(run: &RunResult) -> Vec<Contradiction> {
    run.migrations
        .iter()
        .enumerate()
        .flat_map(|(i, m)| {
            m.object_mismatches.iter().map(move |x| Contradiction {
                rule: LintRule::RehearsedCounts,
                field: format!("migrations[{i}].creates"),
                message: format!("migration {}: {x} (rehearsed on the sandbox)", m.id),
            })
        })
        .collect()
}
