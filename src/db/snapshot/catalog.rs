//! Reading the catalog fast: plain `pg_catalog` rows, pipelined on one connection, with the
//! definitions of tables, keys, foreign keys and indexes written here as PostgreSQL writes
//! them (its deparsers are called only for what takes more than column names).

use std::collections::{BTreeMap, HashMap, HashSet};

use tokio_postgres::types::{FromSql, Kind as PgKind, ToSql, Type};
use tokio_postgres::{Client, Row};

use super::{Kind, Replication, SKIP_SCHEMAS, Snapshot};
use crate::db::DbError;

impl Snapshot {
    pub(super) async fn read(client: &Client, with_figures: bool) -> Result<Self, DbError> {
        let setup = client.query_one(SETUP, &[]).await.map_err(DbError::query)?;
        let v15 = setup.get::<_, i32>(0) >= 150_000;
        let search_path: Vec<String> = setup.get(1);
        let (indexes_sql, constraints_sql) = if v15 { (&*INDEXES_15, &*CONSTRAINTS_15) } else { (&*INDEXES_14, &*CONSTRAINTS_14) };
        let (namespaces, rels, shadows, columns, defaults, indexes, opclasses, access_methods, constraints, policies, functions, triggers, relations, figures) = tokio::try_join!(
            client.query(&*NAMESPACES, &[]),
            client.query(&*RELS, &[]),
            client.query(&*SHADOWS, &[]),
            client.query(&*COLUMNS, &[]),
            client.query(DEFAULTS, &[]),
            client.query(indexes_sql, &[]),
            client.query(OPCLASSES, &[]),
            client.query(ACCESS_METHODS, &[]),
            client.query(constraints_sql, &[]),
            client.query(&*POLICIES, &[]),
            client.query(&*FUNCTIONS, &[]),
            client.query(&*TRIGGERS, &[]),
            client.query(&*RELATIONS, &[]),
            async {
                match with_figures {
                    true => client.query_one(FIGURES, &[]).await.map(Some),
                    false => Ok(None),
                }
            },
        )
        .map_err(DbError::query)?;

        let catalog = Catalog::new(&namespaces, &rels, &shadows, &indexes, &columns, &defaults, &opclasses, &access_methods, &search_path);
        let mut snap = Snapshot::default();
        let mut tables = Vec::new();
        for (oid, rel) in &catalog.rels {
            if rel.kind == b'r' as i8 || rel.kind == b'p' as i8 {
                let name = catalog.qualified(rel, None);
                if rel.rls {
                    snap.rls_enabled.insert(name.clone());
                }
                tables.push((name, catalog.table_definition(*oid)));
            }
        }

        // Keys and foreign keys written here, and those left to the deparser.
        let (mut foreign_keys, mut other_constraints, mut index_defs) = (Vec::new(), Vec::new(), Vec::new());
        let mut deparse_constraints: Vec<(u32, String, Kind)> = vec![];
        for row in &constraints {
            let Some(rel) = catalog.rels.get(&row.get::<_, u32>(1)) else { continue };
            let name = catalog.qualified(rel, Some(row.get::<_, &str>(2)));
            let kind = if row.get::<_, i8>(3) == b'f' as i8 { Kind::ForeignKey } else { Kind::Constraint };
            let def = match row.get::<_, Option<String>>(15) {
                Some(def) => Some(def),
                None => catalog.constraint_definition(row),
            };
            match (def, kind) {
                (Some(def), Kind::ForeignKey) => foreign_keys.push((name, def)),
                (Some(def), _) => other_constraints.push((name, def)),
                (None, _) => deparse_constraints.push((row.get(0), name, kind)),
            }
        }
        let mut deparse_indexes: Vec<(u32, String)> = vec![];
        for row in &indexes {
            let oid: u32 = row.get(0);
            let Some(rel) = catalog.rels.get(&oid) else { continue };
            let name = catalog.qualified(rel, None);
            match catalog.index_definition(rel, row) {
                Some(def) => index_defs.push((name, def)),
                None => deparse_indexes.push((oid, name)),
            }
        }
        if !deparse_constraints.is_empty() || !deparse_indexes.is_empty() {
            let constraint_oids: Vec<u32> = deparse_constraints.iter().map(|c| c.0).collect();
            let index_oids: Vec<u32> = deparse_indexes.iter().map(|i| i.0).collect();
            let (constraint_params, index_params): ([&(dyn ToSql + Sync); 1], [&(dyn ToSql + Sync); 1]) =
                ([&constraint_oids], [&index_oids]);
            let (constraint_rows, index_rows) = tokio::try_join!(
                client.query("SELECT o, pg_get_constraintdef(o) FROM unnest($1::oid[]) o", &constraint_params),
                client.query("SELECT o, pg_get_indexdef(o) FROM unnest($1::oid[]) o", &index_params),
            )
            .map_err(DbError::query)?;
            let mut defs: HashMap<u32, Option<String>> = constraint_rows.iter().map(|r| (r.get(0), r.get(1))).collect();
            for (oid, name, kind) in deparse_constraints {
                let def = defs.remove(&oid).flatten().unwrap_or_default();
                match kind {
                    Kind::ForeignKey => foreign_keys.push((name, def)),
                    _ => other_constraints.push((name, def)),
                }
            }
            let mut defs: HashMap<u32, Option<String>> = index_rows.iter().map(|r| (r.get(0), r.get(1))).collect();
            for (oid, name) in deparse_indexes {
                index_defs.push((name, defs.remove(&oid).flatten().unwrap_or_default()));
            }
        }
        // Collected, then built in one go (a BTreeMap built from a list sorts it once, far
        // cheaper than one insert at a time).
        for (kind, objects) in [(Kind::Table, tables), (Kind::ForeignKey, foreign_keys), (Kind::Constraint, other_constraints), (Kind::Index, index_defs)] {
            if !objects.is_empty() {
                snap.objects.insert(kind, objects.into_iter().collect());
            }
        }

        for (rows, kind) in [(&policies, Kind::Policy), (&functions, Kind::Function), (&triggers, Kind::Trigger)] {
            for row in rows {
                snap.objects.entry(kind).or_default().insert(row.get(0), row.get(1));
            }
        }
        for row in &relations {
            let kind = if row.get::<_, bool>(2) { Kind::View } else { Kind::Sequence };
            snap.objects.entry(kind).or_default().insert(row.get(0), row.get(1));
        }
        let Some(figures) = figures else { return Ok(snap) };
        snap.database_size_bytes = figures.get(0);
        snap.active_connections = figures.get(1);
        snap.server_version = figures.get(5);
        let in_recovery: bool = figures.get(2);
        let replicas: i64 = figures.get(3);
        let lag: Option<f64> = figures.get(4);
        snap.replication = match (in_recovery, replicas) {
            (true, _) => Replication::Standby { lag_seconds: lag.unwrap_or(0.0) },
            (false, 0) => Replication::NoReplicas,
            (false, n) => Replication::Primary { replicas: n, max_lag_seconds: lag.unwrap_or(0.0) },
        };
        Ok(snap)
    }
}

