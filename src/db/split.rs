//! Splits a SQL migration script into statements exactly where psql would
//! (following the lexer rules of psql's `psqlscan.l`), flags statements that
//! PostgreSQL refuses to run inside a transaction block, and maps positions
//! (byte offsets, server error positions) back to script line/column. Where psql runs the
//! file (a migration), its meta-commands are followed as psql follows them ([`psql`]). Its
//! lexer also normalises other sessions' SQL ([`normalise`]).

pub mod normalise;
pub mod psql;

use std::fmt;
use std::sync::Arc;

/// One SQL statement of a script, as it will be sent to the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// Text from the first significant character up to, not including, the
    /// terminating `;`. Inner comments are kept; trailing whitespace is not.
    pub sql: String,
    /// Byte offset of `sql` in the script (its first non-blank, non-comment char).
    pub offset: usize,
    /// 1-based line of `offset`.
    pub line: usize,
    /// 1-based column of `offset`, counted in characters.
    pub column: usize,
    /// Set when the statement cannot run inside a transaction block.
    pub non_transactional: Option<NonTransactional>,
    /// The psql variables substituted in `sql` (`:name`, `:'name'`, `:"name"`), in order;
    /// empty for a statement sent as written.
    pub edits: Vec<Edit>,
    /// The file a psql `\i` / `\ir` brought the statement in from (its `offset`, `line` and
    /// `column` are in that file); `None`: the script split.
    pub included: Option<Arc<Included>>,
}

/// A psql variable reference replaced by its value: `written` bytes of the script at `at`
/// became `text` in the statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub at: usize,
    pub written: usize,
    pub text: String,
}

/// A file included by psql's `\i` / `\ir`: as shown in messages, and its text.
#[derive(Debug, PartialEq, Eq)]
pub struct Included {
    pub shown: String,
    pub script: String,
}

impl Statement {
    /// The file the statement is in, as shown, and its text: the included file's, else the
    /// script's own (`shown`, `script`).
    pub fn source<'a>(&'a self, shown: &'a str, script: &'a str) -> (&'a str, &'a str) {
        self.included.as_deref().map_or((shown, script), |f| (f.shown.as_str(), f.script.as_str()))
    }
}

/// Statements PostgreSQL rejects inside a transaction block (the same list on 14 to 18).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NonTransactional {
    CreateIndexConcurrently,
    DropIndexConcurrently,
    ReindexConcurrently,
    /// REINDEX SCHEMA / DATABASE / SYSTEM (even without CONCURRENTLY).
    ReindexSchemaDatabaseSystem,
    Vacuum,
    /// CLUSTER without a table name (reclusters every table).
    ClusterAll,
    CreateDatabase,
    DropDatabase,
    AlterDatabaseSetTablespace,
    AlterSystem,
    CreateTablespace,
    DropTablespace,
    DetachPartitionConcurrently,
    /// Strictly only with `create_slot = true`, the default; always flagged.
    CreateSubscription,
    /// Strictly only when the subscription has a slot, the default; always flagged.
    DropSubscription,
    AlterSubscriptionRefresh,
    DiscardAll,
}

impl NonTransactional {
    /// Short SQL-like name for messages, e.g. "CREATE INDEX CONCURRENTLY".
    pub fn describe(&self) -> &'static str {
        match self {
            NonTransactional::CreateIndexConcurrently => "CREATE INDEX CONCURRENTLY",
            NonTransactional::DropIndexConcurrently => "DROP INDEX CONCURRENTLY",
            NonTransactional::ReindexConcurrently => "REINDEX CONCURRENTLY",
            NonTransactional::ReindexSchemaDatabaseSystem => "REINDEX SCHEMA/DATABASE/SYSTEM",
            NonTransactional::Vacuum => "VACUUM",
            NonTransactional::ClusterAll => "CLUSTER without a table name",
            NonTransactional::CreateDatabase => "CREATE DATABASE",
            NonTransactional::DropDatabase => "DROP DATABASE",
            NonTransactional::AlterDatabaseSetTablespace => "ALTER DATABASE ... SET TABLESPACE",
            NonTransactional::AlterSystem => "ALTER SYSTEM",
            NonTransactional::CreateTablespace => "CREATE TABLESPACE",
            NonTransactional::DropTablespace => "DROP TABLESPACE",
            NonTransactional::DetachPartitionConcurrently => "ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY",
            NonTransactional::CreateSubscription => "CREATE SUBSCRIPTION",
            NonTransactional::DropSubscription => "DROP SUBSCRIPTION",
            NonTransactional::AlterSubscriptionRefresh => "ALTER SUBSCRIPTION ... REFRESH PUBLICATION",
            NonTransactional::DiscardAll => "DISCARD ALL",
        }
    }
}

