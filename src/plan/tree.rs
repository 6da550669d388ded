//! A plan file's RON text as a tree with the line and column of every value and field name,
//! for reporting every problem of a plan at once (RON with serde stops at the first).
//! [`parse`] reads the text; [`Node`] can be deserialized with serde ([`deserialize`]),
//! and errors say where (path and position) and what kind they are, so that the loader can
//! take the offending part out and go on.

use std::fmt;

use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};

/// A 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    pub line: usize,
    pub column: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub pos: Pos,
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(String),
    Int(i128),
    Float(f64),
    Bool(bool),
    Char(char),
    /// A bare name: `None`, `Tables`, `True`.
    Ident(String),
    List(Vec<Node>),
    /// `(a, b)` or `Name(a, b)`; `()` is the empty tuple.
    Tuple(Option<String>, Vec<Node>),
    /// `(a: 1)` or `Name(a: 1)`.
    Struct(Option<String>, Vec<Field>),
    Map(Vec<(Node, Node)>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    pub pos: Pos,
    pub node: Node,
}

/// One step of a path from the root: a field, or an item of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Field(String),
    Index(usize),
}

/// `migrations[1].file`.
pub fn path_text(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Field(f) if out.is_empty() => out.push_str(f),
            Seg::Field(f) => {
                out.push('.');
                out.push_str(f);
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// `migrations[1].file` back to its steps.
pub fn path_of(text: &str) -> Vec<Seg> {
    let mut out = Vec::new();
    for part in text.split('.').filter(|p| !p.is_empty()) {
        let mut pieces = part.split('[');
        if let Some(name) = pieces.next().filter(|n| !n.is_empty()) {
            out.push(Seg::Field(name.to_owned()));
        }
        out.extend(pieces.filter_map(|p| p.trim_end_matches(']').parse().ok()).map(Seg::Index));
    }
    out
}

/// Whether an enum's content is one value of the kind `is` tells.
fn holds_one(items: &[Node], is: impl Fn(&Value) -> bool) -> bool {
    items.len() == 1 && is(&items[0].value)
}

impl Node {
    fn children_mut(&mut self) -> Option<&mut Vec<Node>> {
        match &mut self.value {
            Value::List(items) | Value::Tuple(_, items) => Some(items),
            _ => None,
        }
    }

    /// The node at `path`, or the deepest one on the way there.
    pub fn locate(&self, path: &[Seg]) -> &Node {
        let mut node = self;
        for seg in path {
            let next = match (&node.value, seg) {
                (Value::Struct(_, fields), Seg::Field(name)) => fields.iter().find(|f| &f.name == name).map(|f| &f.node),
                // Through an enum's one list (`SectionsPass([…])`).
                (Value::Tuple(Some(_), items), Seg::Index(_)) if holds_one(items, |v| matches!(v, Value::List(_))) => {
                    Some(items[0].locate(std::slice::from_ref(seg)))
                }
                (Value::List(items) | Value::Tuple(_, items), Seg::Index(i)) => items.get(*i),
                // Through an enum's content (`Some(…)`, `Sql(…)`).
                (Value::Tuple(Some(_), items), Seg::Field(_)) if items.len() == 1 => {
                    Some(items[0].locate(std::slice::from_ref(seg)))
                }
                _ => None,
            };
            match next {
                Some(n) => node = n,
                None => break,
            }
        }
        node
    }

    /// The node at `path`, if every step exists.
    pub fn get_mut(&mut self, path: &[Seg]) -> Option<&mut Node> {
        let Some((first, rest)) = path.split_first() else { return Some(self) };
        let next = match (&mut self.content_mut().value, first) {
            (Value::Struct(_, fields), Seg::Field(name)) => fields.iter_mut().find(|f| &f.name == name).map(|f| &mut f.node),
            (Value::List(items) | Value::Tuple(_, items), Seg::Index(i)) => items.get_mut(*i),
            _ => None,
        }?;
        next.get_mut(rest)
    }

    /// Through `Some(…)` (or an enum's one value) to what it holds, where fields or items are.
    fn content_mut(&mut self) -> &mut Node {
        if matches!(&self.value, Value::Tuple(Some(_), items) if holds_one(items, |v| matches!(v, Value::Struct(..) | Value::List(_))))
        {
            let Value::Tuple(_, items) = &mut self.value else { unreachable!() };
            return &mut items[0];
        }
        self
    }

    /// Take out the field at `path` (its last step a field name); false if it is no field.
    pub fn remove_field(&mut self, path: &[Seg]) -> bool {
        let Some((Seg::Field(name), parent)) = path.split_last() else { return false };
        match self.get_mut(parent).map(|p| &mut p.content_mut().value) {
            Some(Value::Struct(_, fields)) => {
                let before = fields.len();
                fields.retain(|f| &f.name != name);
                fields.len() != before
            }
            _ => false,
        }
    }

    /// Set the field or item at `path` to `value` (adding the field when missing).
    pub fn put(&mut self, path: &[Seg], value: Value) -> bool {
        let Some((last, parent)) = path.split_last() else { return false };
        let Some(parent) = self.get_mut(parent).map(Node::content_mut) else { return false };
        let pos = parent.pos;
        match (&mut parent.value, last) {
            (Value::Struct(_, fields), Seg::Field(name)) => match fields.iter_mut().find(|f| &f.name == name) {
                Some(f) => f.node.value = value,
                None => fields.push(Field { name: name.clone(), pos, node: Node { pos, value } }),
            },
            (_, Seg::Index(i)) => match parent.children_mut().and_then(|c| c.get_mut(*i)) {
                Some(item) => item.value = value,
                None => return false,
            },
            _ => return false,
        }
        true
    }
}

/// Where RON text stops making sense (the loader then reports RON's own error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unparsable(pub Pos);

/// Parse RON text into a tree.
pub fn parse(text: &str) -> Result<Node, Unparsable> {
    let mut p = Parser { chars: text.chars().collect(), at: 0, line: 1, column: 1 };
    p.skip();
    if p.peek() == Some('#') {
        // `#![enable(…)]` attributes.
        while p.peek() == Some('#') {
            while let Some(c) = p.bump() {
                if c == ']' {
                    break;
                }
            }
            p.skip();
        }
    }
    let node = p.value()?;
    p.skip();
    if p.peek().is_some() {
        return Err(Unparsable(p.pos()));
    }
    Ok(node)
}

struct Parser {
    chars: Vec<char>,
    at: usize,
    line: usize,
    column: usize,
}

impl Parser {
    fn pos(&self) -> Pos {
        Pos { line: self.line, column: self.column }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    fn peek_at(&self, n: usize) -> Option<char> {
        self.chars.get(self.at + n).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.at += 1;
        if c == '\n' {
            self.line += 1;
            self.column = 1;
        } else {
            self.column += 1;
        }
        Some(c)
    }

    fn fail<T>(&self) -> Result<T, Unparsable> {
        Err(Unparsable(self.pos()))
    }

    fn expect(&mut self, c: char) -> Result<(), Unparsable> {
        self.skip();
        if self.peek() == Some(c) {
            self.bump();
            Ok(())
        } else {
            self.fail()
        }
    }

    /// Whitespace and comments (`//`, nested `/* */`).
    fn skip(&mut self) {
        loop {
            match (self.peek(), self.peek_at(1)) {
                (Some(c), _) if c.is_whitespace() => {
                    self.bump();
                }
                (Some('/'), Some('/')) => {
                    while self.peek().is_some_and(|c| c != '\n') {
                        self.bump();
                    }
                }
                (Some('/'), Some('*')) => {
                    let mut depth = 0;
                    while let Some(c) = self.bump() {
                        if c == '/' && self.peek() == Some('*') {
                            self.bump();
                            depth += 1;
                        } else if c == '*' && self.peek() == Some('/') {
                            self.bump();
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                    }
                }
                _ => return,
            }
        }
    }

    fn value(&mut self) -> Result<Node, Unparsable> {
        self.skip();
        let pos = self.pos();
        let value = match self.peek() {
            Some('"') => Value::Str(self.string()?),
            Some('r') if matches!(self.peek_at(1), Some('"' | '#')) => Value::Str(self.raw_string()?),
            Some('\'') => {
                self.bump();
                let c = match self.bump() {
                    Some('\\') => self.escape()?,
                    Some(c) => c,
                    None => return self.fail(),
                };
                self.expect('\'')?;
                Value::Char(c)
            }
            Some('[') => {
                self.bump();
                Value::List(self.items(']')?)
            }
            Some('{') => {
                self.bump();
                let mut entries = Vec::new();
                loop {
                    self.skip();
                    if self.peek() == Some('}') {
                        self.bump();
                        break;
                    }
                    let key = self.value()?;
                    self.expect(':')?;
                    let value = self.value()?;
                    entries.push((key, value));
                    if !self.comma('}')? {
                        break;
                    }
                }
                Value::Map(entries)
            }
            Some('(') => self.parens(None)?,
            Some(c) if c.is_ascii_digit() || c == '-' || c == '+' || c == '.' => self.number()?,
            Some(c) if c.is_alphabetic() || c == '_' => {
                let name = self.ident();
                match name.as_str() {
                    "true" => Value::Bool(true),
                    "false" => Value::Bool(false),
                    "inf" | "NaN" => Value::Float(if name == "inf" { f64::INFINITY } else { f64::NAN }),
                    _ => {
                        self.skip();
                        if self.peek() == Some('(') { self.parens(Some(name))? } else { Value::Ident(name) }
                    }
                }
            }
            _ => return self.fail(),
        };
        Ok(Node { pos, value })
    }

    /// After an item: a comma (true: more may follow) or the closing bracket (false).
    fn comma(&mut self, close: char) -> Result<bool, Unparsable> {
        self.skip();
        match self.peek() {
            Some(',') => {
                self.bump();
                Ok(true)
            }
            Some(c) if c == close => {
                self.bump();
                Ok(false)
            }
            _ => self.fail(),
        }
    }

    fn items(&mut self, close: char) -> Result<Vec<Node>, Unparsable> {
        let mut items = Vec::new();
        loop {
            self.skip();
            if self.peek() == Some(close) {
                self.bump();
                return Ok(items);
            }
            items.push(self.value()?);
            if !self.comma(close)? {
                return Ok(items);
            }
        }
    }

    /// `( … )` after an optional name: a struct when it starts with `name:`, else a tuple.
    fn parens(&mut self, name: Option<String>) -> Result<Value, Unparsable> {
        self.bump();
        self.skip();
        let save = (self.at, self.line, self.column);
        let is_struct = if self.peek().is_some_and(|c| c.is_alphabetic() || c == '_') {
            self.ident();
            self.skip();
            let yes = self.peek() == Some(':') && self.peek_at(1) != Some(':');
            (self.at, self.line, self.column) = save;
            yes
        } else {
            false
        };
        if !is_struct {
            return Ok(Value::Tuple(name, self.items(')')?));
        }
        let mut fields = Vec::new();
        loop {
            self.skip();
            if self.peek() == Some(')') {
                self.bump();
                break;
            }
            let pos = self.pos();
            if !self.peek().is_some_and(|c| c.is_alphabetic() || c == '_') {
                return self.fail();
            }
            let field = self.ident();
            self.expect(':')?;
            let node = self.value()?;
            fields.push(Field { name: field, pos, node });
            if !self.comma(')')? {
                break;
            }
        }
        Ok(Value::Struct(name, fields))
    }

    fn ident(&mut self) -> String {
        if self.peek() == Some('r') && self.peek_at(1) == Some('#') {
            self.bump();
            self.bump();
        }
        let mut s = String::new();
        while let Some(c) = self.peek().filter(|c| c.is_alphanumeric() || *c == '_') {
            s.push(c);
            self.bump();
        }
        s
    }

    fn escape(&mut self) -> Result<char, Unparsable> {
        Ok(match self.bump() {
            Some('n') => '\n',
            Some('t') => '\t',
            Some('r') => '\r',
            Some('0') => '\0',
            Some('u') => {
                self.expect('{')?;
                let mut hex = String::new();
                while let Some(c) = self.peek().filter(|c| *c != '}') {
                    hex.push(c);
                    self.bump();
                }
                self.expect('}')?;
                u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32).ok_or(Unparsable(self.pos()))?
            }
            Some('x') => {
                let hex: String = [self.bump(), self.bump()].into_iter().flatten().collect();
                u8::from_str_radix(&hex, 16).map(char::from).map_err(|_| Unparsable(self.pos()))?
            }
            Some(c @ ('\\' | '"' | '\'')) => c,
            _ => return self.fail(),
        })
    }

    fn string(&mut self) -> Result<String, Unparsable> {
        self.bump();
        let mut s = String::new();
        loop {
            match self.bump() {
                Some('"') => return Ok(s),
                Some('\\') => {
                    if self.peek() == Some('\n') {
                        // A line continuation: the newline and the next line's indentation go.
                        while self.peek().is_some_and(char::is_whitespace) {
                            self.bump();
                        }
                    } else {
                        s.push(self.escape()?);
                    }
                }
                Some(c) => s.push(c),
                None => return self.fail(),
            }
        }
    }

    fn raw_string(&mut self) -> Result<String, Unparsable> {
        self.bump();
        let mut hashes = 0;
        while self.peek() == Some('#') {
            self.bump();
            hashes += 1;
        }
        if self.bump() != Some('"') {
            return self.fail();
        }
        let mut s = String::new();
        loop {
            match self.bump() {
                Some('"') if (0..hashes).all(|i| self.peek_at(i) == Some('#')) => {
                    for _ in 0..hashes {
                        self.bump();
                    }
                    return Ok(s);
                }
                Some(c) => s.push(c),
                None => return self.fail(),
            }
        }
    }

    fn number(&mut self) -> Result<Value, Unparsable> {
        let mut s = String::new();
        while let Some(c) = self.peek().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '-' | '_')) {
            if matches!(c, '+' | '-') && !(s.is_empty() || s.ends_with(['e', 'E'])) {
                break;
            }
            s.push(c);
            self.bump();
        }
        let s = s.replace('_', "");
        let (negative, digits) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s.strip_prefix('+').unwrap_or(&s)),
        };
        let sign = if negative { -1 } else { 1 };
        for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] {
            if let Some(rest) = digits.strip_prefix(prefix) {
                return i128::from_str_radix(rest, radix).map(|n| Value::Int(sign * n)).map_err(|_| Unparsable(self.pos()));
            }
        }
        if let Ok(n) = digits.parse::<i128>() {
            return Ok(Value::Int(sign * n));
        }
        s.parse::<f64>().map(Value::Float).map_err(|_| Unparsable(self.pos()))
    }
}

