//! The snapshot's own definitions of tables, keys, foreign keys and indexes against what
//! PostgreSQL's deparsers write: the edge-case schema, the reference queries and the
//! comparison. Shared with the e2e bench (`#[path]`), so nothing here knows the test harness.

use std::collections::BTreeMap;

use pgstage::db::snapshot::{Kind, Snapshot};
use tokio_postgres::Client;

/// Schemas never part of a snapshot (as in `src/db/snapshot/mod.rs`).
pub const SKIP: &str = "n.nspname NOT IN ('pg_catalog', 'information_schema', 'pgstage') \
     AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'";

/// Tables, keys, foreign keys and indexes as the snapshot read them before it wrote
/// definitions itself: one deparser call per object (`pg_get_indexdef`,
/// `pg_get_constraintdef`, `pg_get_expr` per column default). Per query: a label, the kinds it
/// covers, and the SQL (`{skip}` stands for [`SKIP`]) giving name, kind letter
/// (`T`able, `F`oreign key, other `C`onstraint, `N`OT NULL constraint, `I`ndex) and definition.
pub const REFERENCE: [(&str, &[Kind], &str); 4] = [
    (
        "tables",
        &[Kind::Table],
        "SELECT n.nspname || '.' || c.relname, 'T',
                coalesce((SELECT string_agg(quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod)
                            || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
                            || coalesce(CASE a.attgenerated WHEN 's' THEN ' generated always as '
                                                            WHEN 'v' THEN ' generated always as (virtual) '
                                                            ELSE ' default ' END
                                        || pg_get_expr(d.adbin, d.adrelid), ''), ', ' ORDER BY a.attnum)
                          FROM pg_attribute a
                          LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                          WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '')
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind IN ('r', 'p') AND {skip}",
    ),
    (
        "constraints",
        &[Kind::ForeignKey, Kind::Constraint],
        "SELECT n.nspname || '.' || c.relname || '.' || k.conname, CASE WHEN k.contype = 'f' THEN 'F' ELSE 'C' END,
                pg_get_constraintdef(k.oid)
         FROM pg_constraint k
         JOIN pg_class c ON c.oid = k.conrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE k.contype IN ('f', 'p', 'u', 'c', 'x') AND {skip}",
    ),
    (
        // PostgreSQL 18's own; before 18, one per NOT NULL column of a table, named as 18
        // names them (names here are short enough to need no shortening).
        "NOT NULL constraints",
        &[Kind::NotNull],
        "SELECT n.nspname || '.' || c.relname || '.' || k.conname, 'N', pg_get_constraintdef(k.oid)
         FROM pg_constraint k
         JOIN pg_class c ON c.oid = k.conrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE k.contype = 'n' AND {skip}
         UNION ALL
         SELECT n.nspname || '.' || c.relname || '.' || c.relname || '_' || a.attname || '_not_null', 'N',
                'NOT NULL ' || quote_ident(a.attname)
         FROM pg_attribute a
         JOIN pg_class c ON c.oid = a.attrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE current_setting('server_version_num')::int < 180000
           AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped AND a.attnotnull AND {skip}",
    ),
    (
        "indexes",
        &[Kind::Index],
        "SELECT n.nspname || '.' || ci.relname, 'I', pg_get_indexdef(i.indexrelid)
         FROM pg_index i
         JOIN pg_class ci ON ci.oid = i.indexrelid
         JOIN pg_namespace n ON n.oid = ci.relnamespace
         WHERE {skip}",
    ),
];

