//! psql's meta-commands, where psql is the runner (Sqitch deploys PostgreSQL changes through
//! it, and `psql -f` is how people apply a migration by hand): followed as psql follows them,
//! so that the statements pgstage sends are those psql would have sent.
//!
//! - `\set name value…` (the values joined, as psql does) and `\unset name`; the variables
//!   are substituted in the SQL outside quotes, comments and dollar-quoted bodies: `:name` as
//!   its value, `:'name'` as a string literal, `:"name"` as a quoted identifier, `:{?name}` as
//!   whether it is set; an unset one stays as written (as psql leaves it).
//! - `\if`, `\elif`, `\else`, `\endif` on constants (`true`/`false`, `on`/`off`, `yes`/`no`,
//!   `1`/`0`, or a variable holding one); the statements of a false branch are not sent.
//! - `\ir file` (relative to the including file) and `\i file` (relative to the working
//!   directory, as psql reads it): the included file's statements, named by their own file.
//! - `\echo`, `\qecho`, `\warn`, `\pset`, `\timing`, `\x`, `\a`, `\t`: output only, nothing
//!   for the database.
//!
//! Any other meta-command is refused by name at file:line:column: pgstage does not run shell
//! commands, copy files or reconnect on the user's behalf.
//!
//! [`follow`] also lists every file an include read, in the order psql reads them (a file
//! included twice is listed twice; one in a branch not taken is not read), with its length
//! and SHA-256: what the ledger's checksum and the baseline cache's key cover besides the file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::{Included, SplitError, Statement, line_col};

/// Includes deeper than this are taken for a loop.
const MAX_DEPTH: usize = 16;

/// What the meta-commands pgstage follows are named, for the refusal of another.
const FOLLOWED: &str =
    "pgstage follows \\set, \\unset, \\if/\\elif/\\else/\\endif, \\i/\\ir, \\echo/\\qecho/\\warn and \\pset/\\timing";

/// Split the text of the file `file` (shown as `shown`) as psql would run it.
pub fn split(script: &str, file: &Path, shown: &Path) -> Result<Vec<Statement>, SplitError> {
    follow(script, file, shown).map(|f| f.statements)
}

/// The file `file` (shown as `shown`, its text `script`) as psql runs it.
#[derive(Debug)]
pub struct Followed {
    /// The statements psql sends.
    pub statements: Vec<Statement>,
    /// The files its includes read, in the order read.
    pub included: Vec<IncludedFile>,
    /// It holds a meta-command (so its text is not what the server is sent).
    pub meta_commands: bool,
}

/// A file read by a `\i` / `\ir`: its path as resolved (as read), as shown, and its bytes'
/// length and SHA-256 (hex).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncludedFile {
    pub file: PathBuf,
    pub shown: String,
    pub len: u64,
    pub sha256: String,
}

/// Split the text of the file `file` (shown as `shown`) as psql would run it, and list the
/// files it includes.
pub fn follow(script: &str, file: &Path, shown: &Path) -> Result<Followed, SplitError> {
    let mut session =
        Session { vars: HashMap::new(), conds: Vec::new(), files: vec![File::of(file, shown)], read: vec![], metas: 0 };
    let statements = super::scan(script, Some(&mut session))?;
    Ok(Followed { statements, included: session.read, meta_commands: session.metas > 0 })
}

/// psql's state while it runs a file: its variables, the open `\if`s, the files being read.
pub struct Session {
    vars: HashMap<String, String>,
    conds: Vec<Cond>,
    /// The file being read, last; those that included it before.
    files: Vec<File>,
    /// Every file included so far, in the order read.
    read: Vec<IncludedFile>,
    /// Meta-commands met so far.
    metas: usize,
}

struct File {
    dir: PathBuf,
    shown_dir: PathBuf,
}

impl File {
    fn of(file: &Path, shown: &Path) -> File {
        let parent = |p: &Path| p.parent().map(Path::to_path_buf).unwrap_or_default();
        File { dir: parent(file), shown_dir: parent(shown) }
    }
}

