//! The baseline cache: a sandbox cluster already seeded with a plan's baseline, kept (a copy
//! of its stopped data directory) so that the next sandbox for the same baseline on the same
//! server starts from a copy instead of `initdb` and the baseline's scripts.
//!
//! An entry is keyed by the SHA-256 of the server's version line and of every baseline script
//! (in order, bytes as read) and every file each includes (psql's `\i` / `\ir`, as the
//! seeding follows them): any change to either is another key, so a stale entry is never
//! found. Entries live next to the server binaries `scripts/pg-binaries/fetch` caches
//! (`/var/cache/pgstage/baselines` as root, `${XDG_CACHE_HOME:-~/.cache}/pgstage/baselines`
//! otherwise, or `PGSTAGE_BASELINE_CACHE`; `off` turns the cache off), private (0700
//! directories, 0600 files). Each entry carries a manifest (size and SHA-256 of every file,
//! itself checksummed); a restore hashes what it copies and refuses an entry whose files
//! differ from it in any way: such an entry is deleted and built again, never used.

use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::{SandboxError, ServerBinaries};
use crate::db::DbError;
use crate::db::migration_file::{SqlFile, read_text};
use crate::plan::LoadedPlan;
use crate::private_files;

/// The environment variable naming the cache directory (`off`: no cache).
pub const CACHE_VAR: &str = "PGSTAGE_BASELINE_CACHE";

/// The database of a cached cluster that holds the baseline; a sandbox's databases are
/// created from it as a template.
pub const TEMPLATE_DB: &str = "pgstage_baseline";

/// The database of a cached cluster that is a copy of [`TEMPLATE_DB`] made when the entry was
/// built: the first run of a sandbox started from the cache takes it by a rename, instead of
/// copying the template (`CREATE DATABASE` checkpoints and copies: about 0.4 s here).
pub const READY_DB: &str = "pgstage_ready";

/// Changes when what a cached cluster holds changes (initdb options, how the seed is built).
const FORMAT: &str =
    "pgstage baseline cache 2: initdb -E UTF8 --locale=C --wal-segsize=1; scripts; ANALYZE; a ready copy; no password";

/// Entries kept; the least recently used beyond that are deleted when a new one is saved.
const KEEP: usize = 8;

/// Why an entry cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("the cached baseline {entry} is corrupted ({what}); it is deleted and built again")]
    Corrupt { entry: String, what: String },
    #[error("baseline cache {path}: {source}")]
    Io { path: String, source: std::io::Error },
}

fn io_at(path: &Path) -> impl FnOnce(std::io::Error) -> CacheError + '_ {
    move |source| CacheError::Io { path: path.display().to_string(), source }
}

/// The cache directory, or `None` when turned off.
pub fn dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(CACHE_VAR) {
        return (!dir.is_empty() && dir != "off").then(|| PathBuf::from(dir));
    }
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        return Some(PathBuf::from("/var/cache/pgstage/baselines"));
    }
    let user_cache = std::env::var_os("XDG_CACHE_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(user_cache.join("pgstage/baselines"))
}

