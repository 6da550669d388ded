//! The steps of a sandbox's start, told as each begins ([`super::SandboxOptions::progress`]):
//! initdb (or the copy from the baseline cache) and the server's start take seconds, and a window says which is under way.
//! A clone of staging's schema tells its own steps ([`CloneStep`]): pg_dump of a big schema
//! takes as long as the start.

/// A step of a sandbox's start, sent to [`super::SandboxOptions::progress`] as it begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartStep {
    /// initdb creates the cluster.
    Initdb,
    /// The cluster is copied from the baseline cache (and checked against its manifest).
    FromCache,
    /// The server starts, until it accepts connections.
    StartServer,
}

impl StartStep {
    pub fn words(self) -> &'static str {
        match self {
            StartStep::Initdb => "initdb (creating the cluster)",
            StartStep::FromCache => "copying the seeded baseline from the cache",
            StartStep::StartServer => "starting the server",
        }
    }
}

/// A step of seeding a sandbox with a clone of staging's schema, told as it begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloneStep {
    /// pgstage's one read-only session on staging.
    ConnectStaging,
    /// A sandbox of staging's major version starts (its own steps follow as `Sandbox`).
    StartSandbox { major: u32 },
    /// A step of that sandbox's start.
    Sandbox(StartStep),
    /// Staging's catalog: the schemas the plan's objects use, roles, extensions, table sizes.
    ReadSchema,
    /// The roles staging has that the sandbox lacks, made without passwords.
    Roles,
    /// Staging's extensions that the sandbox's server has.
    Extensions,
    /// `pg_dump --schema-only` of staging (and pg_restore writing its script).
    Dump,
    /// The script run in the sandbox, in one transaction.
    Restore,
    /// The plan's own sample rows, which its sample-data and RLS checks build on.
    SampleData,
}

impl CloneStep {
    pub fn words(self) -> String {
        match self {
            CloneStep::ConnectStaging => "connecting to staging (read-only)".into(),
            CloneStep::StartSandbox { major } => format!("starting a sandbox of staging's PostgreSQL {major}"),
            CloneStep::Sandbox(step) => step.words().into(),
            CloneStep::ReadSchema => "reading staging's schema (schemas, roles, extensions, table sizes)".into(),
            CloneStep::Roles => "creating staging's roles in the sandbox (without passwords)".into(),
            CloneStep::Extensions => "creating staging's extensions in the sandbox".into(),
            CloneStep::Dump => "pg_dump --schema-only of staging".into(),
            CloneStep::Restore => "restoring staging's schema into the sandbox".into(),
            CloneStep::SampleData => "loading the plan's sample data".into(),
        }
    }
}

impl CloneStep {
    /// The step as a progress line: "clone: …" (or "sandbox: …" for the start's own steps).
    pub fn line(self) -> String {
        match self {
            CloneStep::Sandbox(step) => format!("sandbox: {}…", step.words()),
            step => format!("clone: {}…", step.words()),
        }
    }
}

/// Where the steps of a clone go (nowhere when `None`).
pub type CloneProgress = Option<tokio::sync::mpsc::UnboundedSender<CloneStep>>;

/// Tell `step` to `progress`, if anyone listens.
pub fn tell(progress: &CloneProgress, step: CloneStep) {
    if let Some(progress) = progress {
        let _ = progress.send(step);
    }
}