/// What kind of problem a deserialization error is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    UnknownField,
    MissingField(&'static str),
    /// An unknown enum variant; the variants that exist.
    UnknownVariant(&'static [&'static str]),
    /// A wrong type or value.
    Invalid,
}

/// A deserialization error, located once the innermost value that failed returns it.
#[derive(Debug, Clone)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
    pub at: Option<(Vec<Seg>, Pos)>,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error { kind: ErrorKind::Invalid, message: msg.to_string(), at: None }
    }

    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        let list = expected.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", ");
        Error { kind: ErrorKind::UnknownField, message: format!("unknown field `{field}`, expected one of {list}"), at: None }
    }

    fn missing_field(field: &'static str) -> Self {
        Error { kind: ErrorKind::MissingField(field), message: format!("missing field `{field}`"), at: None }
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        let list = expected.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", ");
        Error {
            kind: ErrorKind::UnknownVariant(expected),
            message: format!("unknown variant `{variant}`, expected one of {list}"),
            at: None,
        }
    }
}

impl Error {
    fn located(mut self, path: &[Seg], pos: Pos) -> Self {
        if self.at.is_none() {
            self.at = Some((path.to_vec(), pos));
        }
        self
    }
}

/// Deserialize a `T` from the tree.
pub fn deserialize<T: de::DeserializeOwned>(root: &Node) -> Result<T, Error> {
    T::deserialize(De { node: root, path: Vec::new() })
}

