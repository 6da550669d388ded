//! Migration sources: the files of a migrations folder, read the way the tool that wrote
//! them reads them. Numbered files (`013_name.sql`), Flyway (`V1_2__name.sql`, undo
//! `U1_2__name.sql`), golang-migrate (`000001_name.up.sql` / `.down.sql`) and Sqitch
//! (`sqitch.plan` with `deploy/`, `revert/`, `verify/`, where its `sqitch.conf` puts them:
//! `top_dir`, `plan_file`, `deploy_dir`…); their naming rules are
//! [`crate::db::layout`]. Each file is read by the one reader ([`SqlFile`]): CRLF line ends
//! and a byte-order mark are fine. A folder holding a version for several databases gives the
//! PostgreSQL file of each (`.postgres.` over a plain one shared by all); no file is dropped
//! silently: every file not read is listed with the reason ([`LeftOut`]).

use std::path::{Path, PathBuf};

pub use crate::db::layout::Layout;
use crate::db::layout::{Dialect, Direction, FileName, VersionKey, same_version};
use crate::db::migration_file::{self, FileError, SqlFile};

/// What a file does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MigrationKind {
    /// Applies a change (there is no down file).
    Simple,
    /// Applies a change that has a down file.
    Up,
    /// Reverts one.
    Down,
}

/// One migration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationFile {
    /// `013`, `1.2`, `000001`, or the Sqitch change's name.
    pub version: String,
    pub description: String,
    pub kind: MigrationKind,
    pub path: PathBuf,
    /// SHA-256 of the file's bytes, as the ledger records it.
    pub checksum: String,
    /// Holds a statement that cannot run in a transaction (`CREATE INDEX CONCURRENTLY`…).
    pub non_transactional: bool,
}

/// A migrations folder, read.
#[derive(Debug, Clone)]
pub struct Sources {
    pub layout: Layout,
    pub dir: PathBuf,
    /// The changes in the order they apply.
    pub migrations: Vec<MigrationFile>,
    /// Down (revert) files, by the version of the change they revert.
    pub downs: Vec<MigrationFile>,
    /// Sqitch verify scripts, by change.
    pub verify: Vec<(String, PathBuf)>,
    /// A hand-written rollback script of the folder (`rollback.sql`).
    pub rollback: Option<PathBuf>,
    /// A sample-data script (`sample_data.sql`), for a baseline folder.
    pub sample_data: Option<PathBuf>,
    /// The folder's files that are none of these (listed in the draft, not used), and why.
    pub ignored: Vec<LeftOut>,
}

/// A file of the folder that is not read, and why (in words: "written for mysql").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeftOut {
    pub path: PathBuf,
    pub why: String,
}

impl std::fmt::Display for LeftOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.why)
    }
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    /// A file of the folder (or the folder itself) that cannot be read, in the reader's words.
    #[error(transparent)]
    File(#[from] FileError),
    #[error("{}: no migration file (numbered, Flyway V<n>__name.sql, golang-migrate .up.sql, or sqitch.plan)", dir.display())]
    Empty { dir: PathBuf },
    #[error("version {version} twice: {} and {}", first.display(), second.display())]
    Duplicate { version: String, first: PathBuf, second: PathBuf },
    #[error("{}:{line}: {message}", path.display())]
    SqitchPlan { path: PathBuf, line: usize, message: String },
}

fn file(path: &Path, version: String, description: String, kind: MigrationKind) -> Result<MigrationFile, SourceError> {
    let autocommit = FileName::parse(&path.file_name().unwrap_or_default().to_string_lossy()).autocommit;
    let sql = SqlFile::read(path)?;
    let non_transactional = sql.non_transactional() || autocommit;
    Ok(MigrationFile { version, description, kind, path: sql.file, checksum: sql.checksum, non_transactional })
}

