//! The one reader of a migration file (a migration, a rollback, a baseline or sample-data
//! script): its bytes read and checksummed as the ledger records them, its text strict UTF-8
//! without the byte-order mark some editors write (CRLF kept: the splitter reads both), split
//! into statements as psql would (its meta-commands followed: `\set` and its variables,
//! `\if`, `\ir`…; see [`split::psql`]), each statement that cannot run in a transaction
//! marked. Its checksum covers the files it includes (`\i` / `\ir`,
//! [`ledger::migration_checksum`]): a changed included file is a changed migration.
//! Every caller (the engine, `init`, the sandbox's seeding) reads through [`SqlFile::read`]
//! and gets a [`FileError`] naming the file.

use std::path::{Path, PathBuf};

use super::ledger;
use super::split::psql::IncludedFile;
use super::split::{self, SplitError, Statement};

/// A migration file read, checksummed and split, before anything runs.
#[derive(Debug, Clone, Default)]
pub struct SqlFile {
    /// The file as read.
    pub file: PathBuf,
    /// The path as shown in messages (relative to the working directory when read so).
    pub shown: String,
    /// The text, without a byte-order mark.
    pub script: String,
    /// What the ledger records ([`ledger::migration_checksum`]): the SHA-256 of the file's
    /// bytes (byte-order mark and all), or with its includes, of theirs too.
    pub checksum: String,
    /// SHA-256 of the file's own bytes (`checksum` when it includes nothing).
    pub own_checksum: String,
    /// The statements of `script`, as psql would send them.
    pub statements: Vec<Statement>,
    /// The files its `\i` / `\ir` read, in the order psql reads them.
    pub included: Vec<IncludedFile>,
    /// It holds psql meta-commands: `script` is not what the server is sent (`statements` are).
    pub meta_commands: bool,
}

/// Why a migration file cannot be read; each names the file as shown.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FileError {
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{}: not UTF-8 text", path.display())]
    NotText { path: PathBuf },
    #[error("{}:{}:{}: {}", split_at(path, source).0, split_at(path, source).1, split_at(path, source).2, split_at(path, source).3)]
    Split { path: PathBuf, source: SplitError },
}

impl SqlFile {
    /// Read `file`, named in messages as given.
    pub fn read(file: &Path) -> Result<SqlFile, FileError> {
        Self::read_shown(file, file)
    }

    /// Read `file`, named in messages relative to `cwd` when it lies under it.
    pub fn read_relative(file: &Path, cwd: &Path) -> Result<SqlFile, FileError> {
        Self::read_shown(file, file.strip_prefix(cwd).unwrap_or(file))
    }

    fn read_shown(file: &Path, shown: &Path) -> Result<SqlFile, FileError> {
        let (bytes, script) = read(file, shown)?;
        let followed =
            split::psql::follow(&script, file, shown).map_err(|source| FileError::Split { path: shown.to_owned(), source })?;
        let own_checksum = ledger::checksum(&bytes);
        Ok(SqlFile {
            file: file.to_owned(),
            shown: shown.display().to_string(),
            script,
            checksum: ledger::migration_checksum(&own_checksum, followed.included.iter().map(|f| f.sha256.as_str())),
            own_checksum,
            statements: followed.statements,
            included: followed.included,
            meta_commands: followed.meta_commands,
        })
    }

    /// Whether a statement of the file cannot run in a transaction (`CREATE INDEX
    /// CONCURRENTLY`…).
    pub fn non_transactional(&self) -> bool {
        self.statements.iter().any(|s| s.non_transactional.is_some())
    }
}

/// Where a split problem is: the file (the included one it is in, else `path`), line,
/// column, and what is wrong.
fn split_at(path: &Path, source: &SplitError) -> (String, usize, usize, String) {
    let (file, line, column, message) = source.located();
    (file.map_or_else(|| path.display().to_string(), str::to_owned), line, column, message)
}

/// A text file's bytes, and its text without a byte-order mark (CRLF kept): for files that
/// are read but not run (Sqitch's `sqitch.plan`, verify scripts).
pub fn read_text(path: &Path) -> Result<(Vec<u8>, String), FileError> {
    read(path, path)
}

