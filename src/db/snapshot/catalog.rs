//! Definitions from plain `pg_catalog` rows: tables, keys, foreign keys and indexes written
//! here as PostgreSQL writes them (its deparsers are called only for what takes more than
//! column names).

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};

use tokio_postgres::Row;

use super::copy::{CopyRow, CopyRows};

/// A relation of the snapshot's schemas (borrowed from the catalog rows).
pub(super) struct Rel<'a> {
    namespace: u32,
    name: &'a str,
    quoted: Cow<'a, str>,
    pub(super) kind: i8,
    pub(super) rls: bool,
    /// No storage options (`reloptions`).
    plain_storage: bool,
    access_method: u32,
}

/// A column of a table.
struct Column<'a> {
    number: i16,
    name: &'a str,
    quoted: Cow<'a, str>,
    type_name: &'a str,
    not_null: bool,
    type_oid: u32,
    collation: u32,
    /// `attgenerated`: 0, `s` (stored) or `v` (virtual, PostgreSQL 18).
    generated: u8,
}

/// A hasher for oids and other small integer keys (the default one is made for untrusted
/// keys and costs more than the lookups here are worth).
#[derive(Default, Clone, Copy)]
pub(super) struct OidHasher(u64);

impl std::hash::Hasher for OidHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b));
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }
    fn write_i16(&mut self, n: i16) {
        self.write_u64(n as u16 as u64);
    }
}

pub(super) type OidMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<OidHasher>>;

/// Identifiers quoted as `quote_ident` quotes them: unless made of lower-case ASCII letters,
/// digits and underscores (not first), or a keyword other than an unreserved one; all of them
/// when `quote_all_identifiers` is on.
pub(super) struct Quoter {
    /// Keywords that must be quoted (`pg_get_keywords()`, category other than unreserved).
    keywords: HashSet<String>,
    all: bool,
}

impl Quoter {
    pub(super) fn new(keywords: Vec<String>, all: bool) -> Self {
        Quoter { keywords: keywords.into_iter().collect(), all }
    }

    pub(super) fn quote<'a>(&self, name: &'a str) -> Cow<'a, str> {
        let plain = name.bytes().next().is_some_and(|b| b.is_ascii_lowercase() || b == b'_')
            && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if plain && !self.all && !self.keywords.contains(name) {
            Cow::Borrowed(name)
        } else {
            Cow::Owned(crate::db::quote_ident(name))
        }
    }
}

/// The catalog rows definitions are written from.
pub(super) struct Catalog<'a> {
    /// oid → (name, quoted name).
    namespaces: OidMap<u32, (&'a str, Cow<'a, str>)>,
    pub(super) rels: BTreeMap<u32, Rel<'a>>,
    /// Table → its columns in order.
    columns: OidMap<u32, Vec<Column<'a>>>,
    /// Operator class → (default for its type, input type).
    opclasses: OidMap<u32, (bool, u32)>,
    access_methods: OidMap<u32, Cow<'a, str>>,
    /// Index → (without INCLUDE, NULLS NOT DISTINCT), for keys.
    index_kinds: OidMap<u32, (bool, bool)>,
    /// (schema, relation) for every relation in a schema of the search path.
    on_path: HashSet<(&'a str, &'a str)>,
    search_path: &'a [String],
}

impl<'a> Catalog<'a> {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn new(
        quoter: &Quoter,
        namespaces: &'a [Row],
        rels: &'a CopyRows,
        shadows: &'a [Row],
        indexes: &'a CopyRows,
        columns: &'a CopyRows,
        opclasses: &'a [Row],
        access_methods: &'a [Row],
        search_path: &'a [String],
    ) -> Self {
        let namespaces: OidMap<u32, (&str, Cow<str>)> = namespaces
            .iter()
            .map(|r| {
                let name: &str = r.get(1);
                (r.get(0), (name, quoter.quote(name)))
            })
            .collect();
        let rels: BTreeMap<u32, Rel> = rels
            .rows()
            .map(|r| {
                let rel = Rel {
                    namespace: r.oid(1),
                    name: r.str(2),
                    quoted: quoter.quote(r.str(2)),
                    kind: r.char(3) as i8,
                    rls: r.bool(4),
                    plain_storage: r.bool(5),
                    access_method: r.oid(6),
                };
                (r.oid(0), rel)
            })
            .collect();
        // Only a schema followed by another on the path can hide a relation of that other one.
        let mut on_path: HashSet<(&str, &str)> = shadows.iter().map(|r| (r.get(0), r.get(1))).collect();
        let hiding = search_path.split_last().map_or(&[][..], |(_, first)| first);
        if namespaces.values().any(|(schema, _)| hiding.iter().any(|s| s == schema)) {
            for rel in rels.values() {
                if let Some((schema, _)) = namespaces.get(&rel.namespace)
                    && hiding.iter().any(|s| s == schema)
                {
                    on_path.insert((schema, rel.name));
                }
            }
        }
        let index_kinds = indexes.rows().map(|r| (r.oid(0), (r.bool(8), r.bool(9)))).collect();
        let mut by_table: OidMap<u32, Vec<Column>> = OidMap::default();
        by_table.reserve(rels.len());
        for r in columns.rows() {
            let (table, number) = (r.oid(0), r.int2(1));
            by_table.entry(table).or_default().push(Column {
                number,
                name: r.str(2),
                quoted: quoter.quote(r.str(2)),
                type_name: r.str(3),
                not_null: r.bool(4),
                type_oid: r.oid(5),
                collation: r.oid(6),
                generated: r.char(7),
            });
        }
        for columns in by_table.values_mut() {
            columns.sort_unstable_by_key(|c| c.number);
        }
        let opclasses = opclasses.iter().map(|r| (r.get(0), (r.get(1), r.get(2)))).collect();
        let access_methods = access_methods.iter().map(|r| (r.get(0), quoter.quote(r.get(1)))).collect();
        Catalog { namespaces, rels, columns: by_table, opclasses, access_methods, index_kinds, on_path, search_path }
    }