/// Read the migrations folder `dir`.
pub fn discover(dir: &Path) -> Result<Sources, SourceError> {
    let read = |e: std::io::Error| SourceError::File(FileError::Read { path: dir.to_owned(), source: e });
    let mut sources = Sources {
        layout: Layout::Numbered,
        dir: dir.to_owned(),
        migrations: vec![],
        downs: vec![],
        verify: vec![],
        rollback: None,
        sample_data: None,
        ignored: vec![],
    };
    if dir.join("sqitch.plan").is_file() || dir.join("sqitch.conf").is_file() {
        sqitch(&mut sources)?;
        return Ok(sources);
    }
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read)?.filter_map(Result::ok).filter(|e| e.path().is_file()) {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.to_lowercase().ends_with(".sql") {
            names.push(name);
        } else if !name.starts_with('.') {
            sources.ignored.push(LeftOut { path: entry.path(), why: "not a .sql file".into() });
        }
    }
    names.sort();
    sources.layout = Layout::of(&names);
    // Up and down files by version, each with the database it is written for.
    let mut ups: Vec<(VersionKey, FileName, PathBuf)> = Vec::new();
    let mut downs = Vec::new();
    for name in names {
        let path = dir.join(&name);
        if !sources.layout.names_migration(&name) {
            let lower = name.to_lowercase();
            if lower.starts_with("rollback") && sources.rollback.is_none() {
                sources.rollback = Some(path);
            } else if lower.starts_with("sample_data") && sources.sample_data.is_none() {
                sources.sample_data = Some(path);
            } else {
                let why = "not a migration (no version in its name)".to_owned();
                sources.ignored.push(LeftOut { path, why });
            }
            continue;
        }
        let parts = FileName::parse(&name);
        let f = (parts.order(), parts, path);
        if f.1.direction == Direction::Down { downs.push(f) } else { ups.push(f) }
    }
    for (direction, files) in [(Direction::Up, ups), (Direction::Down, downs)] {
        for (_, parts, path) in postgres_files(files, &mut sources.ignored)? {
            let kind = if direction == Direction::Down { MigrationKind::Down } else { MigrationKind::Simple };
            let f = file(&path, parts.version, parts.description, kind)?;
            if direction == Direction::Down { sources.downs.push(f) } else { sources.migrations.push(f) }
        }
    }
    for m in &mut sources.migrations {
        if sources.downs.iter().any(|d| same_version(&d.version, &m.version)) {
            m.kind = MigrationKind::Up;
        }
    }
    sources.ignored.sort_by(|a, b| a.path.cmp(&b.path));
    if sources.migrations.is_empty() {
        return Err(SourceError::Empty { dir: dir.to_owned() });
    }
    Ok(sources)
}

/// The files of one direction in version order, one per version: the PostgreSQL file
/// (`.postgres.`) over a plain one shared by all databases; the others are left out, with
/// the database they are for. Two PostgreSQL files of one version are an error.
fn postgres_files(
    mut files: Vec<(VersionKey, FileName, PathBuf)>,
    left_out: &mut Vec<LeftOut>,
) -> Result<Vec<(VersionKey, FileName, PathBuf)>, SourceError> {
    files.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.2.cmp(&b.2)));
    let mut out = Vec::new();
    let mut rest = files.as_slice();
    while let Some(first) = rest.first() {
        let n = rest.iter().take_while(|f| f.0 == first.0).count();
        let (group, tail) = rest.split_at(n);
        rest = tail;
        let rank = |f: &FileName| match f.dialect {
            Some(Dialect::Postgres) => 0,
            None => 1,
            Some(Dialect::Other(_)) => 2,
        };
        let best = group.iter().map(|f| rank(&f.1)).min().unwrap_or(2);
        let chosen: Vec<&(VersionKey, FileName, PathBuf)> = group.iter().filter(|f| rank(&f.1) == best && best < 2).collect();
        if let [a, b, ..] = chosen.as_slice() {
            return Err(SourceError::Duplicate { version: a.1.version.clone(), first: a.2.clone(), second: b.2.clone() });
        }
        for f in group {
            match (chosen.first(), &f.1.dialect) {
                (Some(c), _) if c.2 == f.2 => out.push(f.clone()),
                (_, Some(Dialect::Other(db))) => {
                    left_out.push(LeftOut { path: f.2.clone(), why: format!("written for {db}, not PostgreSQL") })
                }
                (c, _) => {
                    let own = c.map(|c| c.2.file_name().unwrap_or_default().to_string_lossy().into_owned()).unwrap_or_default();
                    let why = format!("version {} has a PostgreSQL file of its own: {own}", f.1.version);
                    left_out.push(LeftOut { path: f.2.clone(), why });
                }
            }
        }
    }
    Ok(out)
}

