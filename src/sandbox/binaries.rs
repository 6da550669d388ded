//! Finding the PostgreSQL server binaries (`initdb`, `postgres`) on this machine, by version.
//!
//! Search order: `pg_config --bindir`, `/usr/lib/postgresql/*/bin` (Debian/Ubuntu, newest
//! first), `/usr/pgsql-*/bin` (PGDG RPMs), Homebrew's `postgresql@*` kegs, the binaries
//! `scripts/pg-binaries/fetch` caches (`PGSTAGE_PG_CACHE`, `/var/cache/pgstage/pg-binaries`,
//! `~/.cache/pgstage/pg-binaries`), then `PATH`. A sandbox takes the first one found, a given
//! major version (the newest installation of it), or exactly the directory given
//! (`PGSTAGE_PG_BINDIR` when nothing else is asked for).

use std::path::{Path, PathBuf};
use std::process::Command;

use super::SandboxError;

/// The oldest server major version pgstage supports.
pub const MIN_MAJOR: u32 = 14;

/// The environment variable naming the directory of the server binaries to use.
pub const BINDIR_VAR: &str = "PGSTAGE_PG_BINDIR";

/// A directory holding a usable `initdb` and `postgres`, and the server's major version.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    /// The version number alone, e.g. "15.18".
    pub fn number(&self) -> &str {
        version_number(&self.version).unwrap_or(&self.version)
    }
}

impl std::fmt::Display for ServerBinaries {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PostgreSQL {} ({})", self.number(), self.dir.display())
    }
}

/// Which server binaries a sandbox runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ServerChoice {
    /// `PGSTAGE_PG_BINDIR` when set, else the first installation found.
    #[default]
    Default,
    /// The newest installation of this major version.
    Version(u32),
    /// Exactly the binaries in this directory.
    BinDir(PathBuf),
}

impl std::fmt::Display for ServerChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ServerChoice::Default => match std::env::var_os(BINDIR_VAR) {
                Some(dir) => write!(f, "{BINDIR_VAR}={}", Path::new(&dir).display()),
                None => f.write_str("the first found"),
            },
            ServerChoice::Version(major) => write!(f, "version {major}"),
            ServerChoice::BinDir(dir) => write!(f, "the directory {}", dir.display()),
        }
    }
}

impl ServerChoice {
    /// The server binaries this choice names (see [`find`]).
    pub fn find(&self) -> Result<ServerBinaries, SandboxError> {
        find(self)
    }
}

/// Find the server binaries `choice` asks for, or say precisely where we looked and how to
/// get them.
pub fn find(choice: &ServerChoice) -> Result<ServerBinaries, SandboxError> {
    match choice {
        ServerChoice::BinDir(dir) => in_dir(dir),
        ServerChoice::Default => match std::env::var_os(BINDIR_VAR) {
            Some(dir) => in_dir(Path::new(&dir)),
            None => find_in(&candidates()),
        },
        ServerChoice::Version(major) => {
            let found = installed();
            found.iter().find(|b| b.major == *major).cloned().ok_or_else(|| SandboxError::VersionNotFound {
                major: *major,
                found: found.iter().map(ToString::to_string).collect(),
            })
        }
    }
}

/// Every installation of a supported version found on this machine (and the one
/// `PGSTAGE_PG_BINDIR` names), in search order, each once (a directory of symlinks to
/// another's binaries, such as `/usr/local/bin`, is that other one).
pub fn installed() -> Vec<ServerBinaries> {
    let mut dirs: Vec<PathBuf> = std::env::var_os(BINDIR_VAR).map(PathBuf::from).into_iter().collect();
    dirs.extend(candidates());
    let mut found: Vec<ServerBinaries> = Vec::new();
    let mut seen = Vec::new();
    for dir in dirs {
        let Ok(real) = std::fs::canonicalize(dir.join("postgres")) else { continue };
        if seen.contains(&real) {
            continue;
        }
        seen.push(real);
        if let Ok(b) = in_dir(&dir) {
            found.push(b);
        }
    }
    found
}