/// The key of `plan`'s baseline on `binaries`: hex SHA-256 of the cache format, the server's
/// version line, and each baseline script's length and bytes, then how many files it includes
/// (psql's `\i` / `\ir`, followed as the seeding follows them: [`SqlFile`]) and each one's
/// path as resolved, length and SHA-256, in the order read. A script that cannot be read or
/// split, or an included file that cannot be read, is the error seeding would give
/// (file:line:column).
pub fn key(binaries: &ServerBinaries, plan: &LoadedPlan) -> Result<String, SandboxError> {
    let mut hash = Sha256::new();
    hash.update(FORMAT.as_bytes());
    hash.update([0]);
    hash.update(binaries.version.as_bytes());
    hash.update([0]);
    for script in plan.baseline_scripts() {
        let (bytes, _) = read_text(&script).map_err(DbError::from)?;
        hash.update((bytes.len() as u64).to_le_bytes());
        hash.update(&bytes);
        // Only a file with a backslash can include another: the others are not split here.
        let included = if bytes.contains(&b'\\') { SqlFile::read(&script).map_err(DbError::from)?.included } else { vec![] };
        hash.update((included.len() as u64).to_le_bytes());
        for file in included {
            let path = file.file.as_os_str().as_encoded_bytes();
            hash.update((path.len() as u64).to_le_bytes());
            hash.update(path);
            hash.update(file.len.to_le_bytes());
            hash.update(file.sha256.as_bytes());
        }
    }
    Ok(hex(&hash.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One file of an entry: its path relative to the data directory, size and SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Manifested {
    path: String,
    size: u64,
    sha256: String,
}

const MANIFEST: &str = "MANIFEST";
const DATA: &str = "data";

/// The entry of `key` in `cache`.
pub fn entry(cache: &Path, key: &str) -> PathBuf {
    cache.join(key)
}

/// Copy the stopped cluster's data directory `data` into the cache as the entry `key`,
/// with its manifest; an entry another process saved first is kept instead.
pub fn save(cache: &Path, key: &str, data: &Path) -> Result<(), CacheError> {
    private_files::private_dir(cache).map_err(io_at(cache))?;
    let building = cache.join(format!(".building-{}-{key}", std::process::id()));
    let _ = std::fs::remove_dir_all(&building);
    let made = (|| {
        make_dir(&building)?;
        let mut files = Vec::new();
        copy_tree(data, &building.join(DATA), &mut files, &|_: &Path| Ok(()))?;
        files.sort_by(|a, b| a.path.cmp(&b.path));
        let manifest = building.join(MANIFEST);
        private_files::write_private(&manifest, render_manifest(&files).as_bytes()).map_err(io_at(&manifest))?;
        let target = entry(cache, key);
        match std::fs::rename(&building, &target) {
            // Saved meanwhile by another pgstage: theirs is as good.
            Err(_) if target.join(MANIFEST).exists() => {
                let _ = std::fs::remove_dir_all(&building);
                Ok(())
            }
            renamed => renamed.map_err(io_at(&target)),
        }
    })();
    if made.is_err() {
        let _ = std::fs::remove_dir_all(&building);
    }
    made?;
    prune(cache);
    Ok(())
}

/// Copy the entry `key` into `data` (which must not exist), checking every file against the
/// manifest as it is copied; `chown` is applied to each directory and file made. On any
/// difference the entry is deleted and [`CacheError::Corrupt`] returned (`data` is left for
/// the caller to delete). `Ok(false)`: there is no such entry.
pub fn restore(cache: &Path, key: &str, data: &Path, chown: Chown) -> Result<bool, CacheError> {
    let entry = entry(cache, key);
    if !entry.join(MANIFEST).exists() {
        return Ok(false);
    }
    let corrupt = |what: String| {
        let _ = std::fs::remove_dir_all(&entry);
        CacheError::Corrupt { entry: entry.display().to_string(), what }
    };
    let manifest = std::fs::read_to_string(entry.join(MANIFEST)).map_err(io_at(&entry))?;
    let expected = parse_manifest(&manifest).map_err(&corrupt)?;
    let mut copied = Vec::new();
    copy_tree(&entry.join(DATA), data, &mut copied, chown).map_err(|e| match e {
        CacheError::Io { path, source } if path.starts_with(&entry.display().to_string()) => {
            corrupt(format!("reading {path}: {source}"))
        }
        other => other,
    })?;
    copied.sort_by(|a, b| a.path.cmp(&b.path));
    if let Some(what) = difference(&expected, &copied) {
        return Err(corrupt(what));
    }
    // Its last use, for pruning.
    let _ = std::fs::File::open(entry.join(MANIFEST)).and_then(|f| f.set_modified(std::time::SystemTime::now()));
    Ok(true)
}

/// What differs between the manifest and the files found, in words; `None`: nothing.
fn difference(expected: &[Manifested], found: &[Manifested]) -> Option<String> {
    for e in expected {
        match found.iter().find(|f| f.path == e.path) {
            None => return Some(format!("{} is missing", e.path)),
            Some(f) if f.size != e.size => return Some(format!("{} has {} bytes, the manifest says {}", e.path, f.size, e.size)),
            Some(f) if f.sha256 != e.sha256 => return Some(format!("{}'s SHA-256 differs from the manifest's", e.path)),
            Some(_) => {}
        }
    }
    found.iter().find(|f| !expected.iter().any(|e| e.path == f.path)).map(|f| format!("{} is not in the manifest", f.path))
}

fn render_manifest(files: &[Manifested]) -> String {
    let mut text = String::from("pgstage baseline cache manifest 1\n");
    for f in files {
        text += &format!("{} {} {}\n", f.sha256, f.size, f.path);
    }
    let seal = hex(&Sha256::digest(text.as_bytes()));
    text + &format!("end {seal}\n")
}

fn parse_manifest(text: &str) -> Result<Vec<Manifested>, String> {
    let body_end = text.rfind("end ").ok_or("the manifest has no end line")?;
    let (body, end) = text.split_at(body_end);
    let seal = end.trim_start_matches("end ").trim();
    if hex(&Sha256::digest(body.as_bytes())) != seal {
        return Err("the manifest's own checksum differs".into());
    }
    let mut lines = body.lines();
    if lines.next() != Some("pgstage baseline cache manifest 1") {
        return Err("the manifest's first line is not pgstage's".into());
    }
    lines
        .map(|line| {
            let mut parts = line.splitn(3, ' ');
            let (Some(sha256), Some(size), Some(path)) = (parts.next(), parts.next(), parts.next()) else {
                return Err(format!("a manifest line reads {line:?}"));
            };
            let size = size.parse().map_err(|_| format!("a manifest line reads {line:?}"))?;
            Ok(Manifested { path: path.to_owned(), size, sha256: sha256.to_owned() })
        })
        .collect()
}

fn make_dir(dir: &Path) -> Result<(), CacheError> {
    std::fs::DirBuilder::new().mode(private_files::DIR_MODE).create(dir).map_err(io_at(dir))
}

/// A file's owner change after its copy (the sandbox's server runs as another user).
pub type Chown<'a> = &'a (dyn Fn(&Path) -> std::io::Result<()> + Sync);

/// Copy the tree `from` into the new directory `to` (0700 directories, 0600 files), hashing
/// every file as it is copied; symbolic links and other special files are refused. The
/// directories are made first, then the files are copied by a few threads (a seeded cluster is
/// thousands of small files: one thread waits on each in turn).
fn copy_tree(from: &Path, to: &Path, files: &mut Vec<Manifested>, chown: Chown) -> Result<(), CacheError> {
    let mut plain = Vec::new();
    list_tree(from, to, Path::new(""), &mut plain, chown)?;
    let next = std::sync::atomic::AtomicUsize::new(0);
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(2, 4);
    let copied: Vec<Result<Vec<Manifested>, CacheError>> = std::thread::scope(|scope| {
        let copy = || {
            let mut buffer = vec![0u8; 1 << 18];
            let mut done = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some((source, target, rel)) = plain.get(i) else { return Ok(done) };
                let (size, sha256) = copy_file(source, target, &mut buffer)?;
                chown(target).map_err(io_at(target))?;
                done.push(Manifested { path: rel.to_string_lossy().into_owned(), size, sha256 });
            }
        };
        let handles: Vec<_> = (0..workers).map(|_| scope.spawn(copy)).collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err(io_at(to)(std::io::Error::other("a copy thread panicked")))))
            .collect()
    });
    for part in copied {
        files.extend(part?);
    }
    Ok(())
}