macro_rules! catalog_query {
    ($name:ident, $sql:expr) => {
        static $name: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| $sql.replace("{skip}", SKIP_SCHEMAS));
    };
}

/// The server's version, and its effective search path (with the implicit schemas), which
/// decides whether `pg_get_constraintdef` names a referenced table with its schema.
const SETUP: &str = "SELECT current_setting('server_version_num')::int, current_schemas(true)::text[]";

catalog_query!(NAMESPACES, "SELECT n.oid, n.nspname::text, quote_ident(n.nspname) FROM pg_namespace n WHERE {skip}");

// Every relation of the snapshot's schemas (their names also decide visibility), with
// whether it has storage options and its access method (for indexes).
catalog_query!(
    RELS,
    "SELECT c.oid, c.relnamespace, c.relname::text, quote_ident(c.relname), c.relkind, c.relrowsecurity,
            c.reloptions IS NULL, c.relam
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE {skip}"
);

const ACCESS_METHODS: &str = "SELECT oid, quote_ident(amname) FROM pg_am";

// Relations of the search path's other schemas (pg_catalog, the temporary schema): they can
// hide a table of the same name further down the path.
catalog_query!(
    SHADOWS,
    "SELECT n.nspname::text, c.relname::text
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = ANY (current_schemas(true)) AND NOT ({skip})"
);

