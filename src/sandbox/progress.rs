//! The steps of a sandbox's start, told as each begins ([`super::SandboxOptions::progress`]):
//! initdb (or the copy from the baseline cache) and the server's start take seconds, and a window says which is under way.

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