/// Make the directories of the tree `from` under `to`, and list its plain files (source,
/// target, path relative to the tree's root).
fn list_tree(
    from: &Path,
    to: &Path,
    relative: &Path,
    plain: &mut Vec<(PathBuf, PathBuf, PathBuf)>,
    chown: Chown,
) -> Result<(), CacheError> {
    make_dir(to)?;
    chown(to).map_err(io_at(to))?;
    for item in std::fs::read_dir(from).map_err(io_at(from))? {
        let item = item.map_err(io_at(from))?;
        let source = item.path();
        let kind = item.file_type().map_err(io_at(&source))?;
        let name = item.file_name();
        let target = to.join(&name);
        let rel = relative.join(&name);
        if kind.is_dir() {
            list_tree(&source, &target, &rel, plain, chown)?;
        } else if kind.is_file() {
            plain.push((source, target, rel));
        } else {
            return Err(CacheError::Io {
                path: source.display().to_string(),
                source: std::io::Error::other("not a plain file or directory"),
            });
        }
    }
    Ok(())
}

fn copy_file(from: &Path, to: &Path, buffer: &mut [u8]) -> Result<(u64, String), CacheError> {
    let mut source = std::fs::File::open(from).map_err(io_at(from))?;
    let mut target =
        std::fs::OpenOptions::new().write(true).create_new(true).mode(private_files::FILE_MODE).open(to).map_err(io_at(to))?;
    let mut hash = Sha256::new();
    let mut size = 0u64;
    loop {
        let n = source.read(buffer).map_err(io_at(from))?;
        if n == 0 {
            break;
        }
        hash.update(&buffer[..n]);
        target.write_all(&buffer[..n]).map_err(io_at(to))?;
        size += n as u64;
    }
    Ok((size, hex(&hash.finalize())))
}