/// Why a script cannot be split; positions are 1-based, columns in characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SplitError {
    /// A backslash outside quotes/comments: psql would run it as a meta-command, and this one
    /// is not followed (`why`: where, or which ones are).
    MetaCommand { line: usize, column: usize, command: String, why: &'static str },
    /// A meta-command pgstage follows, used in a way it cannot follow (`\if` on a value that
    /// is not a boolean, `\else` without `\if`, a file `\ir` cannot read…).
    Psql { line: usize, column: usize, message: String },
    /// A quote, dollar quote or block comment still open at end of script.
    Unterminated { what: &'static str, line: usize, column: usize },
    /// In a file included by `\i` / `\ir` (as shown).
    Included { file: String, source: Box<SplitError> },
}

impl SplitError {
    /// The included file the problem is in (`None`: the script itself), its line and column,
    /// and what is wrong, in words.
    pub fn located(&self) -> (Option<&str>, usize, usize, String) {
        match self {
            SplitError::MetaCommand { line, column, command, why } => {
                (None, *line, *column, format!("psql meta-command {command} is not supported: {why}"))
            }
            SplitError::Psql { line, column, message } => (None, *line, *column, message.clone()),
            SplitError::Unterminated { what, line, column } => (None, *line, *column, format!("unterminated {what}")),
            SplitError::Included { file, source } => {
                let (inner, line, column, message) = source.located();
                (Some(inner.unwrap_or(file)), line, column, message)
            }
        }
    }
}

impl fmt::Display for SplitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (file, line, column, message) = self.located();
        match (self, file) {
            (SplitError::Unterminated { .. }, None) => write!(f, "{message} starting at line {line}, column {column}"),
            (_, None) => write!(f, "{message} (line {line}, column {column})"),
            (_, Some(file)) => write!(f, "{file}:{line}:{column}: {message}"),
        }
    }
}

impl std::error::Error for SplitError {}

/// Splits `script` into statements at the semicolons psql would act on.
///
/// # Errors
/// [`SplitError::MetaCommand`] for a psql backslash command outside quotes and
/// comments, [`SplitError::Unterminated`] for a quote or comment left open.
pub fn split(script: &str) -> Result<Vec<Statement>, SplitError> {
    scan(script, None)
}

/// [`split`], with psql's meta-commands and variables followed by `psql` when it runs the file.
fn scan(script: &str, mut psql: Option<&mut psql::Session>) -> Result<Vec<Statement>, SplitError> {
    let bytes = script.as_bytes();
    let mut lexer = Lexer { src: bytes, pos: 0, psql: psql.is_some() };
    let mut statements = Vec::new();
    let mut state = ScanState::default();
    let depth = psql.as_ref().map_or(0, |p| p.depth());
    loop {
        let token = lexer.next_token().map_err(|(what, pos)| {
            let (line, column) = line_col(script, pos);
            SplitError::Unterminated { what, line, column }
        })?;
        let Some((kind, start, end)) = token else {
            break;
        };
        let active = psql.as_ref().is_none_or(|p| p.active());
        match kind {
            Tok::Backslash => {
                let Some(psql) = psql.as_deref_mut() else {
                    let stop = scan_while(bytes, start + 1, |c| !is_space(c) && c != b'\\');
                    let (line, column) = line_col(script, start);
                    let command = script[start..stop].to_string();
                    return Err(SplitError::MetaCommand { line, column, command, why: "plain SQL expected here" });
                };
                let (stop, included) = psql.meta(script, start, state.start.is_some())?;
                if state.start.is_some() {
                    // psql runs it and reads on: the statement goes on without it.
                    state.edits.push(Edit { at: start, written: stop - start, text: String::new() });
                }
                statements.extend(included);
                lexer.pos = stop;
                continue;
            }
            _ if !active => continue, // inside a false \if branch: psql reads past it
            Tok::Space => continue,
            Tok::Comment => {
                if state.start.is_some() {
                    state.end = end;
                }
                continue;
            }
            Tok::Semi if state.start.is_none() => continue, // empty statement
            Tok::Variable => {
                if let Some(text) = psql.as_deref().map(|p| p.variable(script, start, end)).transpose()?.flatten() {
                    state.edits.push(Edit { at: start, written: end - start, text });
                }
            }
            _ => {}
        }
        let stmt_start = *state.start.get_or_insert(start);
        match kind {
            Tok::Open => state.paren_depth += 1,
            Tok::Close => state.paren_depth = state.paren_depth.saturating_sub(1),
            Tok::Ident => state.identifier(&script[start..end]),
            Tok::Semi if state.paren_depth == 0 && state.begin_depth == 0 => {
                statements.push(make_statement(script, stmt_start, state.end, std::mem::take(&mut state.edits)));
                state = ScanState::default();
                continue;
            }
            _ => {}
        }
        state.end = end;
    }
    if let Some(psql) = psql {
        psql.end_of_file(script, depth)?;
    }
    // Like psql at end of file: send whatever is left, even if incomplete.
    if let Some(start) = state.start {
        statements.push(make_statement(script, start, state.end, state.edits));
    }
    Ok(statements)
}

/// Maps a PostgreSQL error `position` (1-based, in characters of `stmt.sql`)
/// to the 1-based (line, column) in `script` (the statement's own file: see
/// [`Statement::source`]); column counted in characters. Positions past the end of the
/// statement point just after its last character; inside a substituted variable, at it.
pub fn locate(script: &str, stmt: &Statement, position: usize) -> (usize, usize) {
    let index = position.max(1) - 1;
    let mut rel = stmt.sql.char_indices().nth(index).map_or(stmt.sql.len(), |(i, _)| i);
    // Back from the statement as sent to the script as written.
    let (mut sent, mut written) = (0, stmt.offset);
    for e in &stmt.edits {
        let plain = e.at - written;
        if rel < sent + plain {
            break;
        }
        if rel < sent + plain + e.text.len() {
            rel = sent + plain;
            break;
        }
        rel = rel + e.written - e.text.len();
        sent += plain + e.text.len();
        written = e.at + e.written;
    }
    line_col(script, stmt.offset + rel)
}

