//! The catalog queries a snapshot is read with (`{skip}` stands for the schemas it leaves
//! out). Those marked COPY are read through `COPY … TO STDOUT` (see `copy`), with their
//! number of columns.

use super::SKIP_SCHEMAS;

macro_rules! catalog_query {
    ($name:ident, $sql:expr) => {
        pub(super) static $name: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| $sql.replace("{skip}", SKIP_SCHEMAS));
    };
}

/// The server's version; its effective search path (with the implicit schemas), which
/// decides whether `pg_get_constraintdef` names a referenced table with its schema; the
/// `search_path` setting (for a second connection); and what `quote_ident` quotes besides
/// unusual characters: every keyword but the unreserved ones, or everything.
pub(super) const SETUP: &str = "SELECT current_setting('server_version_num')::int, current_schemas(true)::text[],
        current_setting('search_path'), current_setting('quote_all_identifiers')::bool,
        (SELECT array_agg(word) FROM pg_get_keywords() WHERE catcode <> 'U')";

catalog_query!(NAMESPACES, "SELECT n.oid, n.nspname::text FROM pg_namespace n WHERE {skip}");

// COPY, 7 columns. Every relation of the snapshot's schemas (their names also decide
// visibility), with whether it has storage options and its access method (for indexes).
pub(super) const RELS_WIDTH: usize = 7;
catalog_query!(
    RELS,
    "SELECT c.oid, c.relnamespace, c.relname, c.relkind, c.relrowsecurity, c.reloptions IS NULL, c.relam
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE {skip}"
);

pub(super) const ACCESS_METHODS: &str = "SELECT oid, amname::text FROM pg_am";

// Relations of the search path's other schemas (pg_catalog, the temporary schema): they can
// hide a table of the same name further down the path.
catalog_query!(
    SHADOWS,
    "SELECT n.nspname::text, c.relname::text
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = ANY (current_schemas(true)) AND NOT ({skip})"
);

// COPY, 7 columns. Columns of tables (and of materialized views, for their indexes): name,
// type, not null, type and collation.
pub(super) const COLUMNS_WIDTH: usize = 7;
catalog_query!(
    COLUMNS,
    "SELECT a.attrelid, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
            a.atttypid, a.attcollation
     FROM pg_attribute a
     JOIN pg_class c ON c.oid = a.attrelid
     JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p', 'm') AND a.attnum > 0 AND NOT a.attisdropped AND {skip}"
);

/// Column defaults, each distinct expression deparsed once (one that refers to columns, once
/// per table): the columns (tables, numbers) that have it, and the expression.
pub(super) const DEFAULTS: &str = "SELECT g.tables, g.columns, pg_get_expr(x.adbin, x.adrelid)
     FROM (SELECT array_agg(adrelid) AS tables, array_agg(adnum) AS columns, min(oid) AS first FROM pg_attrdef
           GROUP BY CASE WHEN strpos(adbin::text, '{VAR ') > 0 THEN adrelid::text ELSE '' END || adbin::text) g
     JOIN pg_attrdef x ON x.oid = g.first";

// COPY, 10 columns. Indexes (of every schema: those of the snapshot's are picked by name):
// key columns, operator classes, collations and options; whether without expressions and
// predicate; without INCLUDE; NULLS NOT DISTINCT.
pub(super) const INDEXES_WIDTH: usize = 10;
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

pub(super) const OPCLASSES: &str = "SELECT oid, opcdefault, opcintype FROM pg_opclass";

// COPY, 16 columns. Constraints of tables (of every schema: those of the snapshot's are
// picked by table): keys and foreign keys as catalog rows, with their index and whether
// without ON DELETE SET NULL (columns); checks and exclusions deparsed.
pub(super) const CONSTRAINTS_WIDTH: usize = 16;
pub(super) const CONSTRAINTS_SQL: &str = "SELECT k.oid, k.conrelid, k.conname, k.contype, k.conkey, k.confrelid, k.confkey,
            k.confupdtype, k.confdeltype, k.confmatchtype, k.condeferrable, k.condeferred, k.convalidated,
            k.conindid, {v15},
            CASE WHEN k.contype IN ('c', 'x') THEN pg_get_constraintdef(k.oid) END
     FROM pg_constraint k
     WHERE k.conrelid <> 0 AND k.contype IN ('f', 'p', 'u', 'c', 'x')";
catalog_query!(CONSTRAINTS_15, CONSTRAINTS_SQL.replace("{v15}", "k.confdelsetcols IS NULL"));
catalog_query!(CONSTRAINTS_14, CONSTRAINTS_SQL.replace("{v15}", "true"));

// RLS policies. Each distinct expression is deparsed once: `pg_get_expr` opens the table, which
// on a new connection costs more than the deparsing. What it writes depends only on the
// expression and the table's column names, except for a whole-row reference or a subquery
// (which may name the table): those are deparsed per table.
catalog_query!(
    POLICIES,
    "WITH k AS MATERIALIZED (
       SELECT p.oid,
              CASE WHEN strpos(coalesce(p.polqual::text, '') || coalesce(p.polwithcheck::text, ''), ':varattno 0 ')
                        + strpos(coalesce(p.polqual::text, '') || coalesce(p.polwithcheck::text, ''), '{SUBLINK') > 0
                   THEN p.polrelid::text
                   ELSE (SELECT array_agg(a.attname ORDER BY a.attnum)::text
                         FROM pg_attribute a WHERE a.attrelid = p.polrelid AND a.attnum > 0) END
              || ' ' || coalesce(p.polqual::text, '') || ' ' || coalesce(p.polwithcheck::text, '') COLLATE \"C\" AS key
       FROM pg_policy p),
     d AS MATERIALIZED (
       SELECT g.key, pg_get_expr(x.polqual, x.polrelid) AS qual, pg_get_expr(x.polwithcheck, x.polrelid) AS wcheck
       FROM (SELECT key, min(oid) AS first FROM k GROUP BY key) g JOIN pg_policy x ON x.oid = g.first)
     SELECT n.nspname || '.' || c.relname || '.' || p.polname,
            CASE p.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE'
                          WHEN 'd' THEN 'DELETE' ELSE 'ALL' END
            || CASE WHEN p.polpermissive THEN '' ELSE ' RESTRICTIVE' END
            || ' TO ' || coalesce((SELECT string_agg(r.rolname, ', ' ORDER BY r.rolname)
                                   FROM pg_roles r WHERE r.oid = ANY (p.polroles)), 'public')
            || coalesce(' USING (' || d.qual || ')', '')
            || coalesce(' WITH CHECK (' || d.wcheck || ')', '')
     FROM pg_policy p
     JOIN k ON k.oid = p.oid
     JOIN d ON d.key = k.key
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
