//! The catalog queries a snapshot is read with: templates where `{skip}` stands for the
//! schemas it always leaves out, `{ns}` for a condition that the namespace `n` is in scope and
//! `{rel}` for one that the relation `c` is, `{rel_oid}` for one on the relation oid before it
//! ([`scoped`]). Those marked COPY are read through `COPY … TO STDOUT` (see `copy`), with
//! their number of columns.

use super::SKIP_SCHEMAS;
use super::scope::Scope;

macro_rules! catalog_query {
    ($name:ident, $sql:expr) => {
        pub(super) const $name: &str = $sql;
    };
}

/// `template` with its placeholders filled in for `scope`.
pub(super) fn scoped(template: &str, scope: &Scope) -> String {
    let mut sql = template.replace("{skip}", SKIP_SCHEMAS);
    if sql.contains("{ns}") {
        sql = sql.replace("{ns}", &scope.namespace_sql("n"));
    }
    if sql.contains("{rel}") {
        sql = sql.replace("{rel}", &scope.relation_sql("c"));
    }
    for (column, placeholder) in
        [("i.indrelid", "{rel_oid:i}"), ("k.conrelid", "{rel_oid:k}"), ("adrelid", "{rel_oid:ad}"), ("p.polrelid", "{rel_oid:p}")]
    {
        if sql.contains(placeholder) {
            sql = sql.replace(placeholder, &scope.relation_oid_sql(column));
        }
    }
    sql
}

/// The server's version; its effective search path (with the implicit schemas), which
/// decides whether `pg_get_constraintdef` names a referenced table with its schema; the
/// `search_path` setting (for a second connection); and what `quote_ident` quotes besides
/// unusual characters: every keyword but the unreserved ones, or everything.
pub(super) const SETUP: &str = "SELECT current_setting('server_version_num')::int, current_schemas(true)::text[],
        current_setting('search_path'), current_setting('quote_all_identifiers')::bool,
        (SELECT array_agg(word) FROM pg_get_keywords() WHERE catcode <> 'U')";

/// A helper connection's planner settings: a hash join for the columns (the planner's nested
/// loop over 10,000 tables costs a third more), no parallel workers (the client's server
/// process needs the other core).
/// A scoped read reads few tables' columns: there the nested loop is right.
pub(super) const HELPER_SETTINGS: &str =
    "SELECT set_config('enable_nestloop', $1, false), set_config('max_parallel_workers_per_gather', '0', false)";

// Every namespace (a few hundred at most): relations outside the scope that reach into it
// are named with theirs.
catalog_query!(NAMESPACES, "SELECT n.oid, n.nspname::text FROM pg_namespace n WHERE {skip}");

// COPY, 7 columns. Every relation of the snapshot's schemas (their names also decide
// visibility), with whether it has storage options and its access method (for indexes).
pub(super) const RELS_WIDTH: usize = 7;
catalog_query!(
    RELS,
    "SELECT c.oid, c.relnamespace, c.relname, c.relkind, c.relrowsecurity, c.reloptions IS NULL, c.relam
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE {skip} AND {rel}"
);

pub(super) const ACCESS_METHODS: &str = "SELECT oid, amname::text FROM pg_am";

// Relations of the search path's other schemas (pg_catalog, the client's temporary schema,
// given as $1): they can hide a table of the same name further down the path. Found through
// indexes, never by reading all of `pg_class` (90 ms on 500,000 relations, 9 times a run): the
// system's own (oids below 16384, FirstNormalObjectId), those that depend on one of these
// schemas (a temporary table, anything made later in pg_catalog), and their indexes.
catalog_query!(
    SHADOWS,
    "WITH owned AS (
         SELECT d.objid FROM pg_catalog.pg_depend d
         WHERE d.refclassid = 'pg_catalog.pg_namespace'::pg_catalog.regclass
           AND d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
           AND d.refobjid IN (SELECT sn.oid FROM pg_catalog.pg_namespace sn WHERE sn.nspname = ANY ($1::text[])))
     SELECT n.nspname::text, c.relname::text
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = ANY ($1::text[]) AND NOT ({skip})
       AND c.oid IN (SELECT s.oid FROM pg_catalog.pg_class s WHERE s.oid < 16384
                     UNION ALL SELECT objid FROM owned
                     UNION ALL SELECT i.indexrelid FROM pg_catalog.pg_index i WHERE i.indrelid IN (SELECT objid FROM owned))"
);