struct De<'a> {
    node: &'a Node,
    path: Vec<Seg>,
}

impl<'a> De<'a> {
    fn child(&self, node: &'a Node, seg: Seg) -> De<'a> {
        let mut path = self.path.clone();
        path.push(seg);
        De { node, path }
    }

    fn unexpected(&self) -> de::Unexpected<'_> {
        match &self.node.value {
            Value::Str(s) => de::Unexpected::Str(s),
            Value::Int(n) => de::Unexpected::Other(if *n < 0 { "a negative integer" } else { "an integer" }),
            Value::Float(f) => de::Unexpected::Float(*f),
            Value::Bool(b) => de::Unexpected::Bool(*b),
            Value::Char(c) => de::Unexpected::Char(*c),
            Value::Ident(_) => de::Unexpected::Other("a name"),
            Value::List(_) => de::Unexpected::Seq,
            Value::Tuple(..) => de::Unexpected::Other("a tuple"),
            Value::Struct(..) => de::Unexpected::Other("a struct"),
            Value::Map(_) => de::Unexpected::Map,
        }
    }

    fn locate<T>(&self, r: Result<T, Error>) -> Result<T, Error> {
        r.map_err(|e| e.located(&self.path, self.node.pos))
    }
}

macro_rules! via_any {
    ($($name:ident)*) => { $(
        fn $name<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> { self.deserialize_any(visitor) }
    )* };
}