// Columns of tables (and of materialized views, for their indexes): quoted name, type, not
// null, type and collation.
catalog_query!(
    COLUMNS,
    "SELECT a.attrelid, a.attnum, quote_ident(a.attname), format_type(a.atttypid, a.atttypmod), a.attnotnull,
            a.atttypid, a.attcollation
     FROM pg_attribute a
     JOIN pg_class c ON c.oid = a.attrelid
     JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p', 'm') AND a.attnum > 0 AND NOT a.attisdropped AND {skip}"
);

/// Column defaults, each distinct expression deparsed once (one that refers to columns, once
/// per table): the columns (tables, numbers) that have it, and the expression.
const DEFAULTS: &str = "SELECT g.tables, g.columns, pg_get_expr(x.adbin, x.adrelid)
     FROM (SELECT array_agg(adrelid) AS tables, array_agg(adnum) AS columns, min(oid) AS first FROM pg_attrdef
           GROUP BY CASE WHEN strpos(adbin::text, '{VAR ') > 0 THEN adrelid::text ELSE '' END || adbin::text) g
     JOIN pg_attrdef x ON x.oid = g.first";

// Indexes (of every schema: those of the snapshot's are picked by name): key columns,
// operator classes, collations and options; whether without expressions and predicate; without
// INCLUDE; NULLS NOT DISTINCT.
catalog_query!(
    INDEXES_15,
    "SELECT i.indexrelid, i.indrelid, i.indisunique, i.indkey, i.indclass, i.indcollation, i.indoption,
            i.indexprs IS NULL AND i.indpred IS NULL, i.indnatts = i.indnkeyatts, i.indnullsnotdistinct
     FROM pg_index i"
);
catalog_query!(
    INDEXES_14,
    "SELECT i.indexrelid, i.indrelid, i.indisunique, i.indkey, i.indclass, i.indcollation, i.indoption,
            i.indexprs IS NULL AND i.indpred IS NULL, i.indnatts = i.indnkeyatts, false
     FROM pg_index i"
);

const OPCLASSES: &str = "SELECT oid, opcdefault, opcintype FROM pg_opclass";

// Constraints of tables (of every schema: those of the snapshot's are picked by table):
// keys and foreign keys as catalog rows, with their index and whether without ON DELETE SET
// NULL (columns); checks and exclusions deparsed.
const CONSTRAINTS_SQL: &str = "SELECT k.oid, k.conrelid, k.conname::text, k.contype, k.conkey, k.confrelid, k.confkey,
            k.confupdtype, k.confdeltype, k.confmatchtype, k.condeferrable, k.condeferred, k.convalidated,
            k.conindid, {v15},
            CASE WHEN k.contype IN ('c', 'x') THEN pg_get_constraintdef(k.oid) END
     FROM pg_constraint k
     WHERE k.conrelid <> 0 AND k.contype IN ('f', 'p', 'u', 'c', 'x')";
catalog_query!(CONSTRAINTS_15, CONSTRAINTS_SQL.replace("{v15}", "k.confdelsetcols IS NULL"));
catalog_query!(CONSTRAINTS_14, CONSTRAINTS_SQL.replace("{v15}", "true"));

/// A relation of the snapshot's schemas (borrowed from the catalog rows).
struct Rel<'a> {
    namespace: u32,
    name: &'a str,
    quoted: &'a str,
    kind: i8,
    rls: bool,
    /// No storage options (`reloptions`).
    plain_storage: bool,
    access_method: u32,
}

/// A column of a table.
struct Column<'a> {
    number: i16,
    quoted: &'a str,
    type_name: &'a str,
    not_null: bool,
    default: Option<&'a str>,
    type_oid: u32,
    collation: u32,
}

/// A hasher for oids and other small integer keys (the default one is made for untrusted
/// keys and costs more than the lookups here are worth).
#[derive(Default, Clone, Copy)]
struct OidHasher(u64);

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

type OidMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<OidHasher>>;

