//! Reading a plan file: RON text to [`Plan`], with errors that point at the file, line,
//! column and field, and say what was expected. Every problem is reported at once: when
//! RON with serde stops at the first, the text is read again as a [`tree`](super::tree),
//! the part at fault is set aside (a field taken out, or a stand-in value put in its place)
//! and reading goes on, until the rest reads; the rest is then validated too.

use std::fmt;
use std::path::{Path, PathBuf};

use super::defaults;
use super::model::Plan;
use super::tree::{self, ErrorKind, Node, Pos, Seg, Value};
use super::validate::{Problem, validate};

/// A plan that could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("cannot read plan {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    /// The text is not RON at all: reading cannot go past this point.
    #[error("{0}")]
    Syntax(SyntaxError),
    /// Every problem found, in file order, each with its line, column and field.
    #[error("plan {} has {} problem{}:\n{}", path.display(), problems.len(), if problems.len() == 1 { "" } else { "s" },
        problems.iter().map(|p| format!("  {}:{p}", path.display())).collect::<Vec<_>>().join("\n"))]
    Invalid { path: PathBuf, problems: Vec<Problem> },
}

/// Where and why a plan file does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub path: PathBuf,
    /// 1-based.
    pub line: usize,
    /// 1-based.
    pub column: usize,
    /// The field being read, as a path from the plan's root (e.g. `migrations[2].expected_ms`);
    /// empty when the error is outside any field.
    pub field: String,
    /// What went wrong, including what was expected.
    pub message: String,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.path.display(), self.line, self.column)?;
        if !self.field.is_empty() {
            write!(f, "in `{}`: ", self.field)?;
        }
        f.write_str(&self.message)
    }
}

/// Read, parse and validate the plan file at `path`; paths in it resolve against `dir`.
pub fn read(path: &Path, dir: &Path) -> Result<Plan, PlanError> {
    let text = std::fs::read_to_string(path).map_err(|source| PlanError::Read { path: path.to_owned(), source })?;
    parse(&text, path, dir)
}

/// Parse and validate plan text; `path` names it in messages and gives the default title.
pub fn parse(text: &str, path: &Path, dir: &Path) -> Result<Plan, PlanError> {
    let (plan, mut problems, set_aside) = match parse_ron(text, path) {
        Ok(plan) => (plan, Vec::new(), Vec::new()),
        Err(first) => match tree::parse(text) {
            Err(_) => return Err(PlanError::Syntax(first)),
            Ok(root) => {
                let reading = Reading::new(root);
                match reading.run() {
                    (Some(plan), problems, set_aside) if !problems.is_empty() => (plan, problems, set_aside),
                    (None, problems, _) if !problems.is_empty() => {
                        return Err(PlanError::Invalid { path: path.to_owned(), problems });
                    }
                    // The tree reads where RON did not: RON's own error is the one to show.
                    _ => return Err(PlanError::Syntax(first)),
                }
            }
        },
    };
    let mut plan = plan;
    defaults::fill(&mut plan, text, path);
    let found = validate(&plan, dir);
    if !found.is_empty() {
        let root = tree::parse(text).ok();
        for mut p in found {
            let at = tree::path_of(&p.field);
            if set_aside.iter().any(|s: &Vec<Seg>| at.starts_with(s)) {
                continue;
            }
            if let Some(root) = &root {
                let pos = root.locate(&at).pos;
                (p.line, p.column) = (pos.line, pos.column);
            }
            problems.push(p);
        }
    }
    if problems.is_empty() {
        return Ok(plan);
    }
    problems.sort_by_key(|p| (p.line, p.column));
    Err(PlanError::Invalid { path: path.to_owned(), problems })
}

/// RON and serde, as fast as it goes; the first error only.
fn parse_ron(text: &str, path: &Path) -> Result<Plan, SyntaxError> {
    let error = |span: ron::error::Span, field: String, code: ron::Error| SyntaxError {
        path: path.to_owned(),
        line: span.start.line,
        column: span.start.col,
        field,
        message: code.to_string(),
    };
    // `expected_ms: (400, 500)` for `Some((400, 500))`, as plans were written before it was optional.
    let options = ron::Options::default().with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME);
    let mut de = ron::Deserializer::from_str_with_options(text, &options).map_err(|e| error(e.span, String::new(), e.code))?;
    let plan: Plan = match serde_path_to_error::deserialize(&mut de) {
        Ok(plan) => plan,
        Err(e) => {
            let field = field_path(e.path());
            let spanned = de.span_error(e.into_inner());
            return Err(error(spanned.span, field, spanned.code));
        }
    };
    de.end().map_err(|code| {
        let spanned = de.span_error(code);
        error(spanned.span, String::new(), spanned.code)
    })?;
    Ok(plan)
}