/// Compare `snap` (taken on `client`, in the same session state) with PostgreSQL's
/// deparsers: how many objects were compared, and every difference in words (a definition
/// that differs, an object missing from the snapshot, one in the snapshot only). A reference
/// query that fails counts as a difference too.
pub async fn differences(client: &Client, snap: &Snapshot) -> (usize, Vec<String>) {
    let mut compared = 0;
    let mut problems = vec![];
    for (label, kinds, sql) in REFERENCE {
        let rows = match client.query(&sql.replace("{skip}", SKIP), &[]).await {
            Ok(rows) => rows,
            Err(e) => {
                problems.push(format!("{label}: the reference query failed: {}", pgstage::db::describe(&e)));
                continue;
            }
        };
        let mut expected: BTreeMap<Kind, BTreeMap<String, String>> = kinds.iter().map(|k| (*k, BTreeMap::new())).collect();
        for r in &rows {
            let kind = match r.get::<_, &str>(1) {
                "T" => Kind::Table,
                "F" => Kind::ForeignKey,
                "C" => Kind::Constraint,
                "N" => Kind::NotNull,
                _ => Kind::Index,
            };
            expected.entry(kind).or_default().insert(r.get(0), r.get(2));
        }
        let none = BTreeMap::new();
        for (kind, objects) in &expected {
            let got = snap.objects.get(kind).unwrap_or(&none);
            for (name, def) in objects {
                compared += 1;
                match got.get(name) {
                    Some(g) if g == def => {}
                    Some(g) => problems.push(format!("{label} {name:?}: snapshot `{g}`, deparser `{def}`")),
                    None => problems.push(format!("{label} {name:?}: missing from the snapshot")),
                }
            }
            for name in got.keys().filter(|n| !objects.contains_key(*n)) {
                problems.push(format!("{label} {name:?}: in the snapshot only"));
            }
        }
    }
    (compared, problems)
}

/// Definitions the snapshot writes itself and those it must leave to the deparser; names
/// that need quoting (keywords, upper case, non-ASCII, `$`, a leading digit, tabs, newlines,
/// backslashes and double quotes), and defaults whose text needs escaping. PostgreSQL 14+.
pub const EDGE_CASES: &str = r##"
CREATE SCHEMA other;
CREATE SCHEMA "Mixed Case";
CREATE TABLE other.ref (id int PRIMARY KEY, code varchar(10) UNIQUE, c2 text COLLATE "C");
CREATE TABLE public.ref (id int PRIMARY KEY, n int, m int, UNIQUE (n, m));
CREATE TABLE "Mixed Case"."Weird Table" (
    "Id" int PRIMARY KEY, "select" int,
    ref_id int REFERENCES other.ref (id) MATCH FULL ON UPDATE CASCADE ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED,
    note text DEFAULT 'x', n numeric(10, 2) DEFAULT 0, created timestamptz DEFAULT now(),
    g int GENERATED ALWAYS AS ("Id" * 2) STORED);
CREATE TABLE "Mixed Case".other_weird ("Id" int PRIMARY KEY, g int GENERATED ALWAYS AS ("Id" * 2) STORED);
CREATE TABLE public.child (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ref_id int REFERENCES public.ref (id) ON DELETE RESTRICT,
    self_id bigint REFERENCES public.child (id),
    weird_id int REFERENCES "Mixed Case"."Weird Table" ("Id") ON UPDATE SET DEFAULT,
    other_id int, code varchar(10), tags text[], email text, n int, m int,
    kind text CHECK (kind IN ('a', 'b')), t tsrange, payload jsonb,
    UNIQUE (code, email), EXCLUDE USING gist (t WITH &&),
    FOREIGN KEY (n, m) REFERENCES public.ref (n, m) MATCH FULL);