/// A one-dimensional array (`int2vector`, `oidvector`, `int2[]`) in PostgreSQL's binary
/// format, read in place.
struct RawArray<'a>(&'a [u8]);

impl<'a> FromSql<'a> for RawArray<'a> {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(RawArray(raw))
    }

    fn accepts(ty: &Type) -> bool {
        matches!(ty.kind(), PgKind::Array(_))
    }
}

impl<'a> RawArray<'a> {
    /// The elements (NULL ones skipped; there are none in these catalogs).
    fn elements(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        let raw = self.0;
        let int = |at: usize| raw.get(at..at + 4).map_or(0, |b| i32::from_be_bytes([b[0], b[1], b[2], b[3]]));
        let dimensions = int(0).max(0) as usize;
        let count: usize = (0..dimensions).map(|d| int(12 + 8 * d).max(0) as usize).product::<usize>() * usize::from(dimensions > 0);
        let mut at = 12 + 8 * dimensions;
        (0..count).filter_map(move |_| {
            let len = int(at);
            at += 4;
            if len < 0 {
                return None;
            }
            let element = raw.get(at..at + len as usize);
            at += len as usize;
            element
        })
    }

    fn int2s(&self) -> impl Iterator<Item = i16> + 'a {
        self.elements().map(|e| if e.len() == 2 { i16::from_be_bytes([e[0], e[1]]) } else { 0 })
    }

    fn oids(&self) -> impl Iterator<Item = u32> + 'a {
        self.elements().map(|e| if e.len() == 4 { u32::from_be_bytes([e[0], e[1], e[2], e[3]]) } else { 0 })
    }
}

/// The catalog rows definitions are written from.
struct Catalog<'a> {
    /// oid → (name, quoted name).
    namespaces: OidMap<u32, (&'a str, &'a str)>,
    rels: BTreeMap<u32, Rel<'a>>,
    /// Table → its columns in order.
    columns: OidMap<u32, Vec<Column<'a>>>,
    /// Operator class → (default for its type, input type).
    opclasses: OidMap<u32, (bool, u32)>,
    access_methods: OidMap<u32, &'a str>,
    /// Index → (without INCLUDE, NULLS NOT DISTINCT), for keys.
    index_kinds: OidMap<u32, (bool, bool)>,
    /// (schema, relation) for every relation in a schema of the search path.
    on_path: HashSet<(&'a str, &'a str)>,
    search_path: &'a [String],
}