    /// `schema.name` (or `schema.name.member`), as a snapshot names objects.
    pub(super) fn qualified(&self, rel: &Rel, member: Option<&str>) -> String {
        let schema = self.namespaces.get(&rel.namespace).map_or("?", |n| n.0);
        let mut name = String::with_capacity(schema.len() + rel.name.len() + member.map_or(0, |m| m.len() + 1) + 1);
        name.push_str(schema);
        name.push('.');
        name.push_str(rel.name);
        if let Some(member) = member {
            name.push('.');
            name.push_str(member);
        }
        name
    }

    /// Append the quoted schema and name, as `quote_qualified_identifier` writes them.
    fn push_quoted_qualified(&self, out: &mut String, rel: &Rel) -> Option<()> {
        out.push_str(&self.namespaces.get(&rel.namespace)?.1);
        out.push('.');
        out.push_str(&rel.quoted);
        Some(())
    }

    /// The column numbers and names of `table`, in order.
    pub(super) fn column_names(&self, table: u32) -> impl Iterator<Item = (i16, &str)> {
        self.columns.get(&table).into_iter().flatten().map(|c| (c.number, c.quoted.as_ref()))
    }

    /// "name type[ not null][ default expression | generated always as [(virtual) ]expression],
    /// …", in column order; `defaults` maps (table, column number) to the default's (or the
    /// generated column's) expression.
    pub(super) fn table_definition(&self, table: u32, defaults: &OidMap<(u32, i16), &str>) -> String {
        let columns = self.columns.get(&table).map_or(&[][..], Vec::as_slice);
        let mut def = String::with_capacity(columns.len() * 32);
        for (i, c) in columns.iter().enumerate() {
            if i > 0 {
                def.push_str(", ");
            }
            def.push_str(&c.quoted);
            def.push(' ');
            def.push_str(c.type_name);
            if c.not_null {
                def.push_str(" not null");
            }
            if let Some(default) = defaults.get(&(table, c.number)) {
                def.push_str(match c.generated {
                    b's' => " generated always as ",
                    b'v' => " generated always as (virtual) ",
                    _ => " default ",
                });
                def.push_str(default);
            }
        }
        def
    }

    /// Before PostgreSQL 18, which catalogues them, the NOT NULL constraints of every table:
    /// one per NOT NULL column, named as 18 names them (see [`super::not_null_name`]), and
    /// defined as `pg_get_constraintdef` defines them there.
    pub(super) fn column_not_nulls(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (oid, rel) in &self.rels {
            if rel.kind != b'r' as i8 && rel.kind != b'p' as i8 {
                continue;
            }
            for c in self.columns.get(oid).into_iter().flatten().filter(|c| c.not_null) {
                out.push((self.qualified(rel, Some(&super::not_null_name(rel.name, c.name))), format!("NOT NULL {}", c.quoted)));
            }
        }
        out
    }