// COPY, 8 columns. Columns of tables (and of materialized views, for their indexes): name,
// type, not null, type and collation, generated (stored `s`, or virtual `v` since 18).
pub(super) const COLUMNS_WIDTH: usize = 8;
catalog_query!(
    COLUMNS,
    "SELECT a.attrelid, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
            a.atttypid, a.attcollation, a.attgenerated
     FROM pg_attribute a
     JOIN pg_class c ON c.oid = a.attrelid
     JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p', 'm') AND a.attnum > 0 AND NOT a.attisdropped AND {skip} AND {rel}"
);

// COPY, 5 columns. Column defaults with a fingerprint of their expression (64-bit hash of the
// node tree) and whether it refers to columns: each distinct expression is deparsed once, by
// `DEPARSE_DEFAULTS` (once per table when it refers to columns).
pub(super) const DEFAULTS_WIDTH: usize = 5;
pub(super) const DEFAULTS: &str =
    "SELECT oid, adrelid, adnum, hashtextextended(adbin::text, 0), strpos(adbin::text, '{VAR ') > 0 FROM pg_attrdef
     WHERE {rel_oid:ad}";
// Given its table, `pg_get_expr` opens it (ACCESS SHARE: it waits behind another session's
// ACCESS EXCLUSIVE, and builds the table's cache entry on a fresh connection); only an
// expression that refers to columns (a generated column) needs the table to name them.
pub(super) const DEPARSE_DEFAULTS: &str = "SELECT oid,
        pg_get_expr(adbin, CASE WHEN strpos(adbin::text, '{VAR ') > 0 THEN adrelid ELSE 0 END)
     FROM pg_attrdef WHERE oid = ANY ($1)";

// COPY, 10 columns. Indexes (of every schema: those of the snapshot's are picked by name):
// key columns, operator classes, collations and options; whether without expressions and
// predicate; without INCLUDE; NULLS NOT DISTINCT.
pub(super) const INDEXES_WIDTH: usize = 10;
catalog_query!(
    INDEXES_15,
    "SELECT i.indexrelid, i.indrelid, i.indisunique, i.indkey, i.indclass, i.indcollation, i.indoption,
            i.indexprs IS NULL AND i.indpred IS NULL, i.indnatts = i.indnkeyatts, i.indnullsnotdistinct
     FROM pg_index i WHERE {rel_oid:i}"
);
catalog_query!(
    INDEXES_14,
    "SELECT i.indexrelid, i.indrelid, i.indisunique, i.indkey, i.indclass, i.indcollation, i.indoption,
            i.indexprs IS NULL AND i.indpred IS NULL, i.indnatts = i.indnkeyatts, false
     FROM pg_index i WHERE {rel_oid:i}"
);

pub(super) const OPCLASSES: &str = "SELECT oid, opcdefault, opcintype FROM pg_opclass";

// COPY, 17 columns. Constraints of tables (of every schema: those of the snapshot's are
// picked by table): keys, foreign keys and NOT NULL constraints (PostgreSQL 18) as catalog
// rows, with their index, whether plain (no ON DELETE SET NULL (columns) (15), WITHOUT
// OVERLAPS / PERIOD or NOT ENFORCED (18)) and NO INHERIT; checks and exclusions deparsed.
pub(super) const CONSTRAINTS_WIDTH: usize = 17;
pub(super) const CONSTRAINTS_SQL: &str = "SELECT k.oid, k.conrelid, k.conname, k.contype, k.conkey, k.confrelid, k.confkey,
            k.confupdtype, k.confdeltype, k.confmatchtype, k.condeferrable, k.condeferred, k.convalidated,
            k.conindid, {plain},
            CASE WHEN k.contype IN ('c', 'x') THEN pg_get_constraintdef(k.oid) END, k.connoinherit
     FROM pg_constraint k
     WHERE k.conrelid <> 0 AND k.contype IN ('f', 'p', 'u', 'c', 'x', 'n') AND {rel_oid:k}";