/// Where a Sqitch project keeps its files, as `sqitch.conf` says (`[core]`, overridden by
/// `[engine "pg"]`): `top_dir` (default the project's folder), `plan_file`
/// (`top_dir/sqitch.plan`), `deploy_dir`, `revert_dir`, `verify_dir` (`top_dir/deploy`…) and
/// the scripts' `extension` (`sql`); paths relative to the folder of `sqitch.conf`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SqitchDirs {
    plan: PathBuf,
    deploy: PathBuf,
    revert: PathBuf,
    verify: PathBuf,
    extension: String,
}

impl SqitchDirs {
    fn read(dir: &Path) -> Result<SqitchDirs, SourceError> {
        let conf = dir.join("sqitch.conf");
        let text = if conf.is_file() { migration_file::read_text(&conf)?.1 } else { String::new() };
        let mut settings: Vec<(String, String, String, usize)> = Vec::new(); // (section, key, value, line)
        let mut section = String::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
                continue;
            }
            if let Some(head) = line.strip_prefix('[').and_then(|l| l.split(']').next()) {
                // `[engine "pg"]` and `[engine.pg]` alike.
                section = head.replace('"', "").split_whitespace().collect::<Vec<_>>().join(".").to_lowercase();
                continue;
            }
            let (key, value) = line.split_once('=').unwrap_or((line, "true"));
            let value = value.split(" #").next().unwrap_or_default().trim().trim_matches('"').to_owned();
            settings.push((section.clone(), key.trim().to_lowercase(), value, i + 1));
        }
        if let Some((section, key, _, line)) =
            settings.iter().find(|(s, ..)| s.ends_with("variables") && (s.starts_with("deploy") || s.starts_with("core")))
        {
            let message = format!(
                "[{section}] {key}: variables Sqitch passes to psql are not read by pgstage; set them in the scripts with \\set"
            );
            return Err(SourceError::SqitchPlan { path: conf, line: *line, message });
        }
        let get = |key: &str| {
            let of =
                |section: &str| settings.iter().rev().find(|(s, k, ..)| s == section && k == key).map(|(.., v, _)| v.clone());
            of("engine.pg").or_else(|| of("core"))
        };
        // Paths as the folder's own (no `./` in what the draft writes).
        let under = |base: &Path, p: &str| {
            Path::new(p).components().filter(|c| *c != std::path::Component::CurDir).fold(base.to_path_buf(), |b, c| b.join(c))
        };
        let top = under(dir, &get("top_dir").unwrap_or_default());
        let at = |key: &str, default: &str| get(key).map_or_else(|| top.join(default), |p| under(dir, &p));
        Ok(SqitchDirs {
            plan: at("plan_file", "sqitch.plan"),
            deploy: at("deploy_dir", "deploy"),
            revert: at("revert_dir", "revert"),
            verify: at("verify_dir", "verify"),
            extension: get("extension").unwrap_or_else(|| "sql".into()),
        })
    }
}

/// `sqitch.plan`: one change a line (`name [deps] date planner <email> # note`), `%`
/// pragmas and `@tags` skipped; scripts in the deploy, revert and verify folders
/// `sqitch.conf` names ([`SqitchDirs`]).
fn sqitch(sources: &mut Sources) -> Result<(), SourceError> {
    sources.layout = Layout::Sqitch;
    let dirs = SqitchDirs::read(&sources.dir)?;
    let plan = dirs.plan.clone();
    let (_, text) = migration_file::read_text(&plan)?;
    let script = |folder: &Path, name: &str| folder.join(format!("{name}.{}", dirs.extension));
    let shown = |p: &Path| p.strip_prefix(&sources.dir).unwrap_or(p).display().to_string();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('%') || line.starts_with('@') || line.starts_with('#') {
            continue;
        }
        let name = line.split_whitespace().next().unwrap_or_default().trim_start_matches('+');
        if line.starts_with('-') {
            return Err(SourceError::SqitchPlan {
                path: plan,
                line: i + 1,
                message: format!("change {name} is reworked or removed (`-`): not supported, draft from a plan without it"),
            });
        }
        let note = line.split_once(" # ").map_or(String::new(), |(_, n)| n.trim().to_owned());
        let description = if note.is_empty() { name.replace(['_', '-'], " ") } else { note };
        let deploy = script(&dirs.deploy, name);
        if !deploy.is_file() {
            return Err(SourceError::SqitchPlan { path: plan, line: i + 1, message: format!("no {}", shown(&deploy)) });
        }
        let revert = script(&dirs.revert, name);
        let kind = if revert.is_file() { MigrationKind::Up } else { MigrationKind::Simple };
        sources.migrations.push(file(&deploy, name.to_owned(), description.clone(), kind)?);
        if revert.is_file() {
            sources.downs.push(file(&revert, name.to_owned(), description, MigrationKind::Down)?);
        }
        let verify = script(&dirs.verify, name);
        if verify.is_file() {
            sources.verify.push((name.to_owned(), verify));
        }
    }
    if sources.migrations.is_empty() {
        return Err(SourceError::Empty { dir: sources.dir.clone() });
    }
    Ok(())
}

