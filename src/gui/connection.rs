//! The connection form of the Connect tab (sandbox, fields, or a connection string; the
//! sandbox seeded with the plan's baseline or a clone of staging's schema, staging given by
//! the same fields or string) and what it turns into: the worker's [`Target`], the connection
//! as remembered (never with its password), and the string as shown with its password masked;
//! what a connection test found.

use std::path::PathBuf;

use super::worker::Target;
use crate::sandbox::{ServerBinaries, ServerChoice};

/// How the connection is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnMode {
    Sandbox,
    Fields,
    String,
}

/// What the sandbox is seeded with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seed {
    /// The plan's baseline scripts.
    Baseline,
    /// Staging's own schema (`pg_dump --schema-only`, no row), on staging's major version.
    Clone,
}

pub struct ConnectionForm {
    pub mode: ConnMode,
    /// What the sandbox is seeded with.
    pub seed: Seed,
    /// For a clone: how staging is given (`Fields` or `String`: the same fields as a run on it).
    pub clone_from: ConnMode,
    pub host: String,
    pub port: String,
    pub dbname: String,
    pub user: String,
    pub password: String,
    pub sslmode: String,
    pub conninfo: String,
    /// The PostgreSQL server binaries found (`None` until the worker has looked).
    pub pg_versions: Option<Vec<ServerBinaries>>,
    /// The sandbox's server: the binaries in this directory, or the first found.
    pub pg_bindir: Option<PathBuf>,
    /// The target the last connection answer was about (it is cleared when the form changes).
    pub tested: Option<Target>,
}

impl Default for ConnectionForm {
    fn default() -> Self {
        Self {
            mode: ConnMode::Sandbox,
            seed: Seed::Baseline,
            clone_from: ConnMode::Fields,
            host: "localhost".into(),
            port: "5432".into(),
            dbname: String::new(),
            user: String::new(),
            password: String::new(),
            sslmode: "prefer".into(),
            conninfo: String::new(),
            pg_versions: None,
            pg_bindir: None,
            tested: None,
        }
    }
}

impl ConnectionForm {
    pub fn target(&self) -> Target {
        match self.mode {
            ConnMode::Sandbox if self.seed == Seed::Clone => Target::Clone(Box::new(self.connection(self.clone_from))),
            ConnMode::Sandbox => Target::Sandbox(match &self.pg_bindir {
                Some(dir) => ServerChoice::BinDir(dir.clone()),
                None => ServerChoice::Default,
            }),
            mode => self.connection(mode),
        }
    }

    /// The database the fields (`Fields`) or the string (otherwise) give.
    fn connection(&self, mode: ConnMode) -> Target {
        match mode {
            ConnMode::Sandbox | ConnMode::String => Target::Connection(self.conninfo.clone()),
            ConnMode::Fields => {
                let quote = |v: &str| format!("'{}'", v.replace('\\', "\\\\").replace('\'', "\\'"));
                let mut parts = vec![];
                for (k, v) in [
                    ("host", &self.host),
                    ("port", &self.port),
                    ("dbname", &self.dbname),
                    ("user", &self.user),
                    ("password", &self.password),
                    ("sslmode", &self.sslmode),
                ] {
                    if !v.trim().is_empty() {
                        parts.push(format!("{k}={}", quote(v.trim())));
                    }
                }
                Target::Fields(parts.join(" "))
            }
        }
    }

    /// The connection as remembered (for a clone, staging's): never with its password.
    pub fn remembered(&self) -> Option<String> {
        let target = match self.target() {
            Target::Clone(staging) => *staging,
            target => target,
        };
        let (Target::Connection(conninfo) | Target::Fields(conninfo)) = target else { return None };
        let mut info = crate::db::conninfo::parse(&conninfo).ok()?;
        info.password = None;
        Some(info.redacted())
    }
}

/// What a connection test found.
#[derive(Debug, Clone, PartialEq)]
pub enum ConnStatus {
    /// Connected; the plan's target guard refuses this database when `refused` says why.
    Connected {
        what: String,
        refused: Option<String>,
    },
    Failed(String),
}