pub(super) const PLAIN_18: &str = "k.confdelsetcols IS NULL AND NOT k.conperiod AND k.conenforced";
pub(super) const PLAIN_15: &str = "k.confdelsetcols IS NULL";
pub(super) const PLAIN_14: &str = "true";

// COPY, 9 columns. RLS policies, with fingerprints of their conditions (64-bit hashes of the
// node trees) and whether those hold a whole-row reference or a subquery (which may name the
// table). `pg_get_expr` opens the table, which on a new connection costs more than the
// deparsing, and what it writes depends only on the expression and the table's column names
// (or the table itself, for those two): each distinct one is deparsed once, by
// `DEPARSE_POLICIES`.
pub(super) const POLICIES_WIDTH: usize = 9;
pub(super) const POLICIES: &str = "SELECT p.oid, p.polrelid, p.polname, p.polcmd, p.polpermissive, p.polroles,
        hashtextextended(p.polqual::text, 0), hashtextextended(p.polwithcheck::text, 0),
        strpos(coalesce(p.polqual::text, '') || coalesce(p.polwithcheck::text, ''), ':varattno 0 ')
        + strpos(coalesce(p.polqual::text, '') || coalesce(p.polwithcheck::text, ''), '{SUBLINK') > 0
     FROM pg_policy p WHERE {rel_oid:p}";
pub(super) const DEPARSE_POLICIES: &str =
    "SELECT oid, pg_get_expr(polqual, polrelid), pg_get_expr(polwithcheck, polrelid) FROM pg_policy WHERE oid = ANY ($1)";

pub(super) const ROLES: &str = "SELECT oid, rolname::text FROM pg_roles";

// Functions and procedures, without those an extension owns.
catalog_query!(
    FUNCTIONS,
    "SELECT n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')',
            CASE WHEN p.prokind = 'a' THEN 'aggregate'
                 ELSE 'returns ' || pg_get_function_result(p.oid) || ', body md5 ' || md5(pg_get_functiondef(p.oid)) END
     FROM pg_proc p
     JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE {skip} AND {ns}
       AND NOT EXISTS (SELECT 1 FROM pg_depend d
                       WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')"
);

catalog_query!(
    TRIGGERS,
    "SELECT n.nspname || '.' || c.relname || '.' || t.tgname, pg_get_triggerdef(t.oid) || ' ' || t.tgenabled::text
     FROM pg_trigger t
     JOIN pg_class c ON c.oid = t.tgrelid
     JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE NOT t.tgisinternal AND {skip} AND {rel}"
);

/// Views and materialized views (kind and definition md5) and sequences (type and bounds), of
/// the relations the catalog rows found.
pub(super) const DEPARSE_RELATIONS: &str = "SELECT c.oid,
        CASE WHEN c.relkind IN ('v', 'm') THEN c.relkind::text || ' md5 ' || md5(pg_get_viewdef(c.oid))
             ELSE (SELECT format_type(s.seqtypid, NULL) || ' ' || s.seqmin || '..' || s.seqmax
                   FROM pg_sequence s WHERE s.seqrelid = c.oid) END
     FROM pg_class c WHERE c.oid = ANY ($1)";

pub(super) const DEPARSE_CONSTRAINTS: &str = "SELECT o, pg_get_constraintdef(o) FROM unnest($1::oid[]) o";
pub(super) const DEPARSE_INDEXES: &str = "SELECT o, pg_get_indexdef(o) FROM unnest($1::oid[]) o";