impl<'a> Catalog<'a> {
    #[allow(clippy::too_many_arguments)]
    fn new(
        namespaces: &'a [Row],
        rels: &'a [Row],
        shadows: &'a [Row],
        indexes: &'a [Row],
        columns: &'a [Row],
        defaults: &'a [Row],
        opclasses: &'a [Row],
        access_methods: &'a [Row],
        search_path: &'a [String],
    ) -> Self {
        let namespaces: OidMap<u32, (&str, &str)> = namespaces.iter().map(|r| (r.get(0), (r.get(1), r.get(2)))).collect();
        let rels: BTreeMap<u32, Rel> = rels
            .iter()
            .map(|r| {
                let rel = Rel {
                    namespace: r.get(1),
                    name: r.get(2),
                    quoted: r.get(3),
                    kind: r.get(4),
                    rls: r.get(5),
                    plain_storage: r.get(6),
                    access_method: r.get(7),
                };
                (r.get(0), rel)
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
        let index_kinds = indexes.iter().map(|r| (r.get(0), (r.get(8), r.get(9)))).collect();
        let mut column_defaults: OidMap<(u32, i16), &str> = OidMap::default();
        for r in defaults {
            let (tables, numbers, expression): (RawArray, RawArray, Option<&str>) = (r.get(0), r.get(1), r.get(2));
            if let Some(expression) = expression {
                column_defaults.extend(tables.oids().zip(numbers.int2s()).map(|key| (key, expression)));
            }
        }
        let mut by_table: OidMap<u32, Vec<Column>> = OidMap::default();
        by_table.reserve(rels.len());
        for r in columns {
            let (table, number) = (r.get(0), r.get(1));
            by_table.entry(table).or_default().push(Column {
                number,
                quoted: r.get(2),
                type_name: r.get(3),
                not_null: r.get(4),
                default: column_defaults.get(&(table, number)).copied(),
                type_oid: r.get(5),
                collation: r.get(6),
            });
        }
        for columns in by_table.values_mut() {
            columns.sort_unstable_by_key(|c| c.number);
        }
        let opclasses = opclasses.iter().map(|r| (r.get(0), (r.get(1), r.get(2)))).collect();
        let access_methods = access_methods.iter().map(|r| (r.get(0), r.get(1))).collect();
        Catalog { namespaces, rels, columns: by_table, opclasses, access_methods, index_kinds, on_path, search_path }
    }

    /// `schema.name` (or `schema.name.member`), as a snapshot names objects.
    fn qualified(&self, rel: &Rel, member: Option<&str>) -> String {
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
        out.push_str(self.namespaces.get(&rel.namespace)?.1);
        out.push('.');
        out.push_str(rel.quoted);
        Some(())
    }

    /// "name type[ not null][ default expression], …", in column order.
    fn table_definition(&self, table: u32) -> String {
        let columns = self.columns.get(&table).map_or(&[][..], Vec::as_slice);
        let mut def = String::with_capacity(columns.len() * 32);
        for (i, c) in columns.iter().enumerate() {
            if i > 0 {
                def.push_str(", ");
            }
            def.push_str(c.quoted);
            def.push(' ');
            def.push_str(c.type_name);
            if c.not_null {
                def.push_str(" not null");
            }
            if let Some(default) = c.default {
                def.push_str(" default ");
                def.push_str(default);
            }
        }
        def
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
            out.push_str(self.column(table, n)?.quoted);
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
    fn index_definition(&self, index: &Rel, row: &Row) -> Option<String> {
        let plain = row.get::<_, bool>(7) && row.get::<_, bool>(8) && !row.get::<_, bool>(9);
        if !plain || index.kind != b'i' as i8 || !index.plain_storage {
            return None;
        }
        let table_oid: u32 = row.get(1);
        let table = self.rels.get(&table_oid)?;
        let (keys, classes, collations, options): (RawArray, RawArray, RawArray, RawArray) = (row.get(3), row.get(4), row.get(5), row.get(6));
        let mut def = String::with_capacity(96);
        def.push_str(if row.get::<_, bool>(2) { "CREATE UNIQUE INDEX " } else { "CREATE INDEX " });
        def.push_str(index.quoted);
        def.push_str(" ON ");
        self.push_quoted_qualified(&mut def, table)?;
        def.push_str(" USING ");
        def.push_str(self.access_methods.get(&index.access_method)?);
        def.push_str(" (");
        let mut classes = classes.oids();
        let mut collations = collations.oids();
        let mut options = options.int2s();
        for (i, key) in keys.int2s().enumerate() {
            let column = self.column(table_oid, key)?;
            let (default, input_type) = *self.opclasses.get(&classes.next()?)?;
            let collation = collations.next()?;
            if !default || input_type != column.type_oid || (collation != 0 && collation != column.collation) || options.next()? != 0 {
                return None;
            }
            if i > 0 {
                def.push_str(", ");
            }
            def.push_str(column.quoted);
        }
        def.push(')');
        Some(def)
    }

    /// `pg_get_constraintdef` of a primary key, unique constraint or foreign key on columns
    /// only; `None` for any other.
    fn constraint_definition(&self, row: &Row) -> Option<String> {
        let table: u32 = row.get(1);
        let keys = row.get::<_, Option<RawArray>>(4)?;
        let mut def = String::with_capacity(64);
        let contype = row.get::<_, i8>(3) as u8;
        if contype == b'p' || contype == b'u' {
            // Not with INCLUDE or NULLS NOT DISTINCT.
            let (include_free, nulls_not_distinct) = *self.index_kinds.get(&row.get::<_, u32>(13))?;
            if !include_free || nulls_not_distinct {
                return None;
            }
        } else if contype == b'f' && !row.get::<_, bool>(14) {
            return None; // ON DELETE SET NULL (columns)
        }
        match contype {
            b'p' => def.push_str("PRIMARY KEY ("),
            b'u' => def.push_str("UNIQUE ("),
            b'f' => def.push_str("FOREIGN KEY ("),
            _ => return None,
        }
        self.push_column_list(&mut def, table, keys.int2s())?;
        def.push(')');
        if row.get::<_, i8>(3) == b'f' as i8 {
            let referenced_oid: u32 = row.get(5);
            let referenced = self.rels.get(&referenced_oid)?;
            def.push_str(" REFERENCES ");
            if self.visible(referenced) {
                def.push_str(referenced.quoted);
            } else {
                self.push_quoted_qualified(&mut def, referenced)?;
            }
            def.push('(');
            self.push_column_list(&mut def, referenced_oid, row.get::<_, Option<RawArray>>(6)?.int2s())?;
            def.push(')');
            match row.get::<_, i8>(9) as u8 {
                b'f' => def.push_str(" MATCH FULL"),
                b'p' => def.push_str(" MATCH PARTIAL"),
                _ => {}
            }
            for (clause, action) in [(" ON UPDATE ", row.get::<_, i8>(7)), (" ON DELETE ", row.get::<_, i8>(8))] {
                let action = match action as u8 {
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
        if row.get::<_, bool>(10) {
            def.push_str(" DEFERRABLE");
        }
        if row.get::<_, bool>(11) {
            def.push_str(" INITIALLY DEFERRED");
        }
        if !row.get::<_, bool>(12) {
            def.push_str(" NOT VALID");
        }
        Some(def)
    }
}

catalog_query!(
    POLICIES,
    "SELECT n.nspname || '.' || c.relname || '.' || p.polname,
            CASE p.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE'
                          WHEN 'd' THEN 'DELETE' ELSE 'ALL' END
            || CASE WHEN p.polpermissive THEN '' ELSE ' RESTRICTIVE' END
            || ' TO ' || coalesce((SELECT string_agg(r.rolname, ', ' ORDER BY r.rolname)
                                   FROM pg_roles r WHERE r.oid = ANY (p.polroles)), 'public')
            || coalesce(' USING (' || pg_get_expr(p.polqual, p.polrelid) || ')', '')
            || coalesce(' WITH CHECK (' || pg_get_expr(p.polwithcheck, p.polrelid) || ')', '')
     FROM pg_policy p
     JOIN pg_class c ON c.oid = p.polrelid
     JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE {skip}"
);

// Functions and procedures, without those an extension owns.
catalog_query!(
    FUNCTIONS,
    "SELECT n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')',
            CASE WHEN p.prokind = 'a' THEN 'aggregate'
                 ELSE 'returns ' || pg_get_function_result(p.oid) || ', body md5 ' || md5(pg_get_functiondef(p.oid)) END
     FROM pg_proc p
     JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE {skip}
       AND NOT EXISTS (SELECT 1 FROM pg_depend d
                       WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')"
);

catalog_query!(
    TRIGGERS,
    "SELECT n.nspname || '.' || c.relname || '.' || t.tgname, pg_get_triggerdef(t.oid) || ' ' || t.tgenabled::text
     FROM pg_trigger t
     JOIN pg_class c ON c.oid = t.tgrelid
     JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE NOT t.tgisinternal AND {skip}"
);

// Views (definition md5) and sequences (type and bounds); is view
catalog_query!(
    RELATIONS,
    "SELECT n.nspname || '.' || c.relname,
            CASE WHEN c.relkind IN ('v', 'm') THEN c.relkind::text || ' md5 ' || md5(pg_get_viewdef(c.oid))
                 ELSE (SELECT format_type(s.seqtypid, NULL) || ' ' || s.seqmin || '..' || s.seqmax
                       FROM pg_sequence s WHERE s.seqrelid = c.oid) END,
            c.relkind IN ('v', 'm')
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('v', 'm', 'S') AND {skip}"
);

const FIGURES: &str = "SELECT pg_database_size(current_database()),
        (SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()),
        pg_is_in_recovery(),
        (SELECT count(*) FROM pg_stat_replication),
        CASE WHEN pg_is_in_recovery()
             THEN extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8
             ELSE (SELECT extract(epoch FROM max(replay_lag))::float8 FROM pg_stat_replication) END,
        current_setting('server_version')";