/// An open `\if`.
struct Cond {
    /// The branch being read is the one taken.
    active: bool,
    /// A branch was taken (or the whole `\if` is inside a false branch).
    taken: bool,
    /// After `\else`.
    in_else: bool,
    line: usize,
    column: usize,
}

/// A meta-command as written: its name (`\set`) and where its arguments start.
struct Meta<'a> {
    name: &'a str,
    args_from: usize,
}

impl Session {
    /// How many `\if`s are open (a file must close those it opens).
    pub(super) fn depth(&self) -> usize {
        self.conds.len()
    }

    /// Whether the statements read now are sent (not inside a false `\if` branch).
    pub(super) fn active(&self) -> bool {
        self.conds.iter().all(|c| c.active)
    }

    /// Follow the meta-command at `start` of `script`: returns where it ends and the
    /// statements it brought in (`\i`). `in_statement`: it stands inside an unfinished one.
    pub(super) fn meta(&mut self, script: &str, start: usize, in_statement: bool) -> Result<(usize, Vec<Statement>), SplitError> {
        self.metas += 1;
        let bytes = script.as_bytes();
        let name_end = super::scan_while(bytes, start + 1, |c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'?' | b'!'));
        let name = &script[start..name_end.max(start + 1)];
        let (line, column) = line_col(script, start);
        let meta = Meta { name, args_from: name_end };
        let err = |message: String| SplitError::Psql { line, column, message };
        let conditional = matches!(name, "\\if" | "\\elif" | "\\else" | "\\endif");
        if conditional && in_statement {
            return Err(err(format!("{name} inside an unfinished statement: end the statement with `;` before it")));
        }
        if !self.active() && !conditional {
            // psql skips it unread in a false branch.
            return Ok((args_end(script, meta.args_from), vec![]));
        }
        // Arguments are read (variables substituted) only where psql reads them.
        let read = match name {
            "\\if" => self.active(),
            "\\elif" => self.parent_active() && !self.conds.last().is_some_and(|c| c.taken),
            "\\else" | "\\endif" => false,
            _ => true,
        };
        let (args, end) = if read { self.args(script, &meta)? } else { (vec![], args_end(script, meta.args_from)) };
        let mut included = vec![];
        match name {
            "\\set" => {
                if let Some((var, values)) = args.split_first() {
                    self.vars.insert(var.clone(), values.concat());
                }
            }
            "\\unset" => {
                let var = args.first().ok_or_else(|| err("\\unset: missing the variable's name".into()))?;
                self.vars.remove(var);
            }
            "\\echo" | "\\qecho" | "\\warn" | "\\pset" | "\\timing" | "\\x" | "\\a" | "\\t" => {}
            "\\if" => {
                let active = self.active();
                let value = if active { boolean(name, &args).map_err(err)? } else { false };
                // Inside a false branch, no branch of this one is ever taken.
                self.conds.push(Cond { active: value, taken: value || !active, in_else: false, line, column });
            }
            "\\elif" => {
                let (taken, in_else) =
                    self.conds.last().map(|c| (c.taken, c.in_else)).ok_or_else(|| err("\\elif without \\if".into()))?;
                if in_else {
                    return Err(err("\\elif after \\else".into()));
                }
                let value = !taken && boolean(name, &args).map_err(err)?;
                let top = self.conds.last_mut().expect("checked");
                (top.active, top.taken) = (value, taken || value);
            }
            "\\else" => {
                let top = self.conds.last_mut().ok_or_else(|| err("\\else without \\if".into()))?;
                if top.in_else {
                    return Err(err("\\else after \\else".into()));
                }
                (top.active, top.taken, top.in_else) = (!top.taken, true, true);
            }
            "\\endif" => {
                self.conds.pop().ok_or_else(|| err("\\endif without \\if".into()))?;
            }
            "\\i" | "\\include" | "\\ir" | "\\include_relative" => {
                if in_statement {
                    return Err(err(format!("{name} inside an unfinished statement: end the statement with `;` before it")));
                }
                let path = args.first().ok_or_else(|| err(format!("{name}: missing the file name")))?;
                included = self.include(name, Path::new(path), line, column)?;
            }
            _ => {
                let why = if name == "\\" { "a lone backslash" } else { FOLLOWED };
                return Err(SplitError::MetaCommand { line, column, command: name.to_owned(), why });
            }
        }
        Ok((end, included))
    }

    /// Whether the branch around the innermost `\if` is read.
    fn parent_active(&self) -> bool {
        self.conds.iter().rev().skip(1).all(|c| c.active)
    }

    /// The statements of the file a `\i` / `\ir` (at `line`, `column`) names, read with the
    /// same variables; each names its file.
    fn include(&mut self, name: &str, path: &Path, line: usize, column: usize) -> Result<Vec<Statement>, SplitError> {
        let err = |message: String| SplitError::Psql { line, column, message };
        if self.files.len() > MAX_DEPTH {
            return Err(err(format!(
                "{name} {}: files included more than {MAX_DEPTH} deep (one includes itself?)",
                path.display()
            )));
        }
        let here = self.files.last().expect("the file being read");
        let relative = matches!(name, "\\ir" | "\\include_relative");
        let (file, shown) = match (path.is_absolute(), relative) {
            (true, _) => (path.to_path_buf(), path.to_path_buf()),
            (false, true) => (here.dir.join(path), here.shown_dir.join(path)),
            (false, false) => (std::env::current_dir().unwrap_or_default().join(path), path.to_path_buf()),
        };
        let bytes = std::fs::read(&file).map_err(|e| {
            let hint =
                if relative { "" } else { " (psql reads a \\i path from its working directory; \\ir reads it beside this file)" };
            err(format!("{name} {}: cannot read {}: {e}{hint}", path.display(), shown.display()))
        })?;
        self.read.push(IncludedFile {
            file: file.clone(),
            shown: shown.display().to_string(),
            len: bytes.len() as u64,
            sha256: Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect(),
        });
        let text = String::from_utf8(bytes)
            .map_err(|_| err(format!("{name} {}: {} is not UTF-8 text", path.display(), shown.display())))?;
        let script = text.strip_prefix('\u{feff}').unwrap_or(&text).to_owned();
        self.files.push(File::of(&file, &shown));
        let split = super::scan(&script, Some(self));
        self.files.pop();
        let shown = shown.display().to_string();
        let mut statements = split.map_err(|e| match e {
            SplitError::Included { .. } => e,
            e => SplitError::Included { file: shown.clone(), source: Box::new(e) },
        })?;
        let from = Arc::new(Included { shown, script });
        for s in statements.iter_mut().filter(|s| s.included.is_none()) {
            s.included = Some(from.clone());
        }
        Ok(statements)
    }

    /// The substitution psql makes for the variable reference `script[start..end]`: `None`
    /// when it leaves it as written (an unset variable).
    pub(super) fn variable(&self, script: &str, start: usize, end: usize) -> Result<Option<String>, SplitError> {
        let reference = &script[start..end];
        let value = self.substitute(reference);
        if let (Some(v), false) = (&value, reference.starts_with(":'") || reference.starts_with(":\"")) {
            let syntax = ['\'', '"', ';', '$', '\\'].iter().any(|c| v.contains(*c)) || v.contains("--") || v.contains("/*");
            if syntax && !reference.starts_with(":{") {
                let (line, column) = line_col(script, start);
                let message = format!(
                    "the value of {reference} ({v}) holds quotes, `;`, `$`, a backslash or a comment, which psql would read as SQL again: write :'{0}' for a string or :\"{0}\" for a name",
                    &reference[1..]
                );
                return Err(SplitError::Psql { line, column, message });
            }
        }
        Ok(value)
    }

    /// `:name`, `:'name'`, `:"name"` or `:{?name}` as psql substitutes it.
    fn substitute(&self, reference: &str) -> Option<String> {
        let body = &reference[1..];
        if let Some(name) = body.strip_prefix("{?").and_then(|b| b.strip_suffix('}')) {
            return Some(if self.vars.contains_key(name) { "TRUE" } else { "FALSE" }.to_owned());
        }
        if let Some(name) = body.strip_prefix('\'').and_then(|b| b.strip_suffix('\'')) {
            return self.vars.get(name).map(|v| quote_literal(v));
        }
        if let Some(name) = body.strip_prefix('"').and_then(|b| b.strip_suffix('"')) {
            return self.vars.get(name).map(|v| format!("\"{}\"", v.replace('"', "\"\"")));
        }
        self.vars.get(body).cloned()
    }

    /// A file must close the `\if`s it opens (psql: "reached EOF without finding closing
    /// \endif(s)").
    pub(super) fn end_of_file(&mut self, _script: &str, depth: usize) -> Result<(), SplitError> {
        if self.conds.len() > depth {
            let open = &self.conds[depth];
            let (line, column) = (open.line, open.column);
            self.conds.truncate(depth);
            return Err(SplitError::Psql { line, column, message: "\\if without \\endif in the same file".into() });
        }
        Ok(())
    }

    /// The arguments of a meta-command as psql reads them: separated by spaces, `'…'`
    /// quoted (`''` a quote, `\n` and the other backslash escapes), `"…"` kept as written,
    /// variables substituted; the end of the line, `\\` or another backslash command ends
    /// them. Returns them and where the command ends.
    fn args(&self, script: &str, meta: &Meta<'_>) -> Result<(Vec<String>, usize), SplitError> {
        let s = script.as_bytes();
        let err = |at: usize, message: String| {
            let (line, column) = line_col(script, at);
            SplitError::Psql { line, column, message }
        };
        let mut args = Vec::new();
        let mut i = meta.args_from;
        loop {
            i = super::scan_while(s, i, |c| c == b' ' || c == b'\t' || c == b'\r');
            match s.get(i) {
                None | Some(b'\n') => return Ok((args, i)),
                Some(b'\\') if s.get(i + 1) == Some(&b'\\') => return Ok((args, i + 2)),
                Some(b'\\') => return Ok((args, i)),
                _ => {}
            }
            let mut arg = String::new();
            while let Some(&c) = s.get(i) {
                match c {
                    b' ' | b'\t' | b'\r' | b'\n' | b'\\' => break,
                    b'\'' => {
                        let (text, end) = single_quoted(script, i)
                            .ok_or_else(|| err(i, format!("{}: unterminated quoted string", meta.name)))?;
                        arg.push_str(&text);
                        i = end;
                    }
                    b'"' => {
                        let end = super::quoted(s, i + 1, b'"', false)
                            .filter(|&e| !script[i..e].contains('\n'))
                            .ok_or_else(|| err(i, format!("{}: unterminated quoted identifier", meta.name)))?;
                        arg.push_str(&script[i..end]);
                        i = end;
                    }
                    b'`' => {
                        return Err(err(i, format!("{}: a backquoted shell command: pgstage runs no shell command", meta.name)));
                    }
                    b':' => {
                        let end = quoted_variable(s, i)
                            .or_else(|| {
                                let e = super::scan_while(s, i + 1, super::is_variable_char);
                                (e > i + 1).then_some(e)
                            })
                            .unwrap_or(i + 1);
                        arg.push_str(&self.substitute(&script[i..end]).unwrap_or_else(|| script[i..end].to_owned()));
                        i = end;
                    }
                    _ => {
                        let len = script[i..].chars().next().map_or(1, char::len_utf8);
                        arg.push_str(&script[i..i + len]);
                        i += len;
                    }
                }
            }
            args.push(arg);
        }
    }
}