ALTER TABLE public.child ADD CONSTRAINT child_other_fk FOREIGN KEY (other_id) REFERENCES other.ref (id) NOT VALID;
ALTER TABLE public.child ADD CONSTRAINT child_code_fk FOREIGN KEY (code) REFERENCES other.ref (code);
ALTER TABLE public.child ADD CONSTRAINT child_positive CHECK (n > 0) NOT VALID;
CREATE INDEX child_desc ON public.child (ref_id DESC);
CREATE INDEX child_nulls ON public.child (ref_id NULLS FIRST);
CREATE INDEX child_partial ON public.child (ref_id) WHERE kind = 'a';
CREATE INDEX child_expr ON public.child (lower(email));
CREATE INDEX child_incl ON public.child (ref_id) INCLUDE (email);
CREATE INDEX child_pattern ON public.child (email text_pattern_ops);
CREATE INDEX child_varchar ON public.child (code);
CREATE INDEX child_coll ON public.child (email COLLATE "C");
CREATE INDEX child_coll_same ON other.ref (c2 COLLATE "C");
CREATE INDEX child_gin ON public.child USING gin (tags);
CREATE INDEX child_jsonb ON public.child USING gin (payload jsonb_path_ops);
CREATE INDEX child_hash ON public.child USING hash (email);
CREATE INDEX child_brin ON public.child USING brin (id);
CREATE INDEX child_fill ON public.child (email) WITH (fillfactor = 70);
CREATE INDEX "Child Mixed" ON public.child (n, m, email);
CREATE TABLE public.pk_incl (a int, b int, PRIMARY KEY (a) INCLUDE (b));
CREATE TABLE public.parted (id int, at date, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
CREATE TABLE public.parted_2024 PARTITION OF public.parted FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE INDEX parted_at ON public.parted (at);
CREATE MATERIALIZED VIEW public.mv AS SELECT id FROM public.ref;
CREATE UNIQUE INDEX mv_id ON public.mv (id);
CREATE TABLE public."select" (id int PRIMARY KEY);
CREATE TABLE public.fk_keyword (id int PRIMARY KEY, s int REFERENCES public."select" (id));
CREATE DOMAIN public.d_text AS text;
CREATE TABLE public.dom (x public.d_text PRIMARY KEY);
CREATE TABLE public.defer (id int PRIMARY KEY DEFERRABLE, u int UNIQUE DEFERRABLE INITIALLY DEFERRED);
CREATE TYPE public.mood AS ENUM ('a', 'b');
CREATE TABLE public.en (m public.mood PRIMARY KEY, at timestamptz DEFAULT now(), z int DEFAULT 0);
CREATE TABLE public.uuids (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), seq int DEFAULT 0);
CREATE TABLE public.pg_class (id int PRIMARY KEY);
CREATE TABLE public.refs_pg_class (x int REFERENCES public.pg_class (id));
CREATE TABLE public.no_columns ();
CREATE TABLE public.dropped (a int, b int, c int PRIMARY KEY);
ALTER TABLE public.dropped DROP COLUMN b;
CREATE INDEX dropped_a_c ON public.dropped (a, c);
CREATE TABLE other.in_other (id int PRIMARY KEY, r int REFERENCES public.ref (id));

CREATE SCHEMA "SHOUT";
CREATE TABLE "SHOUT"."order" (
    "1st" int PRIMARY KEY, a$b text UNIQUE, "int" int, action int, "Ünïcode" text,
    UNIQUE (action, "int"));
CREATE TABLE "SHOUT".U&"line\000Abreak ""and"" tab\0009" (
    U&"k\0009" int PRIMARY KEY, "default" text DEFAULT 'café');
CREATE TABLE "SHOUT"."café" (
    "Ünïcode" int PRIMARY KEY,
    "we""ird" text DEFAULT E'it''s a\ttab, a \\ backslash, a "quote" and a\nnewline',
    U&"tab\0009col" int DEFAULT 0,
    U&"new\000Aline" text DEFAULT U&'café \0009tab',
    "back\slash" text DEFAULT '\',
    U&"all\0009of\000Athem\\and""this" int,
    "select" int, "order" int, "user" text, "default" int, action int, "between" int, "int" int,
    a$b text, "1st" int, "UPPER" int, café int,
    UNIQUE ("we""ird", U&"tab\0009col", U&"new\000Aline", "back\slash", U&"all\0009of\000Athem\\and""this"),
    UNIQUE ("select", "order", "user", "default", action, "between", "int", a$b, "1st"),
    CONSTRAINT "Ünïque café" UNIQUE ("UPPER", café),
    CONSTRAINT "fk ""quoted""" FOREIGN KEY ("1st") REFERENCES "SHOUT"."order" ("1st"),
    FOREIGN KEY (action, "int") REFERENCES "SHOUT"."order" (action, "int") ON DELETE CASCADE,
    FOREIGN KEY (a$b) REFERENCES "SHOUT"."order" (a$b) ON UPDATE SET NULL,
    FOREIGN KEY (U&"tab\0009col") REFERENCES "SHOUT".U&"line\000Abreak ""and"" tab\0009" (U&"k\0009"),
    CHECK ("we""ird" <> E'\\' AND "user" <> 'Ünï'));
