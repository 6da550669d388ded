//! The layouts of a migrations folder and how each names its files: numbered
//! (`013_name.sql`), Flyway (`V1_2__name.sql`, undo `U1_2__name.sql`), golang-migrate
//! (`000001_name.up.sql` / `.down.sql`) and Sqitch (changes named in `sqitch.plan`). The
//! version, description and direction a file name says ([`FileName`]), and when two versions
//! are the same ([`same_version`]), in what order versions of any length go ([`VersionKey`]),
//! and which database a file is written for ([`Dialect`], golang-migrate folders holding one
//! file per database): for reading a folder (`draft::sources`) and for the ids and titles a
//! plan leaves out (`plan::defaults`).

/// How a folder names its migrations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    Numbered,
    Flyway,
    GolangMigrate,
    Sqitch,
}

impl Layout {
    pub fn name(self) -> &'static str {
        match self {
            Layout::Numbered => "numbered files",
            Layout::Flyway => "Flyway",
            Layout::GolangMigrate => "golang-migrate",
            Layout::Sqitch => "Sqitch",
        }
    }

    /// The layout of a folder of `.sql` files named `names`, decided from all of them (Sqitch
    /// is told by its `sqitch.plan`, not by names): golang-migrate when every numbered file
    /// says up or down; numbered files when only some do (`.up.sql` and `.down.sql` are still
    /// read as up and down, the others as changes without a down file).
    pub fn of(names: &[String]) -> Layout {
        let numbered: Vec<&String> = names.iter().filter(|n| n.starts_with(|c: char| c.is_ascii_digit())).collect();
        let directed = |n: &str| n.ends_with(".up.sql") || n.ends_with(".down.sql");
        if numbered.iter().any(|n| n.ends_with(".up.sql")) && numbered.iter().all(|n| directed(n)) {
            Layout::GolangMigrate
        } else if names.iter().any(|n| flyway(n)) {
            Layout::Flyway
        } else {
            Layout::Numbered
        }
    }

    /// Whether the file `name` is one of this layout's migrations (up or down), not another
    /// file of the folder.
    pub fn names_migration(self, name: &str) -> bool {
        let belongs = match self {
            Layout::Flyway => flyway(name),
            Layout::GolangMigrate => name.ends_with(".up.sql") || name.ends_with(".down.sql"),
            _ => true,
        };
        belongs && FileName::parse(name).version.chars().next().is_some_and(|c| c.is_ascii_digit())
    }
}

/// Flyway's `V<version>__<description>.sql` and `U…` (undo).
fn flyway(name: &str) -> bool {
    (name.starts_with('V') || name.starts_with('U')) && name.contains("__")
}

/// A migration file's name, read as migration tools write it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileName {
    /// `013`, `1.2` (Flyway `V1_2__…`), `000001`; the stem when there is no number.
    pub version: String,
    /// The rest, words separated by spaces: `create positioning campaigns`.
    pub description: String,
    /// `.up.sql` / `.down.sql` (golang-migrate), Flyway's `U…` undo files.
    pub direction: Direction,
    /// The database the file is written for (`….postgres.up.sql`), when it says one.
    pub dialect: Option<Dialect>,
    /// `….autocommit.up.sql`: to run outside a transaction.
    pub autocommit: bool,
}

/// The database a golang-migrate file is written for, as its name says
/// (`…_name.postgres.up.sql`, `…_name.mysql.up.sql`); a file that names none is shared by all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dialect {
    /// `postgres`, `postgresql`, `pg`: the one pgstage runs.
    Postgres,
    /// Another database (`mysql`, `sqlite3`, `cockroach`…), by the name the file gives it.
    Other(String),
}