/// The byte range of the password in a connection string: `postgres://user:PASSWORD@host`
/// or `password=PASSWORD` (quoted or not).
pub fn password_span(s: &str) -> Option<std::ops::Range<usize>> {
    if let Some(rest) = s.find("://").map(|i| i + 3) {
        let authority_end = s[rest..].find(['/', '?']).map_or(s.len(), |i| rest + i);
        let at = s[rest..authority_end].rfind('@').map(|i| rest + i)?;
        let colon = s[rest..at].find(':').map(|i| rest + i)?;
        return (colon + 1 < at).then_some(colon + 1..at);
    }
    let key = s.find("password")?;
    let after = &s[key + "password".len()..];
    let eq = after.find(|c: char| !c.is_whitespace())?;
    if !after[eq..].starts_with('=') {
        return None;
    }
    let mut start = key + "password".len() + eq + 1;
    start += s[start..].len() - s[start..].trim_start().len();
    let (start, end) = if s[start..].starts_with('\'') {
        let mut end = s.len();
        let mut escaped = false;
        for (i, c) in s[start + 1..].char_indices() {
            match c {
                '\\' if !escaped => escaped = true,
                '\'' if !escaped => {
                    end = start + 1 + i;
                    break;
                }
                _ => escaped = false,
            }
        }
        (start + 1, end)
    } else {
        (start, s[start..].find(char::is_whitespace).map_or(s.len(), |i| start + i))
    };
    (start < end).then_some(start..end)
}

/// The connection string as shown while its field is not being edited: the password as dots.
pub fn masked(s: &str) -> String {
    match password_span(s) {
        Some(r) => format!("{}{}{}", &s[..r.start], "•".repeat(s[r.clone()].chars().count().min(8)), &s[r.end..]),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gui::app::Settings;

    #[test]
    fn passwords_are_masked_in_urls_and_key_value_strings() {
        assert_eq!(masked("postgres://dba:hunter2@staging.db:5433/app"), "postgres://dba:•••••••@staging.db:5433/app");
        assert_eq!(masked("host=db password='s3 cr\\'t' user=dba"), "host=db password='••••••••' user=dba");
        assert_eq!(masked("host=db password = plain user=dba"), "host=db password = ••••• user=dba");
        assert_eq!(masked("postgres://dba@staging.db/app"), "postgres://dba@staging.db/app");
        assert_eq!(masked("host=db user=dba"), "host=db user=dba");
    }

    #[test]
    fn remembered_connections_never_keep_the_password() {
        let mut form = ConnectionForm {
            mode: ConnMode::Fields,
            host: "staging.db".into(),
            dbname: "app_staging".into(),
            user: "dba".into(),
            password: "s3cr3t pass'word".into(),
            ..Default::default()
        };
        let Target::Fields(conninfo) = form.target() else { panic!("fields give a connection") };
        assert!(conninfo.contains("password='s3cr3t pass\\'word'"), "the session gets it: {conninfo}");
        let remembered = form.remembered().unwrap();
        assert!(!remembered.contains("s3cr3t") && !remembered.contains("password"), "{remembered}");
        assert!(remembered.contains("host=staging.db") && remembered.contains("dbname=app_staging"), "{remembered}");

        form.mode = ConnMode::String;
        form.conninfo = "postgres://dba:hunter2@staging.db:5433/app_staging?sslmode=verify-full".into();
        let remembered = form.remembered().unwrap();
        assert!(!remembered.contains("hunter2"), "{remembered}");
        assert!(remembered.contains("sslmode=verify-full"), "{remembered}");
        let settings = Settings { recent_connections: vec![remembered], ..Default::default() };
        assert!(!ron::to_string(&settings).unwrap().contains("hunter2"));

        form.mode = ConnMode::Sandbox;
        assert_eq!(form.remembered(), None);

        // A clone remembers the staging it read, without its password either.
        form.seed = Seed::Clone;
        form.clone_from = ConnMode::Fields;
        let Target::Clone(staging) = form.target() else { panic!("a clone of staging's schema") };
        assert!(matches!(*staging, Target::Fields(ref c) if c.contains("s3cr3t")), "the clone's session gets it: {staging:?}");
        let remembered = form.remembered().unwrap();
        assert!(!remembered.contains("s3cr3t") && remembered.contains("host=staging.db"), "{remembered}");
    }
}