/// serde_path_to_error prints `?` for the root and for enum wrappers; keep only real fields.
fn field_path(path: &serde_path_to_error::Path) -> String {
    let text = path.to_string();
    if text == "." || text == "?" { String::new() } else { text.replace(".?", "") }
}

/// Reading the tree again and again, setting aside what fails, until the rest reads.
struct Reading {
    root: Node,
    problems: Vec<Problem>,
    /// Paths taken out or replaced by a stand-in: problems below them are not the plan's.
    set_aside: Vec<Vec<Seg>>,
    /// The stand-in being tried at a path, and the ones left to try.
    stand_in: Option<(Vec<Seg>, Vec<Value>)>,
}

/// Reading stops after this many attempts (a plan has far fewer problems).
const MAX_ATTEMPTS: usize = 1000;

impl Reading {
    fn new(root: Node) -> Self {
        Self { root, problems: Vec::new(), set_aside: Vec::new(), stand_in: None }
    }

    fn run(mut self) -> (Option<Plan>, Vec<Problem>, Vec<Vec<Seg>>) {
        for _ in 0..MAX_ATTEMPTS {
            let e = match tree::deserialize::<Plan>(&self.root) {
                Ok(plan) => return (Some(plan), self.problems, self.set_aside),
                Err(e) => e,
            };
            let (at, pos) = e.at.clone().unwrap_or_default();
            if let Some((path, left)) = &mut self.stand_in
                && at.starts_with(path)
            {
                // The stand-in does not fit either: the next one.
                if let ErrorKind::UnknownVariant(variants) = e.kind {
                    for v in variants.iter().rev() {
                        left.extend([
                            Value::Struct(Some(v.to_string()), vec![]),
                            Value::Tuple(Some(v.to_string()), vec![int(0)]),
                            Value::Tuple(Some(v.to_string()), vec![str("")]),
                            Value::Ident(v.to_string()),
                        ]);
                    }
                }
                let path = path.clone();
                match left.pop() {
                    Some(value) => {
                        self.root.put(&path, value);
                    }
                    None if self.root.remove_field(&path) => self.stand_in = None,
                    None => break,
                }
                continue;
            }
            match e.kind {
                ErrorKind::UnknownField => {
                    self.problem(&at, pos, e.message);
                    if !self.root.remove_field(&at) {
                        break;
                    }
                    self.set_aside.push(at);
                }
                ErrorKind::MissingField(field) => {
                    let mut path = at;
                    path.push(Seg::Field(field.to_owned()));
                    if !self.set_aside.contains(&path) {
                        self.problem(&path, pos, e.message);
                    }
                    if !self.stand_in_at(path) {
                        break;
                    }
                }
                ErrorKind::Invalid | ErrorKind::UnknownVariant(_) => {
                    self.problem(&at, pos, e.message);
                    if !self.stand_in_at(at) {
                        break;
                    }
                }
            }
        }
        (None, self.problems, self.set_aside)
    }

    fn problem(&mut self, at: &[Seg], pos: Pos, message: String) {
        let field = tree::path_text(at);
        self.problems.push(Problem { line: pos.line, column: pos.column, field, message });
    }

    /// Put a stand-in value at `path`; false when there is no such place.
    fn stand_in_at(&mut self, path: Vec<Seg>) -> bool {
        // Tried from the end: nothing, text, a number, a list, an empty struct or tuple.
        let left = vec![
            Value::Tuple(None, vec![]),
            Value::Struct(None, vec![]),
            Value::List(vec![]),
            Value::Int(0),
            Value::Str(String::new()),
        ];
        let first = Value::Ident("None".into());
        if path.is_empty() || !self.root.put(&path, first) {
            return false;
        }
        self.set_aside.push(path.clone());
        self.stand_in = Some((path, left));
        true
    }
}

fn int(n: i128) -> tree::Node {
    tree::Node { pos: Pos::default(), value: Value::Int(n) }
}

fn str(s: &str) -> tree::Node {
    tree::Node { pos: Pos::default(), value: Value::Str(s.to_owned()) }
}
