//! The rehearsals on record on this machine: the last sandbox run of each plan (by the plan
//! file's SHA-256), with the server version it ran on, so that a run of the same plan on
//! staging can say when it was rehearsed on another major version.
//!
//! One JSON file, `rehearsals.json`, in `PGSTAGE_STATE_DIR`, else `$XDG_STATE_HOME/pgstage`,
//! else `~/.local/state/pgstage`; written atomically, and only its owner can read it (the
//! directory 0700, the file 0600: [`crate::private_files`]). It holds run ids, versions and
//! times, nothing secret.
//!
//! Beside it, `baselines/<plan checksum>.json` keeps the catalog each recorded rehearsal
//! started from (its snapshot of the plan's schemas and the grants on them): what a run on
//! staging compares its own catalog with (`PF-DRIFT`, [`crate::check::drift`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::db::snapshot::Snapshot;
use crate::db::snapshot::grants::Grants;
use crate::plan::LoadedPlan;
use crate::run_result::{Outcome, Rehearsal, RunResult};

/// The catalog a sandbox rehearsal started from, in the plan's schemas.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RehearsedBaseline {
    pub run_id: String,
    pub server_version: String,
    pub snapshot: Snapshot,
    pub grants: Grants,
}

/// Why the record could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum RehearsalError {
    #[error("the rehearsal record {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("the rehearsal record {path} is not valid: {source}")]
    Invalid { path: String, source: serde_json::Error },
}

/// The record in a directory.
#[derive(Debug, Clone)]
pub struct Record {
    file: PathBuf,
}

impl Record {
    /// The record in `dir` (created when first written).
    pub fn in_dir(dir: &Path) -> Self {
        Record { file: dir.join("rehearsals.json") }
    }

    /// The user's record (see the module's documentation); `None` without a home directory.
    pub fn default_location() -> Option<Self> {
        let dir = std::env::var_os("PGSTAGE_STATE_DIR").map(PathBuf::from).or_else(|| {
            std::env::var_os("XDG_STATE_HOME")
                .map(|d| PathBuf::from(d).join("pgstage"))
                .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state/pgstage")))
        })?;
        Some(Self::in_dir(&dir))
    }

    pub fn path(&self) -> &Path {
        &self.file
    }

    fn read(&self) -> Result<BTreeMap<String, Rehearsal>, RehearsalError> {
        let path = self.file.display().to_string();
        match std::fs::read(&self.file) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|source| RehearsalError::Invalid { path, source }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
            Err(source) => Err(RehearsalError::Io { path, source }),
        }
    }

    /// The last rehearsal on record of the plan whose file has this checksum.
    pub fn last(&self, plan_checksum: &str) -> Result<Option<Rehearsal>, RehearsalError> {
        Ok(self.read()?.remove(plan_checksum))
    }

    fn baseline_file(&self, plan_checksum: &str) -> PathBuf {
        let dir = self.file.parent().unwrap_or(Path::new("."));
        dir.join("baselines").join(format!("{plan_checksum}.json"))
    }

    /// The catalog the last recorded rehearsal of the plan started from.
    pub fn baseline(&self, plan_checksum: &str) -> Result<Option<RehearsedBaseline>, RehearsalError> {
        let file = self.baseline_file(plan_checksum);
        let path = file.display().to_string();
        match std::fs::read(&file) {
            Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|source| RehearsalError::Invalid { path, source }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(RehearsalError::Io { path, source }),
        }
    }

    /// Record `result` when it is a sandbox run that went through to its verdict, with the
    /// catalog it started from; returns whether it was recorded.
    pub fn remember(&self, result: &RunResult, baseline: Option<&RehearsedBaseline>) -> Result<bool, RehearsalError> {
        let Some(sandbox) = &result.sandbox else { return Ok(false) };
        if result.outcome != Outcome::Completed {
            return Ok(false);
        }
        let mut all = self.read()?;
        all.insert(
            result.plan.checksum.clone(),
            Rehearsal {
                run_id: result.run_id.clone(),
                server_version: sandbox.version.clone(),
                major: sandbox.major,
                finished_at: result.finished_at.clone(),
                go: result.verdict.go,
            },
        );
        // The baseline first: a record never names a rehearsal whose catalog is another's.
        let file = self.baseline_file(&result.plan.checksum);
        let io = |file: &Path| {
            let path = file.display().to_string();
            move |source| RehearsalError::Io { path, source }
        };
        match baseline {
            Some(b) => {
                let text = serde_json::to_vec(b).expect("a snapshot serializes");
                crate::private_files::write_private(&file, &text).map_err(io(&file))?;
            }
            None => match std::fs::remove_file(&file) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io(&file)(e)),
            },
        }
        let text = serde_json::to_string_pretty(&all).expect("rehearsals serialize");
        crate::private_files::write_private(&self.file, text.as_bytes()).map_err(io(&self.file))?;
        Ok(true)
    }
}

/// The checksum a run records for `plan` (SHA-256 of the plan file, as in the run result).
/// Of the plan file alone, as it names the plan: the files it names, and those they include,
/// are each checksummed in the run result's migrations and keyed in the baseline cache.
pub fn plan_checksum(plan: &LoadedPlan) -> String {
    crate::db::ledger::checksum(&std::fs::read(&plan.path).unwrap_or_default())
}