fn read(file: &Path, shown: &Path) -> Result<(Vec<u8>, String), FileError> {
    let bytes = std::fs::read(file).map_err(|source| FileError::Read { path: shown.to_owned(), source })?;
    let text = std::str::from_utf8(&bytes).map_err(|_| FileError::NotText { path: shown.to_owned() })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text).to_owned();
    Ok((bytes, text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::split::NonTransactional;

    fn file(name: &str, bytes: &[u8]) -> PathBuf {
        let path = std::env::temp_dir().join(format!("pgstage-sql-file-{}-{name}", std::process::id()));
        std::fs::write(&path, bytes).unwrap();
        path
    }

    #[test]
    fn a_bom_is_no_sql_but_the_checksum_is_of_the_bytes() {
        let bytes = "\u{feff}CREATE TABLE a (id int);\r\nINSERT INTO a VALUES (1);\r\n".as_bytes();
        let path = file("bom.sql", bytes);
        let f = SqlFile::read(&path).unwrap();
        assert_eq!(f.script, "CREATE TABLE a (id int);\r\nINSERT INTO a VALUES (1);\r\n", "CRLF kept");
        assert_eq!(f.checksum, ledger::checksum(bytes));
        assert_ne!(f.checksum, ledger::checksum(f.script.as_bytes()));
        let at: Vec<(usize, usize)> = f.statements.iter().map(|s| (s.line, s.column)).collect();
        assert_eq!(at, [(1, 1), (2, 1)]);
        assert_eq!(f.statements[1].sql, "INSERT INTO a VALUES (1)");
        assert_eq!(f.shown, path.display().to_string());
        std::fs::remove_file(path).unwrap();
    }

    #[test]
    fn shown_relative_to_the_working_directory() {
        let path = file("relative.sql", b"SELECT 1;");
        let f = SqlFile::read_relative(&path, path.parent().unwrap()).unwrap();
        let name = path.file_name().unwrap().to_string_lossy();
        assert_eq!((f.shown.as_str(), f.file.as_path()), (name.as_ref(), path.as_path()));
        let e = SqlFile::read_relative(&path.with_file_name("pgstage-missing.sql"), path.parent().unwrap()).unwrap_err();
        assert!(e.to_string().starts_with("cannot read pgstage-missing.sql: "), "{e}");
        std::fs::remove_file(path).unwrap();
    }

    #[test]
    fn errors_name_the_file() {
        let latin1 = file("latin1.sql", b"SELECT 'caf\xe9';");
        let e = SqlFile::read(&latin1).unwrap_err();
        assert!(matches!(e, FileError::NotText { .. }));
        assert_eq!(e.to_string(), format!("{}: not UTF-8 text", latin1.display()));
        assert!(matches!(read_text(&latin1), Err(FileError::NotText { .. })));
        let open = file("open.sql", b"SELECT 'never closed;");
        let e = SqlFile::read(&open).unwrap_err();
        assert!(matches!(e, FileError::Split { .. }));
        assert_eq!(e.to_string(), format!("{}:1:8: unterminated quoted string", open.display()), "file:line:col first");
        let missing = latin1.with_file_name("no-such-file.sql");
        assert!(matches!(SqlFile::read(&missing), Err(FileError::Read { .. })));
        for f in [latin1, open] {
            std::fs::remove_file(f).unwrap();
        }
    }

    #[test]
    fn the_checksum_is_the_plain_sha256_without_includes_and_covers_the_included_files_with() {
        let dir = std::env::temp_dir().join(format!("pgstage-sql-file-include-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("seed")).unwrap();
        let plain = dir.join("plain.sql");
        let bytes = b"\\set n 3\nCREATE TABLE a (id int);\n\\if false\n\\ir seed/none.sql\n\\endif\n";
        std::fs::write(&plain, bytes).unwrap();
        let f = SqlFile::read(&plain).unwrap();
        assert_eq!(f.checksum, ledger::checksum(bytes), "no file read: the plain SHA-256, as the ledger always had");
        assert!(f.included.is_empty() && f.meta_commands);

        std::fs::write(dir.join("seed/data.sql"), "INSERT INTO a VALUES (1);\n").unwrap();
        let main = dir.join("main.sql");
        std::fs::write(&main, "CREATE TABLE a (id int);\n\\ir seed/data.sql\n").unwrap();
        let f = SqlFile::read(&main).unwrap();
        let own = ledger::checksum(&std::fs::read(&main).unwrap());
        let data = ledger::checksum(b"INSERT INTO a VALUES (1);\n");
        assert_eq!(f.own_checksum, own);
        assert_eq!(f.checksum, ledger::migration_checksum(&own, [data.as_str()]));
        assert_ne!(f.checksum, own);
        let listed: Vec<(&Path, u64)> = f.included.iter().map(|i| (i.file.as_path(), i.len)).collect();
        assert_eq!(listed, [(dir.join("seed/data.sql").as_path(), 26)]);
        std::fs::write(dir.join("seed/data.sql"), "INSERT INTO a VALUES (2);\n").unwrap();
        let changed = SqlFile::read(&main).unwrap();
        assert_ne!(changed.checksum, f.checksum, "only the included file changed");
        assert_eq!(changed.own_checksum, own);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_statement_that_cannot_run_in_a_transaction_is_marked() {
        let path = file("concurrently.sql", b"CREATE TABLE t (c int);\nCREATE INDEX CONCURRENTLY i ON t (c);\n");
        let f = SqlFile::read(&path).unwrap();
        let marks: Vec<_> = f.statements.iter().map(|s| s.non_transactional).collect();
        assert_eq!(marks, [None, Some(NonTransactional::CreateIndexConcurrently)]);
        assert!(f.non_transactional());
        std::fs::write(&path, "CREATE TABLE u ();").unwrap();
        assert!(!SqlFile::read(&path).unwrap().non_transactional());
        std::fs::remove_file(path).unwrap();
    }
}