impl<'de> de::Deserializer<'de> for De<'_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let r = match &self.node.value {
            Value::Str(s) => visitor.visit_str(s),
            Value::Int(n) if *n < 0 => match i64::try_from(*n) {
                Ok(n) => visitor.visit_i64(n),
                Err(_) => visitor.visit_f64(*n as f64),
            },
            Value::Int(n) => match u64::try_from(*n) {
                Ok(n) => visitor.visit_u64(n),
                Err(_) => visitor.visit_f64(*n as f64),
            },
            Value::Float(f) => visitor.visit_f64(*f),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Char(c) => visitor.visit_char(*c),
            Value::Ident(s) => visitor.visit_str(s),
            Value::Tuple(None, items) if items.is_empty() => visitor.visit_unit(),
            Value::List(items) | Value::Tuple(_, items) => visitor.visit_seq(Seq { de: &self, items, next: 0 }),
            Value::Struct(_, fields) => visitor.visit_map(Fields { de: &self, fields, next: 0 }),
            Value::Map(entries) => visitor.visit_map(Entries { de: &self, entries, next: 0 }),
        };
        self.locate(r)
    }

    via_any!(deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_u8
        deserialize_u16 deserialize_u32 deserialize_u64 deserialize_f32 deserialize_f64 deserialize_char
        deserialize_str deserialize_string deserialize_bytes deserialize_byte_buf deserialize_seq deserialize_map
        deserialize_identifier deserialize_i128 deserialize_u128);

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let r = match &self.node.value {
            Value::Ident(s) if s == "None" => visitor.visit_none(),
            Value::Tuple(Some(s), items) if s == "Some" && items.len() == 1 => {
                visitor.visit_some(De { node: &items[0], path: self.path.clone() })
            }
            _ => visitor.visit_some(De { node: self.node, path: self.path.clone() }),
        };
        self.locate(r)
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_any(visitor)
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_any(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, Error> {
        let r = visitor.visit_newtype_struct(De { node: self.node, path: self.path.clone() });
        self.locate(r)
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_any(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(self, _name: &'static str, _len: usize, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_any(visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let r = match &self.node.value {
            Value::Struct(_, fields) => visitor.visit_map(Fields { de: &self, fields, next: 0 }),
            Value::Tuple(_, items) if items.is_empty() => visitor.visit_map(Fields { de: &self, fields: &[], next: 0 }),
            _ => Err(de::Error::invalid_type(self.unexpected(), &visitor)),
        };
        self.locate(r)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let r = match &self.node.value {
            Value::Ident(v) | Value::Str(v) => visitor.visit_enum(Enum { de: &self, variant: v, content: None }),
            Value::Tuple(Some(v), _) | Value::Struct(Some(v), _) => {
                visitor.visit_enum(Enum { de: &self, variant: v, content: Some(self.node) })
            }
            _ => Err(de::Error::invalid_type(self.unexpected(), &visitor)),
        };
        self.locate(r)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }
}

struct Seq<'a, 'b> {
    de: &'b De<'a>,
    items: &'a [Node],
    next: usize,
}

impl<'de> de::SeqAccess<'de> for Seq<'_, '_> {
    type Error = Error;
    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, Error> {
        let Some(item) = self.items.get(self.next) else { return Ok(None) };
        self.next += 1;
        seed.deserialize(self.de.child(item, Seg::Index(self.next - 1))).map(Some)
    }
}

struct Fields<'a, 'b> {
    de: &'b De<'a>,
    fields: &'a [Field],
    next: usize,
}

impl<'de> de::MapAccess<'de> for Fields<'_, '_> {
    type Error = Error;
    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Error> {
        let Some(field) = self.fields.get(self.next) else { return Ok(None) };
        let mut path = self.de.path.clone();
        path.push(Seg::Field(field.name.clone()));
        let key: de::value::StrDeserializer<'_, Error> = field.name.as_str().into_deserializer();
        seed.deserialize(key).map(Some).map_err(|e| e.located(&path, field.pos))
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let field = &self.fields[self.next];
        self.next += 1;
        seed.deserialize(self.de.child(&field.node, Seg::Field(field.name.clone())))
    }
}

struct Entries<'a, 'b> {
    de: &'b De<'a>,
    entries: &'a [(Node, Node)],
    next: usize,
}

impl<'de> de::MapAccess<'de> for Entries<'_, '_> {
    type Error = Error;
    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Error> {
        let Some((key, _)) = self.entries.get(self.next) else { return Ok(None) };
        seed.deserialize(self.de.child(key, Seg::Index(self.next))).map(Some)
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let (_, value) = &self.entries[self.next];
        self.next += 1;
        seed.deserialize(self.de.child(value, Seg::Index(self.next - 1)))
    }
}

struct Enum<'a, 'b> {
    de: &'b De<'a>,
    variant: &'a str,
    /// The node holding the variant's content (`Name(…)`), none for a unit variant.
    content: Option<&'a Node>,
}

impl<'de, 'a, 'b> de::EnumAccess<'de> for Enum<'a, 'b> {
    type Error = Error;
    type Variant = Self;
    fn variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<(S::Value, Self), Error> {
        let name: de::value::StrDeserializer<'_, Error> = self.variant.into_deserializer();
        let value = seed.deserialize(name)?;
        Ok((value, self))
    }
}

impl<'de> de::VariantAccess<'de> for Enum<'_, '_> {
    type Error = Error;
    fn unit_variant(self) -> Result<(), Error> {
        match self.content.map(|n| &n.value) {
            None => Ok(()),
            Some(Value::Tuple(_, items)) if items.is_empty() => Ok(()),
            _ => Err(de::Error::invalid_type(de::Unexpected::Other("content"), &"a unit variant")),
        }
    }
    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Error> {
        match self.content.map(|n| &n.value) {
            Some(Value::Tuple(_, items)) if items.len() == 1 => {
                seed.deserialize(De { node: &items[0], path: self.de.path.clone() })
            }
            _ => Err(de::Error::invalid_type(de::Unexpected::UnitVariant, &"a variant with one value, e.g. Sql(\"…\")")),
        }
    }
    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        match self.content.map(|n| &n.value) {
            Some(Value::Tuple(_, items)) => visitor.visit_seq(Seq { de: self.de, items, next: 0 }),
            _ => Err(de::Error::invalid_type(de::Unexpected::UnitVariant, &visitor)),
        }
    }
    fn struct_variant<V: Visitor<'de>>(self, _fields: &'static [&'static str], visitor: V) -> Result<V::Value, Error> {
        match self.content.map(|n| &n.value) {
            Some(Value::Struct(_, fields)) => visitor.visit_map(Fields { de: self.de, fields, next: 0 }),
            _ => Err(de::Error::invalid_type(de::Unexpected::UnitVariant, &visitor)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_ron_with_positions() {
        let text = "// c\n(\n  a: r#\"x \"y\"\"#, /* n /* m */ */ b: [1, -2.5, Some((3, 4))],\n  c: Sql(\"q\\n\"), d: (),\n)";
        let root = parse(text).unwrap();
        let Value::Struct(None, fields) = &root.value else { panic!("{root:?}") };
        let names: Vec<(&str, Pos)> = fields.iter().map(|f| (f.name.as_str(), f.pos)).collect();
        assert_eq!(names[0], ("a", Pos { line: 3, column: 3 }));
        assert_eq!(names[3].0, "d");
        assert_eq!(fields[0].node.value, Value::Str("x \"y\"".into()));
        assert_eq!(
            fields[2].node.value,
            Value::Tuple(Some("Sql".into()), vec![Node { pos: Pos { line: 4, column: 10 }, value: Value::Str("q\n".into()) }])
        );
        assert_eq!(root.locate(&path_of("b[2]")).pos, Pos { line: 3, column: 47 });
        assert!(parse("(a: 1 b: 2)").is_err(), "a missing comma does not parse");
    }

    #[test]
    fn paths_read_back() {
        let p = path_of("migrations[1].creates.tables[0]");
        assert_eq!(path_text(&p), "migrations[1].creates.tables[0]");
    }
}