/// Delete the least recently used entries beyond [`KEEP`], and building directories of
/// processes that are gone.
fn prune(cache: &Path) {
    let Ok(items) = std::fs::read_dir(cache) else { return };
    let mut entries = Vec::new();
    for item in items.filter_map(Result::ok) {
        let name = item.file_name().to_string_lossy().into_owned();
        if let Some(rest) = name.strip_prefix(".building-") {
            let owner = rest.split('-').next().and_then(|p| p.parse::<i32>().ok());
            if owner.is_some_and(|pid| !super::cleanup::alive(pid)) {
                let _ = std::fs::remove_dir_all(item.path());
            }
            continue;
        }
        if name.len() == 64 && name.bytes().all(|b| b.is_ascii_hexdigit()) {
            let used = std::fs::metadata(item.path().join(MANIFEST)).and_then(|m| m.modified()).ok();
            entries.push((used, item.path()));
        }
    }
    entries.sort_by_key(|e| std::cmp::Reverse(e.0));
    for (_, path) in entries.into_iter().skip(KEEP) {
        let _ = std::fs::remove_dir_all(path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(what: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("pgstage-baseline-cache-{what}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    fn tree(root: &Path) {
        std::fs::create_dir_all(root.join("base/1")).unwrap();
        std::fs::write(root.join("PG_VERSION"), "15\n").unwrap();
        std::fs::write(root.join("base/1/1259"), vec![7u8; 300_000]).unwrap();
    }

    #[test]
    fn an_entry_restores_exactly_and_privately() {
        use std::os::unix::fs::PermissionsExt;
        let root = scratch("roundtrip");
        tree(&root.join("src"));
        let cache = root.join("cache");
        save(&cache, &"a".repeat(64), &root.join("src")).unwrap();
        let restored = root.join("restored");
        assert!(restore(&cache, &"a".repeat(64), &restored, &|_: &Path| Ok(())).unwrap());
        assert_eq!(std::fs::read(restored.join("base/1/1259")).unwrap(), vec![7u8; 300_000]);
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!((mode(&cache), mode(&entry(&cache, &"a".repeat(64)))), (0o700, 0o700));
        assert_eq!(mode(&entry(&cache, &"a".repeat(64)).join("data/base/1/1259")), 0o600);
        assert_eq!(mode(&restored.join("base")), 0o700);
        assert!(!restore(&cache, &"b".repeat(64), &root.join("none"), &|_: &Path| Ok(())).unwrap(), "no such entry");
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn every_kind_of_damage_is_found_and_the_entry_deleted() {
        let key = "c".repeat(64);
        type Damage<'a> = (&'a str, &'a dyn Fn(&Path));
        let damages: [Damage; 5] = [
            ("differs", &|e| std::fs::write(e.join("data/base/1/1259"), vec![8u8; 300_000]).unwrap()),
            ("bytes", &|e| std::fs::write(e.join("data/PG_VERSION"), "15\n\n").unwrap()),
            ("missing", &|e| std::fs::remove_file(e.join("data/PG_VERSION")).unwrap()),
            ("not in the manifest", &|e| std::fs::write(e.join("data/base/1/extra"), "x").unwrap()),
            ("own checksum", &|e| {
                let m = std::fs::read_to_string(e.join(MANIFEST)).unwrap();
                std::fs::write(e.join(MANIFEST), m.replacen(" 3 PG_VERSION", " 4 PG_VERSION", 1)).unwrap()
            }),
        ];
        for (says, damage) in damages {
            let root = scratch("damage");
            tree(&root.join("src"));
            let cache = root.join("cache");
            save(&cache, &key, &root.join("src")).unwrap();
            damage(&entry(&cache, &key));
            let err = restore(&cache, &key, &root.join("restored"), &|_: &Path| Ok(())).unwrap_err().to_string();
            assert!(err.contains("is corrupted") && err.contains(says), "{says}: {err}");
            assert!(!entry(&cache, &key).exists(), "{says}: the corrupted entry is deleted");
            std::fs::remove_dir_all(&root).unwrap();
        }
    }
}