/// Where the arguments of a meta-command end, unread (in a false branch).
fn args_end(script: &str, from: usize) -> usize {
    let s = script.as_bytes();
    let mut i = from;
    while let Some(&c) = s.get(i) {
        match c {
            b'\n' => return i,
            b'\\' if s.get(i + 1) == Some(&b'\\') => return i + 2,
            b'\\' => return i,
            b'\'' => i = single_quoted(script, i).map_or(s.len(), |(_, e)| e),
            _ => i += 1,
        }
    }
    i
}

/// A `'…'` argument at `at`: its text (`''` a quote; `\n`, `\t`, `\b`, `\r`, `\f`, octal
/// `\ooo` and hex `\xhh` escapes; any other escaped character as itself) and its end; `None`
/// when it does not close on its line.
fn single_quoted(script: &str, at: usize) -> Option<(String, usize)> {
    let s = script.as_bytes();
    let mut out = Vec::new();
    let mut i = at + 1;
    loop {
        match *s.get(i)? {
            b'\n' => return None,
            b'\'' if s.get(i + 1) == Some(&b'\'') => {
                out.push(b'\'');
                i += 2;
            }
            b'\'' => return Some((String::from_utf8_lossy(&out).into_owned(), i + 1)),
            b'\\' => {
                let c = *s.get(i + 1)?;
                i += 2;
                match c {
                    b'n' => out.push(b'\n'),
                    b't' => out.push(b'\t'),
                    b'b' => out.push(8),
                    b'r' => out.push(b'\r'),
                    b'f' => out.push(12),
                    b'0'..=b'7' => {
                        let end = super::scan_while(s, i, |d| (b'0'..=b'7').contains(&d)).min(i + 2);
                        out.push(u8::from_str_radix(&script[i - 1..end], 8).ok()?);
                        i = end;
                    }
                    b'x' if s.get(i).is_some_and(u8::is_ascii_hexdigit) => {
                        let end = super::scan_while(s, i, |d| d.is_ascii_hexdigit()).min(i + 2);
                        out.push(u8::from_str_radix(&script[i..end], 16).ok()?);
                        i = end;
                    }
                    c => out.push(c),
                }
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
}

/// The end of `:'name'`, `:"name"` or `:{?name}` at `start`, if one is there.
pub(super) fn quoted_variable(s: &[u8], start: usize) -> Option<usize> {
    let (close, from) = match (s.get(start + 1), s.get(start + 2)) {
        (Some(b'\''), _) => (b'\'', start + 2),
        (Some(b'"'), _) => (b'"', start + 2),
        (Some(b'{'), Some(b'?')) => (b'}', start + 3),
        _ => return None,
    };
    let end = super::scan_while(s, from, super::is_variable_char);
    (end > from && s.get(end) == Some(&close)).then_some(end + 1)
}

/// A string literal of `value` as psql's `:'name'` writes it (`E'…'` when it holds a
/// backslash).
fn quote_literal(value: &str) -> String {
    let quoted = value.replace('\'', "''");
    if value.contains('\\') { format!(" E'{}'", quoted.replace('\\', "\\\\")) } else { format!("'{quoted}'") }
}

/// `\if` / `\elif`'s value as psql reads a boolean: a unique prefix of `true`, `false`, `yes`,
/// `no`, of `on` / `off` (two letters at least), or `1` / `0`, in any case.
fn boolean(name: &str, args: &[String]) -> Result<bool, String> {
    let value = match args {
        [one] => one.to_lowercase(),
        [] => return Err(format!("{name}: missing the expression")),
        _ => return Err(format!("{name} {}: one value expected (psql evaluates no expression)", args.join(" "))),
    };
    let prefix = |word: &str, min: usize| value.len() >= min && word.starts_with(value.as_str());
    match () {
        _ if value == "1" || prefix("true", 1) || prefix("yes", 1) || prefix("on", 2) => Ok(true),
        _ if value == "0" || prefix("false", 1) || prefix("no", 1) || prefix("off", 2) => Ok(false),
        _ => Err(format!("{name} {}: not a boolean (true/false, on/off, yes/no, 1/0)", args[0])),
    }
}

#[cfg(test)]
mod tests;
