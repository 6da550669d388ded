//! Talking to PostgreSQL: connecting, running scripts with errors mapped back to the file,
//! and reading the catalog ([`snapshot`]). Migration files are read by one reader
//! ([`migration_file`]); how migration tools lay out and name them is [`layout`].

/// SQL (a string literal, for `concat!`): `$column` is the oid of an object of the catalog
/// `$class` (`pg_class`, `pg_proc`) that depends on a namespace whose name satisfies `$names`
/// (`= $1`, `= ANY ($1::text[])`). Through `pg_depend`'s index: filtering a join of all of
/// `pg_class` by namespace name reads every relation (100 ms on 500,000 of them).
macro_rules! in_namespaces {
    ($column:literal, $class:literal, $names:literal) => {
        concat!(
            $column,
            " IN (SELECT d.objid FROM pg_catalog.pg_depend d \
             WHERE d.refclassid = 'pg_catalog.pg_namespace'::pg_catalog.regclass \
             AND d.classid = 'pg_catalog.",
            $class,
            "'::pg_catalog.regclass \
             AND d.refobjid IN (SELECT sn.oid FROM pg_catalog.pg_namespace sn WHERE sn.nspname ",
            $names,
            "))"
        )
    };
}
pub(crate) use in_namespaces;

pub mod connect;
pub mod conninfo;
pub mod figures;
pub mod layout;
pub mod ledger;
pub mod lock_modes;
pub mod migration_file;
pub mod snapshot;
pub mod split;

use std::path::{Path, PathBuf};

use tokio_postgres::Client;

/// What went wrong talking to the database, in words a DBA reads.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error(transparent)]
    Connect(#[from] connect::ConnectError),
    #[error("{0}")]
    Query(String),
    /// A query gave up waiting for a lock another session holds (`lock_timeout`, SQLSTATE
    /// 55P03): nothing is wrong with the query, and who holds the lock is worth naming.
    #[error("{0}")]
    LockTimeout(String),
    #[error(transparent)]
    File(#[from] migration_file::FileError),
    #[error("{}:{line}:{column}: {message}", file.display())]
    Script { file: PathBuf, line: usize, column: usize, message: String },
}

impl DbError {
    /// A server or protocol error, with the server's message, detail and hint.
    pub fn query(e: tokio_postgres::Error) -> Self {
        match e.code() {
            Some(&tokio_postgres::error::SqlState::LOCK_NOT_AVAILABLE) => DbError::LockTimeout(describe(&e)),
            _ => DbError::Query(describe(&e)),
        }
    }
}

/// The server's words for an error (severity, SQLSTATE, message, detail, hint), or the
/// client library's when the server said nothing.
pub fn describe(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut text = format!("{}: {} (SQLSTATE {})", db.severity(), db.message(), db.code().code());
            if let Some(detail) = db.detail() {
                text.push_str(&format!("\n  detail: {detail}"));
            }
            if let Some(hint) = db.hint() {
                text.push_str(&format!("\n  hint: {hint}"));
            }
            if let Some(context) = db.where_() {
                text.push_str(&format!("\n  context: {context}"));
            }
            text
        }
        None => e.to_string(),
    }
}

/// Connect with `config` (no TLS) and drive the connection on the current tokio runtime;
/// for the sandbox and maintenance connections ([`connect`] does the libpq-style rest).
pub async fn connect_config(config: &tokio_postgres::Config) -> Result<Client, DbError> {
    Ok(connect::connect_config(config).await?.client)
}

/// "user@host:port/dbname", never the password.
pub fn describe_config(config: &tokio_postgres::Config) -> String {
    let host = match config.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(h)) => h.clone(),
        Some(tokio_postgres::config::Host::Unix(p)) => p.display().to_string(),
        None => "localhost".into(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!("{}@{host}:{port}/{}", config.get_user().unwrap_or("?"), config.get_dbname().unwrap_or("?"))
}

/// Run a whole SQL file in one round trip (the simple query protocol: one implicit
/// transaction unless the file has its own). The file is read as every migration file is
/// ([`migration_file::SqlFile`]); an error names the file, line and column. A file with psql
/// meta-commands is sent as psql would send it: its statements, variables substituted and
/// included files in (an error then names the included file it is in).
pub async fn run_script_file(client: &Client, path: &Path) -> Result<(), DbError> {
    let file = migration_file::SqlFile::read(path)?;
    if !file.meta_commands {
        let sql = file.script.as_str();
        return client.batch_execute(sql).await.map_err(|e| {
            let (line, column) = char_position(sql, error_position(&e));
            DbError::Script { file: path.to_owned(), line, column, message: describe(&e) }
        });
    }
    // Each statement's first character in the text sent, counted in characters.
    let (mut sql, mut starts) = (String::new(), Vec::with_capacity(file.statements.len()));
    let mut chars = 0;
    for s in &file.statements {
        starts.push(chars);
        sql += &s.sql;
        sql += ";\n";
        chars += s.sql.chars().count() + 2;
    }
    client.batch_execute(&sql).await.map_err(|e| {
        let position = error_position(&e);
        let at = starts.partition_point(|&start| start < position).saturating_sub(1);
        let (shown, line, column) = match file.statements.get(at) {
            Some(s) if position > 0 => {
                let (shown, script) = s.source(&file.shown, &file.script);
                let (line, column) = split::locate(script, s, position - starts[at]);
                (shown, line, column)
            }
            _ => (file.shown.as_str(), 1, 1),
        };
        DbError::Script { file: PathBuf::from(shown), line, column, message: describe(&e) }
    })
}

/// The server's position of an error in the text of a simple query (1-based, in characters);
/// 0 when it gives none.
fn error_position(e: &tokio_postgres::Error) -> usize {
    match e.as_db_error().and_then(|db| db.position()) {
        Some(tokio_postgres::error::ErrorPosition::Original(p)) => *p as usize,
        _ => 0,
    }
}

/// 1-based line and column of the 1-based character `position` in `text` (1:1 for 0).
fn char_position(text: &str, position: usize) -> (usize, usize) {
    let byte = text.char_indices().nth(position.saturating_sub(1)).map_or(text.len(), |(b, _)| b);
    split::line_col(text, byte)
}

/// `CREATE DATABASE name [TEMPLATE template]`.
pub async fn create_database(admin: &Client, name: &str, template: Option<&str>) -> Result<(), DbError> {
    let mut sql = format!("CREATE DATABASE {}", quote_ident(name));
    if let Some(template) = template {
        sql += &format!(" TEMPLATE {}", quote_ident(template));
    }
    admin.batch_execute(&sql).await.map_err(DbError::query)
}

/// `name` as a quoted SQL identifier.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `schema.name` as a quoted qualified identifier (split at the first dot).
pub fn quote_qualified(name: &str) -> String {
    match name.split_once('.') {
        Some((schema, relation)) => format!("{}.{}", quote_ident(schema), quote_ident(relation)),
        None => quote_ident(name),
    }
}

/// `text` as a quoted SQL string literal.
pub fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn char_position_counts_characters_not_bytes() {
        let text = "select 1;\n-- é\nselect x;";
        // 'x' is the 23rd character (the é is one character, two bytes).
        assert_eq!(char_position(text, 23), (3, 8));
        assert_eq!(char_position(text, 0), (1, 1));
    }

    #[test]
    fn quoting() {
        assert_eq!(quote_ident("we\"ird"), "\"we\"\"ird\"");
        assert_eq!(quote_literal("it's"), "'it''s'");
    }
}