CREATE INDEX "between" ON "SHOUT"."café" ("between", "int");
CREATE INDEX action ON "SHOUT"."café" (action);
CREATE INDEX "default" ON "SHOUT"."café" ("default", a$b, "1st");
CREATE INDEX "1st" ON "SHOUT"."café" ("select", "order", "user");
CREATE INDEX "Ünïcode idx" ON "SHOUT"."café" (U&"tab\0009col", "back\slash", "we""ird");
CREATE INDEX U&"idx\0009tab\000Anl""q" ON "SHOUT"."café" (U&"new\000Aline", U&"all\0009of\000Athem\\and""this");
CREATE INDEX "café_expr" ON "SHOUT"."café" (lower("we""ird")) WHERE "select" > 0 AND "user" <> 'é';
CREATE INDEX a$b ON "SHOUT"."order" ("Ünïcode");
CREATE TABLE public."user" (
    id int PRIMARY KEY, "order" int REFERENCES "SHOUT"."order" ("1st"),
    café int REFERENCES "SHOUT"."café" ("Ünïcode") ON DELETE SET DEFAULT,
    "select" int REFERENCES public."select" (id), "int" int, "between" int, action int,
    UNIQUE ("int", "between", action));
CREATE INDEX "order" ON public."user" ("order", café);
CREATE TABLE public."int" ("int" int PRIMARY KEY, "user" int REFERENCES public."user" (id));
CREATE TABLE other.action (
    id int PRIMARY KEY, "between" int REFERENCES public."user" (id),
    i int REFERENCES public."int" ("int"), r int REFERENCES public.ref (id), o int REFERENCES other.ref (id));
CREATE TABLE "Mixed Case"."default" (
    "1st" int PRIMARY KEY, w int REFERENCES "Mixed Case"."Weird Table" ("Id"),
    a int REFERENCES other.action (id), c int REFERENCES "SHOUT"."café" ("Ünïcode"));
"##;

/// PostgreSQL 15's additions.
pub const EDGE_CASES_15: &str = r#"
CREATE UNIQUE INDEX child_nnd ON public.child (email) NULLS NOT DISTINCT;
ALTER TABLE public.child ADD CONSTRAINT child_uq_nnd UNIQUE NULLS NOT DISTINCT (email, code);
CREATE TABLE public.delset (a int PRIMARY KEY, n int, m int, FOREIGN KEY (n, m) REFERENCES public.ref (n, m) ON DELETE SET NULL (n));
"#;

/// PostgreSQL 18's additions: NOT NULL constraints with names, NO INHERIT, NOT VALID and
/// inherited; keys WITHOUT OVERLAPS, foreign keys with PERIOD, NOT ENFORCED constraints;
/// virtual generated columns.
pub const EDGE_CASES_18: &str = r#"
CREATE TABLE public.nn (id int PRIMARY KEY, a int NOT NULL, b int, c int, "Odd Col" int NOT NULL);
ALTER TABLE public.nn ADD CONSTRAINT nn_named NOT NULL b;
ALTER TABLE public.nn ADD CONSTRAINT "nn invalid" NOT NULL c NOT VALID;
CREATE TABLE public.nn_child (extra int NOT NULL) INHERITS (public.nn);
CREATE TABLE public.nn_no_inherit (x int CONSTRAINT x_nn NOT NULL NO INHERIT);
CREATE TABLE public.rooms (room int4range, during tsrange, PRIMARY KEY (room, during WITHOUT OVERLAPS));
CREATE TABLE public.bookings (room int4range, during tsrange, UNIQUE (room, during WITHOUT OVERLAPS),
    FOREIGN KEY (room, PERIOD during) REFERENCES public.rooms (room, PERIOD during));
CREATE TABLE public.virtual_gen (a int, v int GENERATED ALWAYS AS (a * 2) VIRTUAL, s int GENERATED ALWAYS AS (a * 3) STORED);
CREATE TABLE public.loose (r int REFERENCES public.ref (id) NOT ENFORCED, n int CHECK (n > 0) NOT ENFORCED);
"#;