/// The binaries in exactly `dir`.
fn in_dir(dir: &Path) -> Result<ServerBinaries, SandboxError> {
    let unusable = |reason: String| SandboxError::NotServerBinaries { dir: dir.display().to_string(), reason };
    if !(dir.join("initdb").is_file() && dir.join("postgres").is_file()) {
        return Err(unusable("no initdb and postgres there".into()));
    }
    match version(&dir.join("postgres")) {
        Some((major, version)) if major >= MIN_MAJOR => Ok(ServerBinaries { dir: dir.to_owned(), major, version }),
        Some((_, version)) => Err(unusable(format!("{version} is older than {MIN_MAJOR}"))),
        None => Err(unusable("`postgres --version` does not run".into())),
    }
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

pub(super) fn candidates() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output()
        && out.status.success()
    {
        dirs.push(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
    }
    dirs.extend(versioned_dirs(Path::new("/usr/lib/postgresql"), "", "bin"));
    dirs.extend(versioned_dirs(Path::new("/usr"), "pgsql-", "bin"));
    for prefix in ["/opt/homebrew/opt", "/usr/local/opt"] {
        dirs.extend(versioned_dirs(Path::new(prefix), "postgresql@", "bin"));
    }
    for cache in fetched_caches() {
        dirs.extend(fetched_dirs(&cache));
    }
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    dirs.dedup();
    dirs
}

/// Where `scripts/pg-binaries/fetch` puts the binaries it fetches.
pub(super) fn fetched_caches() -> Vec<PathBuf> {
    let mut caches: Vec<PathBuf> = std::env::var_os("PGSTAGE_PG_CACHE").map(PathBuf::from).into_iter().collect();
    caches.push(PathBuf::from("/var/cache/pgstage/pg-binaries"));
    let user_cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")));
    caches.extend(user_cache.map(|c| c.join("pgstage/pg-binaries")));
    caches
}

/// `<cache>/<lockfile>/node_modules/pg<major>/native/bin`, newest major first.
fn fetched_dirs(cache: &Path) -> Vec<PathBuf> {
    let Ok(locks) = std::fs::read_dir(cache) else { return Vec::new() };
    let mut dirs: Vec<(u32, PathBuf)> = Vec::new();
    for lock in locks.filter_map(Result::ok).filter(|l| l.path().join(".complete").is_file()) {
        let modules = lock.path().join("node_modules");
        for dir in versioned_dirs(&modules, "pg", "native/bin") {
            let major = dir.strip_prefix(&modules).ok().and_then(|d| d.iter().next()?.to_str()?.strip_prefix("pg")?.parse().ok());
            dirs.push((major.unwrap_or(0), dir));
        }
    }
    dirs.sort_by_key(|(major, _)| std::cmp::Reverse(*major));
    dirs.into_iter().map(|(_, d)| d).collect()
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

/// The first word of a version line that starts with a digit ("15.18", "18beta1").
fn version_number(line: &str) -> Option<&str> {
    line.split_whitespace().find(|w| w.chars().next().is_some_and(|c| c.is_ascii_digit()))
}

/// Major version and version line of a `postgres` binary.
fn version(postgres: &Path) -> Option<(u32, String)> {
    let out = Command::new(postgres).arg("--version").output().ok()?;
    let line = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let major = version_number(&line)?.split(['.', 'b', 'r']).next()?.parse().ok()?;
    Some((major, line))
}

/// How to get the server binaries, per platform, for error messages.
pub const INSTALL_HINT: &str = "install the PostgreSQL server (14 or newer): \
Debian/Ubuntu `sudo apt-get install postgresql` (other versions: `postgresql-17` from apt.postgresql.org), \
Fedora `sudo dnf install postgresql-server`, macOS `brew install postgresql@17`; \
or fetch 14 to 18 with `scripts/pg-binaries/fetch` (npm); \
or point --pg-bindir / PGSTAGE_PG_BINDIR at the directory holding initdb and postgres";

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
    fn fetched_binaries_are_found_newest_first_once_complete() {
        let cache = std::env::temp_dir().join(format!("pgstage-fetched-test-{}", std::process::id()));
        for (lock, major) in [("aaaa", "14"), ("aaaa", "18"), ("aaaa", "16"), ("bbbb", "17")] {
            std::fs::create_dir_all(cache.join(lock).join("node_modules").join(format!("pg{major}")).join("native/bin")).unwrap();
        }
        std::fs::write(cache.join("aaaa/.complete"), "").unwrap();
        let dirs = fetched_dirs(&cache);
        std::fs::remove_dir_all(&cache).unwrap();
        let bin = |major: &str| cache.join("aaaa/node_modules").join(format!("pg{major}")).join("native/bin");
        // bbbb was never completed (a fetch that failed half-way).
        assert_eq!(dirs, [bin("18"), bin("16"), bin("14")]);
    }

    #[test]
    fn an_explicit_directory_is_that_directory_or_an_error() {
        let err = find(&ServerChoice::BinDir(PathBuf::from("/nonexistent/pg/bin"))).unwrap_err().to_string();
        assert!(err.starts_with("/nonexistent/pg/bin holds no usable PostgreSQL server: no initdb and postgres there"), "{err}");
        let dir = std::env::temp_dir().join(format!("pgstage-fake-bin-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for (name, script) in [("initdb", "#!/bin/sh\n"), ("postgres", "#!/bin/sh\necho 'postgres (PostgreSQL) 13.9'\n")] {
            std::fs::write(dir.join(name), script).unwrap();
            std::fs::set_permissions(dir.join(name), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        }
        let err = find(&ServerChoice::BinDir(dir.clone())).unwrap_err().to_string();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(err.contains("postgres (PostgreSQL) 13.9 is older than 14"), "{err}");
    }

    #[test]
    fn a_missing_version_lists_those_found() {
        let err = find(&ServerChoice::Version(9)).unwrap_err().to_string();
        assert!(err.starts_with("no PostgreSQL 9 server binaries found (found: "), "{err}");
    }

    #[test]
    fn version_numbers() {
        assert_eq!(version_number("postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"), Some("15.18"));
        assert_eq!(version_number("postgres (PostgreSQL) 18beta1"), Some("18beta1"));
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