    fn column(&self, table: u32, number: i16) -> Option<&Column<'a>> {
        let columns = self.columns.get(&table)?;
        columns.binary_search_by_key(&number, |c| c.number).ok().map(|i| &columns[i])
    }

    /// Append "a, b" for column numbers of `table`, as `decompile_column_index_array` writes
    /// them.
    fn push_column_list(&self, out: &mut String, table: u32, numbers: impl Iterator<Item = i16>) -> Option<()> {
        for (i, n) in numbers.enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            out.push_str(&self.column(table, n)?.quoted);
        }
        Some(())
    }

    /// Whether the relation is named without its schema (`RelationIsVisible`: its schema is on
    /// the search path and no relation of the same name comes first).
    fn visible(&self, rel: &Rel) -> bool {
        let Some((schema, _)) = self.namespaces.get(&rel.namespace) else { return false };
        for s in self.search_path {
            if s == schema {
                return true;
            }
            if self.on_path.contains(&(s.as_str(), rel.name)) {
                return false;
            }
        }
        false
    }

    /// `pg_get_indexdef` of an index on columns only, with the columns' default operator
    /// classes and collations, ascending; `None` for any other.
    pub(super) fn index_definition(&self, index: &Rel, row: CopyRow) -> Option<String> {
        let plain = row.bool(7) && row.bool(8) && !row.bool(9);
        if !plain || index.kind != b'i' as i8 || !index.plain_storage {
            return None;
        }
        let table_oid = row.oid(1);
        let table = self.rels.get(&table_oid)?;
        let mut def = String::with_capacity(96);
        def.push_str(if row.bool(2) { "CREATE UNIQUE INDEX " } else { "CREATE INDEX " });
        def.push_str(&index.quoted);
        def.push_str(" ON ");
        self.push_quoted_qualified(&mut def, table)?;
        def.push_str(" USING ");
        def.push_str(self.access_methods.get(&index.access_method)?);
        def.push_str(" (");
        let mut classes = row.numbers::<u32>(4);
        let mut collations = row.numbers::<u32>(5);
        let mut options = row.numbers::<i16>(6);
        for (i, key) in row.numbers::<i16>(3).enumerate() {
            let column = self.column(table_oid, key)?;
            let (default, input_type) = *self.opclasses.get(&classes.next()?)?;
            let collation = collations.next()?;
            if !default
                || input_type != column.type_oid
                || (collation != 0 && collation != column.collation)
                || options.next()? != 0
            {
                return None;
            }
            if i > 0 {
                def.push_str(", ");
            }
            def.push_str(&column.quoted);
        }
        def.push(')');
        Some(def)
    }

    /// `pg_get_constraintdef` of a primary key, unique constraint, foreign key or NOT NULL
    /// constraint (PostgreSQL 18) on columns only; `None` for any other.
    pub(super) fn constraint_definition(&self, row: CopyRow) -> Option<String> {
        let table = row.oid(1);
        row.opt(4)?;
        let mut def = String::with_capacity(64);
        let contype = row.char(3);
        if contype == b'n' {
            def.push_str("NOT NULL ");
            def.push_str(&self.column(table, row.numbers::<i16>(4).next()?)?.quoted);
            if row.bool(16) {
                def.push_str(" NO INHERIT");
            }
            if !row.bool(12) {
                def.push_str(" NOT VALID");
            }
            return Some(def);
        }
        // Not with ON DELETE SET NULL (columns), WITHOUT OVERLAPS / PERIOD, NOT ENFORCED.
        if !row.bool(14) {
            return None;
        }
        if contype == b'p' || contype == b'u' {
            // Not with INCLUDE or NULLS NOT DISTINCT.
            let (include_free, nulls_not_distinct) = *self.index_kinds.get(&row.oid(13))?;
            if !include_free || nulls_not_distinct {
                return None;
            }
        }
        match contype {
            b'p' => def.push_str("PRIMARY KEY ("),
            b'u' => def.push_str("UNIQUE ("),
            b'f' => def.push_str("FOREIGN KEY ("),
            _ => return None,
        }
        self.push_column_list(&mut def, table, row.numbers::<i16>(4))?;
        def.push(')');
        if contype == b'f' {
            let referenced_oid = row.oid(5);
            let referenced = self.rels.get(&referenced_oid)?;
            def.push_str(" REFERENCES ");
            if self.visible(referenced) {
                def.push_str(&referenced.quoted);
            } else {
                self.push_quoted_qualified(&mut def, referenced)?;
            }
            def.push('(');
            row.opt(6)?;
            self.push_column_list(&mut def, referenced_oid, row.numbers::<i16>(6))?;
            def.push(')');
            match row.char(9) {
                b'f' => def.push_str(" MATCH FULL"),
                b'p' => def.push_str(" MATCH PARTIAL"),
                _ => {}
            }
            for (clause, action) in [(" ON UPDATE ", row.char(7)), (" ON DELETE ", row.char(8))] {
                let action = match action {
                    b'r' => "RESTRICT",
                    b'c' => "CASCADE",
                    b'n' => "SET NULL",
                    b'd' => "SET DEFAULT",
                    _ => continue,
                };
                def.push_str(clause);
                def.push_str(action);
            }
        }
        if row.bool(10) {
            def.push_str(" DEFERRABLE");
        }
        if row.bool(11) {
            def.push_str(" INITIALLY DEFERRED");
        }
        if !row.bool(12) {
            def.push_str(" NOT VALID");
        }
        Some(def)
    }
}
