//! Finding the PostgreSQL server binaries (`initdb`, `postgres`) on this machine.
//!
//! Search order: `PGSTAGE_PG_BINDIR`, `pg_config --bindir`, the newest
//! `/usr/lib/postgresql/*/bin` (Debian/Ubuntu), Homebrew's `postgresql@*` kegs, then `PATH`.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::SandboxError;

/// The oldest server major version pgstage supports.
pub const MIN_MAJOR: u32 = 14;

/// A directory holding a usable `initdb` and `postgres`, and the server's major version.
#[derive(Debug, Clone)]
pub struct ServerBinaries {
    pub dir: PathBuf,
    pub major: u32,
    /// e.g. "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)".
    pub version: String,
}

impl ServerBinaries {
    pub fn initdb(&self) -> PathBuf {
        self.dir.join("initdb")
    }
    pub fn postgres(&self) -> PathBuf {
        self.dir.join("postgres")
    }
}

/// Find the server binaries, or say precisely where we looked and how to install them.
pub fn find() -> Result<ServerBinaries, SandboxError> {
    find_in(&candidates())
}

fn find_in(candidates: &[PathBuf]) -> Result<ServerBinaries, SandboxError> {
    let mut too_old = Vec::new();
    for dir in candidates {
        if !(dir.join("initdb").is_file() && dir.join("postgres").is_file()) {
            continue;
        }
        match version(&dir.join("postgres")) {
            Some((major, version)) if major >= MIN_MAJOR => {
                return Ok(ServerBinaries { dir: dir.clone(), major, version });
            }
            Some((_, version)) => too_old.push(format!("{} ({version})", dir.display())),
            None => {}
        }
    }
    Err(SandboxError::NoServerBinaries { searched: candidates.iter().map(|d| d.display().to_string()).collect(), too_old })
}

fn candidates() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(dir) = std::env::var_os("PGSTAGE_PG_BINDIR") {
        dirs.push(PathBuf::from(dir));
    }
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output()
        && out.status.success()
    {
        dirs.push(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
    }
    dirs.extend(versioned_dirs(Path::new("/usr/lib/postgresql"), "", "bin"));
    for prefix in ["/opt/homebrew/opt", "/usr/local/opt"] {
        dirs.extend(versioned_dirs(Path::new(prefix), "postgresql@", "bin"));
    }
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    dirs.dedup();
    dirs
}

/// `<root>/<prefix><major>/<sub>` for every numeric major found, newest first.
fn versioned_dirs(root: &Path, prefix: &str, sub: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(root) else { return Vec::new() };
    let mut found: Vec<(u32, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let major = name.strip_prefix(prefix)?.parse().ok()?;
            Some((major, e.path().join(sub)))
        })
        .collect();
    found.sort_by_key(|(major, _)| std::cmp::Reverse(*major));
    found.into_iter().map(|(_, p)| p).collect()
}

/// Major version and version line of a `postgres` binary.
fn version(postgres: &Path) -> Option<(u32, String)> {
    let out = Command::new(postgres).arg("--version").output().ok()?;
    let line = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let number = line.split_whitespace().find(|w| w.chars().next().is_some_and(|c| c.is_ascii_digit()))?;
    let major = number.split(['.', 'b', 'r']).next()?.parse().ok()?;
    Some((major, line))
}

/// How to get the server binaries, per platform, for error messages.
pub const INSTALL_HINT: &str = "install the PostgreSQL server (14 or newer): \
Debian/Ubuntu `sudo apt-get install postgresql`, Fedora `sudo dnf install postgresql-server`, \
macOS `brew install postgresql@16`; or point PGSTAGE_PG_BINDIR at the directory holding initdb and postgres";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_binaries_says_where_it_looked_and_how_to_install() {
        let err = find_in(&[PathBuf::from("/nonexistent/pg/bin")]).unwrap_err().to_string();
        assert!(err.contains("no PostgreSQL server binaries"), "{err}");
        assert!(err.contains("searched: /nonexistent/pg/bin"), "{err}");
        assert!(err.contains("apt-get install postgresql"), "{err}");
        assert!(err.contains("PGSTAGE_PG_BINDIR"), "{err}");
    }

    #[test]
    fn versioned_dirs_are_newest_first() {
        let root = std::env::temp_dir().join(format!("pgstage-bin-test-{}", std::process::id()));
        for v in ["9", "16", "14", "notaversion"] {
            std::fs::create_dir_all(root.join(v).join("bin")).unwrap();
        }
        let dirs = versioned_dirs(&root, "", "bin");
        std::fs::remove_dir_all(&root).unwrap();
        assert_eq!(dirs, [root.join("16/bin"), root.join("14/bin"), root.join("9/bin")]);
    }
}