impl Dialect {
    /// The database a name segment stands for (`postgres`, `mysql`), if it is one.
    fn of(segment: &str) -> Option<Dialect> {
        const OTHERS: [&str; 12] = [
            "mysql",
            "mariadb",
            "sqlite",
            "sqlite3",
            "cockroach",
            "cockroachdb",
            "mssql",
            "sqlserver",
            "oracle",
            "clickhouse",
            "spanner",
            "tidb",
        ];
        let s = segment.to_ascii_lowercase();
        if matches!(s.as_str(), "postgres" | "postgresql" | "pg" | "pgsql") {
            Some(Dialect::Postgres)
        } else {
            OTHERS.contains(&s.as_str()).then_some(Dialect::Other(s))
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Up,
    Down,
}

impl FileName {
    pub fn parse(name: &str) -> FileName {
        let base = name.strip_suffix(".sql").unwrap_or(name);
        let (mut base, mut direction) = match (base.strip_suffix(".up"), base.strip_suffix(".down")) {
            (Some(b), _) => (b, Direction::Up),
            (_, Some(b)) => (b, Direction::Down),
            _ => (base, Direction::Up),
        };
        let autocommit = match base.strip_suffix(".autocommit") {
            Some(b) => {
                base = b;
                true
            }
            None => false,
        };
        let mut dialect = None;
        if let Some((b, segment)) = base.rsplit_once('.')
            && let Some(d) = Dialect::of(segment)
        {
            (base, dialect) = (b, Some(d));
        }
        let words = |s: &str| s.replace(['_', '-'], " ").split_whitespace().collect::<Vec<_>>().join(" ");
        // Flyway: V<version>__<description>, U<version>__ (undo).
        if let Some((head, desc)) = base.split_once("__")
            && let Some(kind) = head.chars().next().filter(|c| matches!(c, 'V' | 'U'))
            && head[1..].chars().next().is_some_and(|c| c.is_ascii_digit())
        {
            if kind == 'U' {
                direction = Direction::Down;
            }
            let version = head[1..].replace('_', ".");
            return FileName { version, description: words(desc), direction, dialect, autocommit };
        }
        let digits: String = base.chars().take_while(|c| c.is_ascii_digit()).collect();
        if digits.is_empty() {
            return FileName { version: base.to_owned(), description: words(base), direction, dialect, autocommit };
        }
        let rest = base[digits.len()..].trim_start_matches(['_', '-', '.']);
        let description = if rest.is_empty() { base.to_owned() } else { words(rest) };
        FileName { version: digits, description, direction, dialect, autocommit }
    }

    /// The version as numbers, for ordering (`1.10` after `1.9`).
    pub fn order(&self) -> VersionKey {
        version_order(&self.version)
    }
}

/// A version as numbers of any length, for ordering and matching: `000001` is `1`, `1.10`
/// comes after `1.9`, and a 20-digit golang-migrate version (beyond a u64) is still a number.
/// A part that is not a number sorts after every number.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct VersionKey(Vec<Part>);

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Part {
    /// Digits without leading zeros: the longer is the larger, then compared as text.
    Number {
        len: usize,
        digits: String,
    },
    Text(String),
}

/// A version as numbers, for ordering and matching (`000001` is `1`, `1.10` after `1.9`).
pub fn version_order(version: &str) -> VersionKey {
    VersionKey(
        version
            .split('.')
            .map(|p| {
                if !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()) {
                    let digits = p.trim_start_matches('0');
                    Part::Number { len: digits.len(), digits: digits.to_owned() }
                } else {
                    Part::Text(p.to_owned())
                }
            })
            .collect(),
    )
}

/// The same version written two ways (`2` and `000002`, `1.1` and `1.01`), or the same name.
pub fn same_version(a: &str, b: &str) -> bool {
    let numeric = |v: &str| !v.is_empty() && v.split('.').all(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()));
    a == b || (numeric(a) && numeric(b) && version_order(a) == version_order(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_every_tool() {
        let f = FileName::parse("013_create_positioning_campaigns.sql");
        assert_eq!(
            (f.version.as_str(), f.description.as_str(), f.direction),
            ("013", "create positioning campaigns", Direction::Up)
        );
        let f = FileName::parse("V1_2__add_users.sql");
        assert_eq!((f.version.as_str(), f.description.as_str()), ("1.2", "add users"));
        let f = FileName::parse("000002_add_index.down.sql");
        assert_eq!((f.version.as_str(), f.direction), ("000002", Direction::Down));
        assert_eq!(FileName::parse("V1_10__x.sql").order(), version_order("1.10"));
        assert_eq!(FileName::parse("rollback.sql").version, "rollback");
    }

    #[test]
    fn a_folder_names_its_layout_and_its_migrations() {
        let names = |n: &[&str]| n.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(Layout::of(&names(&["000001_a.up.sql", "000001_a.down.sql"])), Layout::GolangMigrate);
        assert_eq!(Layout::of(&names(&["V1__a.sql", "rollback.sql"])), Layout::Flyway);
        assert_eq!(Layout::of(&names(&["001_a.sql", "sample_data.sql"])), Layout::Numbered);
        assert!(Layout::Flyway.names_migration("U1_1__a.sql"));
        assert!(!Layout::Flyway.names_migration("001_a.sql"));
        assert!(!Layout::GolangMigrate.names_migration("000001_a.sql"));
        assert!(Layout::Numbered.names_migration("001_a.sql"));
        assert!(!Layout::Numbered.names_migration("rollback.sql"));
    }

    #[test]
    fn versions_written_two_ways() {
        assert!(same_version("2", "000002") && same_version("1.1", "1.01") && same_version("users", "users"));
        assert!(!same_version("1.1", "1.10") && !same_version("2", "x2"));
        assert!(version_order("1.9") < version_order("1.10"));
    }

    #[test]
    fn versions_of_any_length() {
        let (a, b) = ("20150100000001000000", "20150100000002000000");
        assert!(version_order(a) < version_order(b) && !same_version(a, b), "beyond a u64, still two versions");
        assert!(version_order("99999999999999999999") < version_order("100000000000000000000"));
        assert!(same_version("000000000000000000000042", "42"));
        assert!(version_order("9") < version_order("10") && version_order("10") < version_order("x"));
    }

    #[test]
    fn a_file_names_its_database() {
        let f = FileName::parse("20210101000000000000_networks.postgres.up.sql");
        assert_eq!((f.version.as_str(), f.description.as_str()), ("20210101000000000000", "networks"));
        assert_eq!((f.dialect, f.autocommit, f.direction), (Some(Dialect::Postgres), false, Direction::Up));
        let f = FileName::parse("20210101000000000000_networks.mysql.down.sql");
        assert_eq!((f.dialect, f.direction), (Some(Dialect::Other("mysql".into())), Direction::Down));
        let f = FileName::parse("2_idx.autocommit.up.sql");
        assert_eq!((f.description.as_str(), f.dialect, f.autocommit), ("idx", None, true));
        let f = FileName::parse("3_v1.2_release.up.sql");
        assert_eq!((f.description.as_str(), f.dialect), ("v1.2 release", None), "a dot that names no database");
    }

    #[test]
    fn mixed_names_are_numbered_files() {
        let names = |n: &[&str]| n.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(Layout::of(&names(&["001_a.up.sql", "002_b.sql"])), Layout::Numbered);
        assert_eq!(Layout::of(&names(&["001_a.up.sql", "001_a.down.sql", "notes.sql"])), Layout::GolangMigrate);
    }
}
