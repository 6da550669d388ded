//! Files only their owner can read: pgstage's state (the rehearsals on record, the window's
//! settings with its recent plans and connections) is created with mode 0700 for directories
//! and 0600 for files, whatever the umask, and written atomically (a 0600 temporary file in
//! the same directory, then a rename). Reports do not go through here: they are meant to be
//! shared, and are written with the user's umask.

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Mode of a directory only its owner can enter.
pub const DIR_MODE: u32 = 0o700;
/// Mode of a file only its owner can read.
pub const FILE_MODE: u32 = 0o600;

/// Make `dir` (and its missing parents, with the umask, as `mkdir -p` would) and give `dir`
/// itself mode 0700. An existing `dir` of this user's is made 0700 too; one of another user's
/// is left as it is.
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    match std::fs::DirBuilder::new().mode(DIR_MODE).create(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && dir.is_dir() => {
            if std::fs::metadata(dir)?.uid() != euid() {
                return Ok(());
            }
        }
        Err(e) => return Err(e),
    }
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(DIR_MODE))
}

/// Replace `path` with `bytes` atomically; the file has mode 0600 (its directory is made
/// private with [`private_dir`]).
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    private_dir(dir)?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temporary = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let written = (|| {
        let _ = std::fs::remove_file(&temporary);
        let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(FILE_MODE).open(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

/// Make sure `path` exists with mode 0600 in a private directory, for a program that writes it
/// by truncating it (which keeps its mode): created holding `initial` when missing.
pub fn private_file(path: &Path, initial: &[u8]) -> std::io::Result<()> {
    if path.symlink_metadata().is_err() {
        return write_private(path, initial);
    }
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    private_dir(dir)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(FILE_MODE))
}

fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;
    use std::path::{Path, PathBuf};

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    fn scratch(what: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("pgstage-private-{what}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn a_private_file_and_its_directory_are_the_owners_only() {
        let root = scratch("write");
        let file = root.join("state/pgstage/rehearsals.json");
        super::write_private(&file, b"{}").unwrap();
        assert_eq!((mode(file.parent().unwrap()), mode(&file)), (0o700, 0o600));
        assert_eq!(std::fs::read(&file).unwrap(), b"{}");
        // Written again: replaced, still 0600, no temporary file left.
        super::write_private(&file, b"{\"a\":1}").unwrap();
        assert_eq!(mode(&file), 0o600);
        assert_eq!(std::fs::read_dir(file.parent().unwrap()).unwrap().count(), 1);
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn an_existing_directory_and_file_are_made_private() {
        let root = scratch("tighten");
        let dir = root.join("pgstage");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let file = dir.join("app.ron");
        std::fs::write(&file, "{\"k\":\"v\"}").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        super::private_file(&file, b"{}").unwrap();
        assert_eq!((mode(&dir), mode(&file)), (0o700, 0o600));
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "{\"k\":\"v\"}", "kept as it was");
        let missing = dir.join("new.ron");
        super::private_file(&missing, b"{}").unwrap();
        assert_eq!((mode(&missing), std::fs::read_to_string(&missing).unwrap().as_str()), (0o600, "{}"));
        std::fs::remove_dir_all(&root).unwrap();
    }
}