/// 1-based (line, column) of `byte_offset` in `script`; column in characters.
/// Lines end at `\n` (so CRLF works); offsets are clamped to a char boundary.
pub fn line_col(script: &str, byte_offset: usize) -> (usize, usize) {
    let mut end = byte_offset.min(script.len());
    while !script.is_char_boundary(end) {
        end -= 1;
    }
    let before = &script[..end];
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

fn make_statement(script: &str, start: usize, end: usize, edits: Vec<Edit>) -> Statement {
    let (line, column) = line_col(script, start);
    let mut sql = String::with_capacity(end - start);
    let mut at = start;
    for e in edits.iter().filter(|e| e.at < end) {
        sql.push_str(&script[at..e.at]);
        sql.push_str(&e.text);
        at = e.at + e.written;
    }
    sql.push_str(&script[at.min(end)..end]);
    let non_transactional = classify(&sql);
    Statement { sql, offset: start, line, column, non_transactional, edits, included: None }
}

/// psql's per-statement lexer state (see the `{identifier}` rule in psqlscan.l).
#[derive(Default)]
struct ScanState {
    start: Option<usize>,
    edits: Vec<Edit>,
    end: usize,
    paren_depth: usize,
    begin_depth: usize,
    identifier_count: usize,
    /// First letters of the first four identifiers when they are one of
    /// CREATE, OR, REPLACE, FUNCTION, PROCEDURE (0 otherwise).
    identifiers: [u8; 4],
}

impl ScanState {
    fn identifier(&mut self, word: &str) {
        let word = word.to_ascii_lowercase();
        let tracked = matches!(word.as_str(), "create" | "function" | "procedure" | "or" | "replace");
        if tracked && self.identifier_count < self.identifiers.len() {
            self.identifiers[self.identifier_count] = word.as_bytes()[0];
        }
        self.identifier_count += 1;
        // Does the statement start with CREATE [OR REPLACE] FUNCTION|PROCEDURE?
        let id = self.identifiers;
        let routine = id[0] == b'c'
            && (id[1] == b'f' || id[1] == b'p' || (id[1] == b'o' && id[2] == b'r' && (id[3] == b'f' || id[3] == b'p')));
        if !routine || self.paren_depth > 0 {
            return;
        }
        match word.as_str() {
            "begin" => self.begin_depth += 1,
            "case" if self.begin_depth >= 1 => self.begin_depth += 1,
            "end" if self.begin_depth > 0 => self.begin_depth -= 1,
            _ => {}
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    Space,
    Comment,
    Ident,
    Semi,
    Open,
    Close,
    Backslash,
    /// A psql variable reference (`:name`; where psql runs the file, `:'name'`, `:"name"`
    /// and `:{?name}` too).
    Variable,
    /// Literals, quoted identifiers, numbers, parameters, operators, ...
    Other,
}

/// A token as (kind, start, end) byte offsets.
type Token = (Tok, usize, usize);
/// An unterminated construct: (what, start offset).
type Unclosed = (&'static str, usize);

/// Byte-level tokenizer. Every delimiter is ASCII, so token boundaries are
/// always char boundaries; bytes >= 0x80 are identifier chars, as in psql.
struct Lexer<'a> {
    src: &'a [u8],
    pos: usize,
    /// psql runs the file: `:'name'`, `:"name"` and `:{?name}` are variable references.
    psql: bool,
}

impl Lexer<'_> {
    /// Next token, `Ok(None)` at end of input.
    fn next_token(&mut self) -> Result<Option<Token>, Unclosed> {
        let s = self.src;
        let start = self.pos;
        if start >= s.len() {
            return Ok(None);
        }
        let next = byte_at(s, start + 1);
        let string = |from: usize, quote: u8, backslash: bool| {
            let what = if quote == b'"' { "quoted identifier" } else { "quoted string" };
            quoted(s, from, quote, backslash).map(|end| (Tok::Other, end)).ok_or((what, start))
        };
        let (kind, end) = match s[start] {
            c if is_space(c) => (Tok::Space, scan_while(s, start, is_space)),
            b'-' if next == b'-' => (Tok::Comment, scan_while(s, start, |c| c != b'\n' && c != b'\r')),
            b'/' if next == b'*' => (Tok::Comment, block_comment(s, start).ok_or(("block comment", start))?),
            b'\'' => string(start + 1, b'\'', false)?,
            b'"' => string(start + 1, b'"', false)?,
            b'e' | b'E' if next == b'\'' => string(start + 2, b'\'', true)?,
            b'b' | b'B' | b'x' | b'X' | b'n' | b'N' if next == b'\'' => string(start + 2, b'\'', false)?,
            b'u' | b'U' if next == b'&' && matches!(byte_at(s, start + 2), b'\'' | b'"') => {
                string(start + 3, s[start + 2], false)?
            }
            b'$' => match dollar_delimiter(s, start) {
                Some(body) => {
                    let tag = &s[start..body];
                    match s[body..].windows(tag.len()).position(|w| w == tag) {
                        Some(i) => (Tok::Other, body + i + tag.len()),
                        None => return Err(("dollar-quoted string", start)),
                    }
                }
                None => (Tok::Other, start + 1),
            },
            b':' if next == b':' => (Tok::Other, start + 2),
            // psql variable reference (:name); never an identifier.
            b':' if is_variable_char(next) => {
                (if self.psql { Tok::Variable } else { Tok::Other }, scan_while(s, start + 1, is_variable_char))
            }
            b':' if self.psql => match psql::quoted_variable(s, start) {
                Some(end) => (Tok::Variable, end),
                None => (Tok::Other, start + 1),
            },
            b';' => (Tok::Semi, start + 1),
            b'(' => (Tok::Open, start + 1),
            b')' => (Tok::Close, start + 1),
            b'\\' => (Tok::Backslash, start + 1),
            c if is_ident_start(c) => (Tok::Ident, scan_while(s, start + 1, is_ident_cont)),
            c if c.is_ascii_digit() => (Tok::Other, number(s, start)),
            _ => (Tok::Other, start + 1),
        };
        self.pos = end;
        Ok(Some((kind, start, end)))
    }
}

fn byte_at(s: &[u8], i: usize) -> u8 {
    s.get(i).copied().unwrap_or(0)
}

fn scan_while(s: &[u8], from: usize, pred: impl Fn(u8) -> bool) -> usize {
    let mut i = from;
    while i < s.len() && pred(s[i]) {
        i += 1;
    }
    i
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c >= 0x80
}

fn is_ident_cont(c: u8) -> bool {
    is_variable_char(c) || c == b'$'
}

/// Also psql's `dolq_cont`: identifier chars without `$`.
fn is_variable_char(c: u8) -> bool {
    is_ident_start(c) || c.is_ascii_digit()
}

/// End of a quoted token whose body starts at `from`; a doubled quote is an
/// escaped quote, and with `backslash` a backslash escapes the next byte.
fn quoted(s: &[u8], from: usize, quote: u8, backslash: bool) -> Option<usize> {
    let mut i = from;
    while i < s.len() {
        let escaped = backslash && s[i] == b'\\';
        if escaped || (s[i] == quote && byte_at(s, i + 1) == quote) {
            i += 2;
        } else if s[i] == quote {
            return Some(i + 1);
        } else {
            i += 1;
        }
    }
    None
}

/// End of a (nesting) `/* */` comment starting at `start`.
fn block_comment(s: &[u8], start: usize) -> Option<usize> {
    let mut depth = 1;
    let mut i = start + 2;
    while i + 1 < s.len() {
        if s[i] == b'/' && s[i + 1] == b'*' {
            depth += 1;
            i += 2;
        } else if s[i] == b'*' && s[i + 1] == b'/' {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return Some(i);
            }
        } else {
            i += 1;
        }
    }
    None
}

/// If `$tag$` (tag optional, not starting with a digit) starts at `start`,
/// returns the offset just after it. A parameter such as `$1` is not one.
fn dollar_delimiter(s: &[u8], start: usize) -> Option<usize> {
    let mut i = start + 1;
    if i < s.len() && is_ident_start(s[i]) {
        i = scan_while(s, i + 1, is_variable_char);
    }
    (byte_at(s, i) == b'$').then_some(i + 1)
}

/// Integer, decimal or real literal (`1`, `1.5`, `1.`, `2e-3`); `1..2` stops at `..`.
fn number(s: &[u8], start: usize) -> usize {
    let mut i = scan_while(s, start, |c| c.is_ascii_digit());
    if byte_at(s, i) == b'.' && byte_at(s, i + 1) != b'.' {
        i = scan_while(s, i + 1, |c| c.is_ascii_digit());
    }
    if matches!(byte_at(s, i), b'e' | b'E') {
        let digits = if matches!(byte_at(s, i + 1), b'+' | b'-') { i + 2 } else { i + 1 };
        if byte_at(s, digits).is_ascii_digit() {
            i = scan_while(s, digits, |c| c.is_ascii_digit());
        }
    }
    i
}

/// First significant tokens of `sql`: identifiers lowercased, others verbatim.
fn leading_words(sql: &str, limit: usize) -> Vec<String> {
    let mut lexer = Lexer { src: sql.as_bytes(), pos: 0, psql: false };
    let mut words = Vec::new();
    while words.len() < limit {
        match lexer.next_token() {
            Ok(Some((Tok::Space | Tok::Comment, _, _))) => {}
            Ok(Some((Tok::Ident, a, b))) => words.push(sql[a..b].to_ascii_lowercase()),
            Ok(Some((_, a, b))) => words.push(sql[a..b].to_string()),
            _ => break,
        }
    }
    words
}

/// Skips a parenthesized option list at `words[i]`, if any. Returns the index
/// after it and whether it enables CONCURRENTLY.
fn skip_options(words: &[String], i: usize) -> (usize, bool) {
    if words.get(i).map(String::as_str) != Some("(") {
        return (i, false);
    }
    let mut depth = 0;
    let mut concurrently = false;
    for j in i..words.len() {
        match words[j].as_str() {
            "(" => depth += 1,
            ")" if depth == 1 => return (j + 1, concurrently),
            ")" => depth -= 1,
            "concurrently" if depth == 1 => {
                let value = words.get(j + 1).map_or("", |w| w.as_str());
                concurrently = !matches!(value, "false" | "off" | "0");
            }
            _ => {}
        }
    }
    (words.len(), concurrently)
}

/// Whether `sql` begins, ends or splits a transaction itself (BEGIN, START TRANSACTION,
/// COMMIT, END, ROLLBACK, ABORT, PREPARE TRANSACTION, and their savepoint forms): after one, a
/// failure no longer aborts what follows, so its script cannot be pipelined.
pub fn controls_transaction(sql: &str) -> bool {
    let words = leading_words(sql, 2);
    let w = |i: usize| words.get(i).map_or("", |s| s.as_str());
    matches!(w(0), "begin" | "commit" | "end" | "rollback" | "abort" | "savepoint" | "release")
        || (w(0), w(1)) == ("start", "transaction")
        || (w(0), w(1)) == ("prepare", "transaction")
}

/// Whether `sql` is a plain `BEGIN` (`BEGIN TRANSACTION`, `BEGIN WORK`, `START TRANSACTION`),
/// without an isolation level or access mode.
pub fn opens_plain_transaction(sql: &str) -> bool {
    let words = leading_words(sql, 3);
    matches!(
        words.iter().map(String::as_str).collect::<Vec<_>>()[..],
        ["begin"] | ["begin", "transaction" | "work"] | ["start", "transaction"]
    )
}

/// Whether `sql` is a `COMMIT` (`COMMIT TRANSACTION`, `COMMIT WORK`, `END`…), not `AND CHAIN`.
pub fn commits_transaction(sql: &str) -> bool {
    let words = leading_words(sql, 3);
    matches!(
        words.iter().map(String::as_str).collect::<Vec<_>>()[..],
        ["commit" | "end"] | ["commit" | "end", "transaction" | "work"]
    )
}

/// The identifiers of `sql` as the server reads them: unquoted ones folded to lower case,
/// quoted ones as written; not those inside strings, comments or dollar-quoted bodies.
pub fn identifiers(sql: &str) -> Vec<String> {
    let mut lexer = Lexer { src: sql.as_bytes(), pos: 0, psql: false };
    let mut names = Vec::new();
    while let Ok(Some((tok, a, b))) = lexer.next_token() {
        let text = &sql[a..b];
        match tok {
            Tok::Ident => names.push(text.to_ascii_lowercase()),
            Tok::Other if text.len() >= 2 && text.starts_with('"') && text.ends_with('"') => {
                names.push(text[1..text.len() - 1].replace("\"\"", "\""));
            }
            _ => {}
        }
    }
    names
}

/// Recognizes statements that cannot run inside a transaction block.
fn classify(sql: &str) -> Option<NonTransactional> {
    use NonTransactional::*;
    let words = leading_words(sql, 48);
    let w = |i: usize| words.get(i).map_or("", |s| s.as_str());
    match (w(0), w(1)) {
        ("create", _) => {
            let i = if w(1) == "unique" { 2 } else { 1 };
            match (w(i), w(i + 1)) {
                ("index", "concurrently") => Some(CreateIndexConcurrently),
                ("database", _) if i == 1 => Some(CreateDatabase),
                ("tablespace", _) if i == 1 => Some(CreateTablespace),
                ("subscription", _) if i == 1 => Some(CreateSubscription),
                _ => None,
            }
        }
        ("drop", "index") if w(2) == "concurrently" => Some(DropIndexConcurrently),
        ("drop", "database") => Some(DropDatabase),
        ("drop", "tablespace") => Some(DropTablespace),
        ("drop", "subscription") => Some(DropSubscription),
        ("reindex", _) => {
            let (i, concurrent_option) = skip_options(&words, 1);
            if concurrent_option || w(i + 1) == "concurrently" {
                Some(ReindexConcurrently)
            } else if matches!(w(i), "schema" | "database" | "system") {
                Some(ReindexSchemaDatabaseSystem)
            } else {
                None
            }
        }
        ("vacuum", _) => Some(Vacuum),
        ("cluster", _) => {
            let (mut i, _) = skip_options(&words, 1);
            if w(i) == "verbose" {
                i += 1;
            }
            (i >= words.len()).then_some(ClusterAll)
        }
        ("alter", "system") => Some(AlterSystem),
        ("alter", "database") if w(3) == "set" && w(4) == "tablespace" => Some(AlterDatabaseSetTablespace),
        ("alter", "table") => {
            let detach = words.windows(2).position(|p| p[0] == "detach" && p[1] == "partition")?;
            words[detach + 2..].iter().any(|x| x == "concurrently").then_some(DetachPartitionConcurrently)
        }
        ("alter", "subscription") if w(3) == "refresh" => Some(AlterSubscriptionRefresh),
        ("discard", "all") => Some(DiscardAll),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Asserts the exact statement texts `split` returns for `script`.
    fn check(script: &str, expected: &[&str]) {
        let texts: Vec<String> = split(script).unwrap().into_iter().map(|s| s.sql).collect();
        assert_eq!(texts, expected, "script: {script:?}");
    }

    fn kind(sql: &str) -> Option<NonTransactional> {
        let stmts = split(sql).unwrap();
        assert_eq!(stmts.len(), 1, "{sql}");
        stmts[0].non_transactional
    }

    #[test]
    fn identifiers_fold_unquoted_names_and_skip_strings_and_bodies() {
        let sql = r#"CREATE TABLE "Odd""Name" (id int REFERENCES Public.Users(id)) -- workspaces
            ; SELECT 'moves', $$projects$$"#;
        assert_eq!(
            identifiers(sql),
            ["create", "table", "Odd\"Name", "id", "int", "references", "public", "users", "id", "select"]
        );
    }

    #[test]
    fn transaction_control_is_recognised() {
        for sql in [
            "BEGIN",
            "begin isolation level serializable",
            "START TRANSACTION",
            "COMMIT",
            "END",
            "ROLLBACK",
            "abort",
            "SAVEPOINT a",
            "RELEASE SAVEPOINT a",
            "PREPARE TRANSACTION 'x'",
        ] {
            assert!(controls_transaction(sql), "{sql}");
        }
        for sql in
            ["CREATE TABLE begin_log (id int)", "PREPARE q AS SELECT 1", "START", "SELECT 'commit'", "DO $$BEGIN NULL; END$$"]
        {
            assert!(!controls_transaction(sql), "{sql}");
        }
    }

    fn unterminated(script: &str) -> (&'static str, usize, usize) {
        match split(script) {
            Err(SplitError::Unterminated { what, line, column }) => (what, line, column),
            other => panic!("expected an unterminated error, got {other:?}"),
        }
    }

    #[test]
    fn offsets_lines_and_columns() {
        let s = split("SELECT 1;\n  SELECT 2;").unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!((s[0].sql.as_str(), s[0].offset, s[0].line, s[0].column), ("SELECT 1", 0, 1, 1));
        assert_eq!((s[1].sql.as_str(), s[1].offset, s[1].line, s[1].column), ("SELECT 2", 12, 2, 3));
    }

    #[test]
    fn single_quoted_strings() {
        check("SELECT 'a;b''c;';SELECT 2", &["SELECT 'a;b''c;'", "SELECT 2"]);
        // standard_conforming_strings: the backslash is literal, the quote ends the string.
        check(r"SELECT 'a\';SELECT 'b'", &[r"SELECT 'a\'", "SELECT 'b'"]);
        check("SELECT B'0;', X'F;', N'x;'; SELECT 2", &["SELECT B'0;', X'F;', N'x;'", "SELECT 2"]);
    }

    #[test]
    fn escape_and_unicode_strings() {
        let script = r"SELECT E'it\'s;'; SELECT e'x\';'; SELECT E'a'';'; SELECT 4";
        check(script, &[r"SELECT E'it\'s;'", r"SELECT e'x\';'", "SELECT E'a'';'", "SELECT 4"]);
        check(r"SELECT U&'d\0061t;a'; SELECT 2", &[r"SELECT U&'d\0061t;a'", "SELECT 2"]);
        // An identifier ending in `e` is not an E'' prefix.
        check(r"SELECT somee'\';SELECT 2", &[r"SELECT somee'\'", "SELECT 2"]);
    }

    #[test]
    fn double_quoted_identifiers() {
        let script = r#"SELECT 1 AS "a;""b'", 2 AS U&"c;";SELECT 2"#;
        check(script, &[r#"SELECT 1 AS "a;""b'", 2 AS U&"c;""#, "SELECT 2"]);
    }

    #[test]
    fn dollar_quotes() {
        let script = "SELECT $$a;b$$; SELECT $fn$ x $$ ; $$ y $fn$; SELECT 3";
        check(script, &["SELECT $$a;b$$", "SELECT $fn$ x $$ ; $$ y $fn$", "SELECT 3"]);
        // `$ba$` does not close `$a$`, but the `$a$` at the end of `x$ba$a$` does.
        check("SELECT $a$ x$ba$; $a$;SELECT $a$;x$ba$a$;", &["SELECT $a$ x$ba$; $a$", "SELECT $a$;x$ba$a$"]);
        check("SELECT $T$ ; $t$ ; $T$; SELECT 2", &["SELECT $T$ ; $t$ ; $T$", "SELECT 2"]);
    }

    #[test]
    fn parameters_and_dollars_in_identifiers_are_not_quotes() {
        check("SELECT $1, $2;SELECT 3", &["SELECT $1, $2", "SELECT 3"]);
        check("SELECT a$$b; SELECT 2", &["SELECT a$$b", "SELECT 2"]);
        // `$1` is a parameter; the `$x$` right after it does open a dollar quote.
        check("SELECT $1$x$;$x$; SELECT 2", &["SELECT $1$x$;$x$", "SELECT 2"]);
    }

    #[test]
    fn comments() {
        let s = split("/* outer /* inner */ ; still */ SELECT 1; SELECT /* c; */ 2").unwrap();
        assert_eq!((s[0].sql.as_str(), s[0].offset), ("SELECT 1", 32));
        assert_eq!(s[1].sql, "SELECT /* c; */ 2");
        assert_eq!(s.len(), 2);
        let script = "-- leading; it's\nSELECT 1 -- trailing; don't\n, 2;\nSELECT 3 /* x */ ;";
        check(script, &["SELECT 1 -- trailing; don't\n, 2", "SELECT 3 /* x */"]);
        check("SELECT 1 /**/; SELECT 2 /*/ ; */;", &["SELECT 1 /**/", "SELECT 2 /*/ ; */"]);
        check("SELECT 2--1;\n;", &["SELECT 2--1;"]);
    }

    #[test]
    fn begin_atomic_bodies() {
        let script = "CREATE FUNCTION f() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT 1;\n  \
                      SELECT 2;\nEND;\nSELECT 3;";
        let s = split(script).unwrap();
        let body = "CREATE FUNCTION f() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT 1;\n  SELECT 2;\nEND";
        assert_eq!(s[0].sql, body);
        assert_eq!((s[1].sql.as_str(), s[1].line, s[1].column), ("SELECT 3", 6, 1));
        assert_eq!(s.len(), 2);
        // CASE ... END inside the body; keywords are case-insensitive.
        let with_case = "create or replace procedure p(x int) language sql begin atomic \
                         select case when x > 0 then 1 end; insert into t values (x); end; select 4";
        let body = "create or replace procedure p(x int) language sql begin atomic \
                    select case when x > 0 then 1 end; insert into t values (x); end";
        check(with_case, &[body, "select 4"]);
        // psql ignores CASE/END inside parentheses.
        let script = "CREATE PROCEDURE p() BEGIN ATOMIC SELECT (CASE WHEN true THEN 1 END); END; SELECT 5";
        check(script, &["CREATE PROCEDURE p() BEGIN ATOMIC SELECT (CASE WHEN true THEN 1 END); END", "SELECT 5"]);
    }

    #[test]
    fn plain_transaction_begin_ends_at_semicolon() {
        check("BEGIN;\nCREATE TABLE t (id int);\nCOMMIT;", &["BEGIN", "CREATE TABLE t (id int)", "COMMIT"]);
        let script = "CREATE TABLE t (a int); BEGIN; SELECT CASE WHEN true THEN 1 END; END;";
        check(script, &["CREATE TABLE t (a int)", "BEGIN", "SELECT CASE WHEN true THEN 1 END", "END"]);
        // A PL/pgSQL body is dollar-quoted: its BEGIN/END are invisible.
        let script = "CREATE FUNCTION g() RETURNS void AS $$ BEGIN PERFORM 1; END $$ LANGUAGE plpgsql; SELECT 1";
        let first = "CREATE FUNCTION g() RETURNS void AS $$ BEGIN PERFORM 1; END $$ LANGUAGE plpgsql";
        check(script, &[first, "SELECT 1"]);
        // Only a statement *starting* with CREATE [OR REPLACE] FUNCTION|PROCEDURE counts.
        check("CREATE TABLE function (begin int); SELECT 2", &["CREATE TABLE function (begin int)", "SELECT 2"]);
        // ...and only outside parentheses: this `begin` is a parameter name.
        let script = "CREATE FUNCTION f(begin int) RETURNS int LANGUAGE sql RETURN 1; SELECT 2";
        let first = "CREATE FUNCTION f(begin int) RETURNS int LANGUAGE sql RETURN 1";
        check(script, &[first, "SELECT 2"]);
        // A psql variable reference such as `:begin` is not an identifier either.
        let script = "CREATE FUNCTION f() RETURNS int LANGUAGE sql RETURN :begin; SELECT 2";
        check(script, &["CREATE FUNCTION f() RETURNS int LANGUAGE sql RETURN :begin", "SELECT 2"]);
    }

    #[test]
    fn semicolon_inside_parentheses() {
        let rule = "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2))";
        check(&format!("{rule}; SELECT 1"), &[rule, "SELECT 1"]);
        check("SELECT 1); SELECT 2", &["SELECT 1)", "SELECT 2"]);
    }

    #[test]
    fn crlf_line_endings() {
        let script = "SELECT 1;\r\nSELECT\r\n  x;\r\n";
        let s = split(script).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!((s[1].sql.as_str(), s[1].line, s[1].column), ("SELECT\r\n  x", 2, 1));
        assert_eq!(locate(script, &s[1], 11), (3, 3));
    }

    #[test]
    fn locate_counts_characters_not_bytes() {
        let script = "-- ünïcödé\nSELECT 'ß→', bogus;";
        let s = split(script).unwrap();
        assert_eq!((s[0].line, s[0].column), (2, 1));
        assert_eq!(locate(script, &s[0], 14), (2, 14));
        let script = "SELECT 1;\n  SELECT 'ä',\n  ö_missing, x;";
        let stmt = &split(script).unwrap()[1];
        assert_eq!(locate(script, stmt, 15), (3, 3));
        assert_eq!(locate(script, stmt, 26), (3, 14)); // the x
        assert_eq!(locate(script, stmt, 1), (2, 3));
        assert_eq!(locate(script, stmt, 0), (2, 3));
        assert_eq!(locate(script, stmt, 999), (3, 15)); // just past the end
    }

    #[test]
    fn line_col_helper() {
        let script = "ab\ncdé\nx";
        assert_eq!(line_col(script, 0), (1, 1));
        assert_eq!(line_col(script, 2), (1, 3));
        assert_eq!(line_col(script, 3), (2, 1));
        assert_eq!(line_col(script, 7), (2, 4)); // the newline after é (2 bytes)
        assert_eq!(line_col(script, 6), (2, 3)); // inside é: clamped to its start
        assert_eq!(line_col(script, 8), (3, 1));
        assert_eq!(line_col(script, 100), (3, 2));
    }

    #[test]
    fn final_statement_without_semicolon_and_empty_statements() {
        check("SELECT 1;\nSELECT 2  \n\n", &["SELECT 1", "SELECT 2"]);
        check("SELECT 1;\n-- only a comment\n/* another */\n", &["SELECT 1"]);
        check(";;SELECT 1;;; ;SELECT 2;", &["SELECT 1", "SELECT 2"]);
        check("  \n-- nothing\n", &[]);
        check("SELECT 1\n-- tail", &["SELECT 1\n-- tail"]);
    }

    #[test]
    fn meta_commands_are_rejected() {
        let err = split("SELECT 1;\n\\i other.sql\n").unwrap_err();
        let command = "\\i".to_string();
        let why = "plain SQL expected here";
        assert_eq!(err, SplitError::MetaCommand { line: 2, column: 1, command, why });
        let message = "psql meta-command \\i is not supported: plain SQL expected here (line 2, column 1)";
        assert_eq!(err.to_string(), message);
        let err = split("SELECT 1 \\gset\n").unwrap_err();
        let command = "\\gset".to_string();
        assert_eq!(err, SplitError::MetaCommand { line: 1, column: 10, command, why });
        // Backslashes inside strings, comments and dollar quotes are fine.
        check("SELECT '\\i x' /* \\i */, $$\\set$$; -- \\q\n", &["SELECT '\\i x' /* \\i */, $$\\set$$"]);
    }

    #[test]
    fn unterminated_constructs() {
        assert_eq!(unterminated("SELECT 1;\nSELECT 'abc"), ("quoted string", 2, 8));
        assert_eq!(unterminated(r"SELECT E'abc\'"), ("quoted string", 1, 8));
        assert_eq!(unterminated("SELECT \"abc;"), ("quoted identifier", 1, 8));
        assert_eq!(unterminated("SELECT 1;\n  SELECT $x$ abc $y$;"), ("dollar-quoted string", 2, 10));
        assert_eq!(unterminated("SELECT 1 /* a /* b */;"), ("block comment", 1, 10));
        let err = split("\n\n\n\n\n\n\n\n\n\n\n    SELECT $$x").unwrap_err();
        assert_eq!(err.to_string(), "unterminated dollar-quoted string starting at line 12, column 12");
    }

    #[test]
    fn non_transactional_statements() {
        use NonTransactional::*;
        let cases = [
            ("CREATE INDEX CONCURRENTLY i ON t (a)", CreateIndexConcurrently),
            ("create unique\n  index /* c */ concurrently if not exists i on t (a)", CreateIndexConcurrently),
            ("DROP INDEX CONCURRENTLY IF EXISTS i", DropIndexConcurrently),
            ("REINDEX TABLE CONCURRENTLY t", ReindexConcurrently),
            ("REINDEX (VERBOSE, CONCURRENTLY) INDEX i", ReindexConcurrently),
            ("REINDEX DATABASE app", ReindexSchemaDatabaseSystem),
            ("reindex (verbose) system", ReindexSchemaDatabaseSystem),
            ("VACUUM (ANALYZE) t", Vacuum),
            ("CLUSTER", ClusterAll),
            ("CLUSTER VERBOSE", ClusterAll),
            ("CLUSTER (VERBOSE)", ClusterAll),
            ("CREATE DATABASE app", CreateDatabase),
            ("DROP DATABASE IF EXISTS app", DropDatabase),
            ("ALTER DATABASE app SET TABLESPACE fast", AlterDatabaseSetTablespace),
            ("ALTER SYSTEM SET work_mem = '64MB'", AlterSystem),
            ("CREATE TABLESPACE fast LOCATION '/ssd'", CreateTablespace),
            ("DROP TABLESPACE fast", DropTablespace),
            ("ALTER TABLE IF EXISTS s.p DETACH PARTITION s.\"p 1\" CONCURRENTLY", DetachPartitionConcurrently),
            ("CREATE SUBSCRIPTION s CONNECTION 'x' PUBLICATION p", CreateSubscription),
            ("DROP SUBSCRIPTION s", DropSubscription),
            ("ALTER SUBSCRIPTION s REFRESH PUBLICATION", AlterSubscriptionRefresh),
            ("DISCARD ALL", DiscardAll),
        ];
        for (sql, expected) in cases {
            assert_eq!(kind(sql), Some(expected), "{sql}");
        }
        assert_eq!(ClusterAll.describe(), "CLUSTER without a table name");
        assert_eq!(CreateIndexConcurrently.describe(), "CREATE INDEX CONCURRENTLY");
    }

    #[test]
    fn transactional_statements_are_not_flagged() {
        let cases = [
            "CREATE INDEX i ON t (concurrently_col)",
            "CREATE UNIQUE INDEX i ON t (a)",
            "DROP INDEX i",
            "REFRESH MATERIALIZED VIEW CONCURRENTLY mv",
            "CLUSTER tbl",
            "CLUSTER VERBOSE tbl USING idx",
            "REINDEX TABLE t",
            "REINDEX (CONCURRENTLY false) INDEX i",
            "ALTER TYPE mood ADD VALUE 'meh'",
            "ALTER TABLE p DETACH PARTITION c",
            "ALTER DATABASE app SET work_mem = '1MB'",
            "ANALYZE t",
            "SELECT 'VACUUM'",
            "DISCARD PLANS",
            "CREATE TABLE database (id int)",
        ];
        for sql in cases {
            assert_eq!(kind(sql), None, "{sql}");
        }
        let s = split("/* VACUUM */ -- VACUUM\nVACUUM; SELECT 1").unwrap();
        assert_eq!(s[0].non_transactional, Some(NonTransactional::Vacuum));
        assert_eq!(s[1].non_transactional, None);
    }
}