impl Sources {
    /// The down file of the change `version`.
    pub fn down_of(&self, version: &str) -> Option<&MigrationFile> {
        self.downs.iter().find(|d| same_version(&d.version, version))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::ledger;

    fn folder(what: &str, files: &[(&str, &str)]) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("pgstage-sources-{what}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for (name, text) in files {
            let path = dir.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn errors_name_the_file() {
        let empty = folder("empty", &[("notes.sql", "SELECT 1;")]);
        assert!(matches!(discover(&empty), Err(SourceError::Empty { .. })));
        let twice = folder("twice", &[("1_a.sql", "SELECT 1;"), ("01_b.sql", "SELECT 2;")]);
        let e = discover(&twice).unwrap_err();
        assert!(matches!(e, SourceError::Duplicate { ref version, .. } if version == "01" || version == "1"), "{e}");
        let sqitch = folder("sqitch", &[("sqitch.plan", "%project=x\n\nusers 2024-01-01T00:00:00Z A <a@b>\n")]);
        assert_eq!(
            discover(&sqitch).unwrap_err().to_string(),
            format!("{}:3: no deploy/users.sql", sqitch.join("sqitch.plan").display())
        );
        let split = folder("split", &[("001_open.sql", "SELECT 'never closed;")]);
        assert!(matches!(discover(&split), Err(SourceError::File(FileError::Split { .. }))));
        for d in [empty, twice, sqitch, split] {
            std::fs::remove_dir_all(d).unwrap();
        }
    }

    #[test]
    fn sqitch_conf_says_where_the_files_are() {
        let conf =
            "[core]\n\tengine = pg\n\ttop_dir = ./db\n[engine \"pg\"]\n\tdeploy_dir = db/changes # ours\n\textension = psql\n";
        let dir = folder("conf", &[("sqitch.conf", conf)]);
        let dirs = SqitchDirs::read(&dir).unwrap();
        assert_eq!(dirs.plan, dir.join("db/sqitch.plan"));
        assert_eq!(
            (dirs.deploy, dirs.revert, dirs.verify),
            (dir.join("db/changes"), dir.join("db/revert"), dir.join("db/verify"))
        );
        assert_eq!(dirs.extension, "psql");
        std::fs::write(dir.join("sqitch.conf"), "[core]\n[deploy \"variables\"]\n  schema = app\n").unwrap();
        let e = SqitchDirs::read(&dir).unwrap_err().to_string();
        assert!(e.ends_with("sqitch.conf:3: [deploy.variables] schema: variables Sqitch passes to psql are not read by pgstage; set them in the scripts with \\set"), "{e}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_concurrent_index_is_non_transactional_and_a_bom_is_no_sql() {
        let dir = folder(
            "ntx",
            &[("001_idx.sql", "\u{feff}CREATE INDEX CONCURRENTLY i ON t (c);\r\n"), ("002_t.sql", "CREATE TABLE u ();")],
        );
        let s = discover(&dir).unwrap();
        assert_eq!(s.layout, Layout::Numbered);
        assert_eq!(s.migrations.iter().map(|m| m.non_transactional).collect::<Vec<_>>(), [true, false]);
        assert_eq!(s.migrations[0].checksum, ledger::checksum(&std::fs::read(dir.join("001_idx.sql")).unwrap()), "of the bytes");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
