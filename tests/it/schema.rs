//! The migrations themselves, on a real server: the Week 1 baseline has the seed's shape,
//! Week 2 on top gives the seed's figures, applying Week 2 twice changes nothing, and the
//! rollback returns to exactly the baseline.

use std::collections::BTreeSet;

use pgstage::db::snapshot::{Kind, Snapshot, SnapshotDiff, row_counts};
use pgstage::db::split;

use crate::deparser::{EDGE_CASES, EDGE_CASES_15, EDGE_CASES_18, differences};
use crate::support::{Template, apply, fresh_db, path, server_version_num, week2_files, week2_plan};

async fn snapshot(client: &tokio_postgres::Client) -> Snapshot {
    Snapshot::take(client).await.unwrap_or_else(|e| panic!("{e}"))
}

/// Indexes a migration created itself (CREATE INDEX), not those behind a primary key or
/// unique constraint.
fn explicit_indexes(diff: &SnapshotDiff, after: &Snapshot) -> usize {
    let constraint_backed = diff
        .appeared_of(Kind::Constraint)
        .filter(|name| {
            let def = &after.objects[&Kind::Constraint][*name];
            def.starts_with("PRIMARY KEY") || def.starts_with("UNIQUE")
        })
        .count();
    diff.appeared_of(Kind::Index).count() - constraint_backed
}

#[tokio::test]
async fn baseline_has_43_tables_42_foreign_keys_18_policies_and_data_everywhere() {
    let db = fresh_db(Template::Baseline).await;
    let snap = snapshot(&db.client).await;
    assert_eq!(snap.count(Kind::Table, "public"), 43);
    assert_eq!(snap.count(Kind::ForeignKey, "public"), 42);
    assert_eq!(snap.count(Kind::Policy, "public"), 18);
    let indexes = snap.count(Kind::Index, "public");
    assert!(indexes >= 70, "{indexes} indexes");
    let counts = row_counts(&db.client, "public").await.unwrap();
    assert_eq!(counts.len(), 43);
    let empty: Vec<_> = counts.iter().filter(|(_, n)| **n == 0).map(|(t, _)| t.clone()).collect();
    assert!(empty.is_empty(), "tables without rows: {empty:?}");
    // The Supabase shim.
    let uid: Option<String> = db
        .client
        .query_one(
            "SELECT set_config('request.jwt.claim.sub', '00000000-0000-0000-0000-0000000000aa', false), auth.uid()::text",
            &[],
        )
        .await
        .unwrap()
        .get(1);
    assert_eq!(uid.as_deref(), Some("00000000-0000-0000-0000-0000000000aa"));
    let roles: i64 = db
        .client
        .query_one("SELECT count(*) FROM pg_roles WHERE rolname IN ('anon', 'authenticated', 'service_role')", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(roles, 3);
}

#[tokio::test]
async fn week2_gives_the_seeds_figures_and_every_migration_what_it_announces() {
    let db = fresh_db(Template::Baseline).await;
    let plan = week2_plan();
    let baseline = snapshot(&db.client).await;
    let mut before = baseline.clone();
    for m in &plan.plan.migrations {
        apply(&db.client, &[plan.resolve(&m.file)]).await;
        let after = snapshot(&db.client).await;
        let diff = before.diff(&after);
        let tables: BTreeSet<&str> = diff.appeared_of(Kind::Table).collect();
        let expected: BTreeSet<String> = m.creates.tables.iter().map(|t| format!("public.{t}")).collect();
        assert_eq!(tables, expected.iter().map(String::as_str).collect(), "tables of {}", m.id);
        let functions: BTreeSet<&str> =
            diff.appeared_of(Kind::Function).map(|f| f.strip_prefix("public.").unwrap().split('(').next().unwrap()).collect();
        assert_eq!(functions, m.creates.functions.iter().map(String::as_str).collect(), "functions of {}", m.id);
        assert_eq!(Some(explicit_indexes(&diff, &after) as u32), m.creates.indexes, "indexes of {}", m.id);
        assert_eq!(Some(diff.appeared_of(Kind::Policy).count() as u32), m.creates.policies, "policies of {}", m.id);
        if let Some(triggers) = m.creates.triggers {
            assert_eq!(diff.appeared_of(Kind::Trigger).count() as u32, triggers, "triggers of {}", m.id);
        }
        assert!(diff.vanished.is_empty() && diff.changed.is_empty(), "{} only adds: {diff:?}", m.id);
        before = after;
    }
    let after = before;
    assert_eq!(after.count(Kind::Table, "public"), 59);
    let fks = after.count(Kind::ForeignKey, "public");
    assert!(fks >= 82, "{fks} foreign keys");
    assert!(fks - 42 >= 40, "{} new foreign keys", fks - 42);
    let policies = after.count(Kind::Policy, "public");
    assert!(policies >= 33, "{policies} policies");
    let indexes = after.count(Kind::Index, "public");
    assert!(indexes >= 130, "{indexes} indexes");
    assert_eq!(baseline.diff(&after).appeared_of(Kind::Function).count(), 12);
    // RLS on every new table.
    for t in plan.plan.migrations.iter().flat_map(|m| &m.creates.tables) {
        assert!(after.rls_enabled.contains(&format!("public.{t}")), "RLS on {t}");
    }
}

#[tokio::test]
async fn each_week2_function_is_callable() {
    let db = fresh_db(Template::Baseline).await;
    apply(&db.client, &week2_files()).await;
    let script = std::fs::read_to_string(path("tests/fixtures/week2_function_calls.sql")).unwrap();
    let calls = split::split(&script).unwrap();
    let plan = week2_plan();
    let mut called = BTreeSet::new();
    for call in &calls {
        let name = call.sql.lines().find_map(|l| l.strip_prefix("-- fn: ")).unwrap_or_else(|| {
            // The marker comment precedes the statement; find it in the script just before.
            let head = &script[..call.offset];
            head.lines().rev().find_map(|l| l.strip_prefix("-- fn: ")).expect("a `-- fn:` marker")
        });
        called.insert(name.trim().to_owned());
        db.client.batch_execute("BEGIN").await.unwrap();
        let result = db.client.batch_execute(&call.sql).await;
        db.client.batch_execute("ROLLBACK").await.unwrap();
        if let Err(e) = result {
            panic!("calling {name} failed: {}\n{}", pgstage::db::describe(&e), call.sql);
        }
    }
    let expected: BTreeSet<String> = plan.plan.migrations.iter().flat_map(|m| m.creates.functions.clone()).collect();
    assert_eq!(called, expected, "one call per Week 2 function");
}

#[tokio::test]
async fn applying_week2_twice_changes_nothing() {
    let db = fresh_db(Template::Baseline).await;
    apply(&db.client, &week2_files()).await;
    let once = snapshot(&db.client).await;
    let rows_once = row_counts(&db.client, "public").await.unwrap();
    apply(&db.client, &week2_files()).await;
    let twice = snapshot(&db.client).await;
    let diff = once.diff(&twice);
    assert!(diff.is_empty(), "second application changed the catalog: {diff:?}");
    assert_eq!(rows_once, row_counts(&db.client, "public").await.unwrap());
}

#[tokio::test]
async fn rollback_returns_to_exactly_the_baseline() {
    let db = fresh_db(Template::Baseline).await;
    let plan = week2_plan();
    let baseline = snapshot(&db.client).await;
    let rows = row_counts(&db.client, "public").await.unwrap();
    apply(&db.client, &week2_files()).await;
    assert!(!baseline.diff(&snapshot(&db.client).await).is_empty());
    let rollback = plan.resolve(&plan.plan.rollback.as_ref().unwrap().script);
    apply(&db.client, &[rollback]).await;
    let after = snapshot(&db.client).await;
    let diff = baseline.diff(&after);
    assert!(diff.is_empty(), "rollback left differences: {diff:#?}");
    // Not just the tables: every kind is compared, and the data is intact.
    for kind in [Kind::Table, Kind::ForeignKey, Kind::Constraint, Kind::Index, Kind::Policy, Kind::Function, Kind::Trigger] {
        assert_eq!(baseline.objects.get(&kind), after.objects.get(&kind), "{kind:?}");
    }
    assert_eq!(rows, row_counts(&db.client, "public").await.unwrap());
}

#[tokio::test]
async fn snapshot_diff_sees_appeared_vanished_and_changed_objects() {
    let db = fresh_db(Template::Empty).await;
    db.client
        .batch_execute(
            "CREATE TABLE a (id int PRIMARY KEY, v text);
             CREATE TABLE b (id int PRIMARY KEY);
             CREATE INDEX a_v ON a (v);",
        )
        .await
        .unwrap();
    let before = snapshot(&db.client).await;
    db.client
        .batch_execute(
            "DROP TABLE b;
             ALTER TABLE a ADD COLUMN w int;
             ALTER TABLE a ENABLE ROW LEVEL SECURITY;
             CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1';",
        )
        .await
        .unwrap();
    let after = snapshot(&db.client).await;
    let diff = before.diff(&after);
    let appeared: Vec<_> = diff.appeared.iter().map(|o| (o.kind, o.name.as_str())).collect();
    assert_eq!(appeared, [(Kind::Function, "public.f()")]);
    let vanished: Vec<_> = diff.vanished.iter().map(|o| (o.kind, o.name.as_str())).collect();
    // The NOT NULL constraint of b's primary key: catalogued by PostgreSQL 18, one per NOT NULL
    // column before, so the same on every version.
    assert_eq!(
        vanished,
        [
            (Kind::Table, "public.b"),
            (Kind::Constraint, "public.b.b_pkey"),
            (Kind::NotNull, "public.b.b_id_not_null"),
            (Kind::Index, "public.b_pkey")
        ]
    );
    let changed: Vec<_> = diff.changed.iter().map(|c| (c.object.kind, c.object.name.as_str(), c.after.as_str())).collect();
    assert_eq!(
        changed,
        [
            (Kind::Table, "public.a", "id integer not null, v text, w integer"),
            (Kind::Table, "public.a", "row level security enabled"),
        ]
    );
}

/// A rollback that forgets to drop a NOT NULL the migrations added is no return to the
/// baseline, on every version; on PostgreSQL 18, whose NOT NULL constraints have names and
/// can be NO INHERIT or NOT VALID, neither is one that leaves such a change behind while every
/// column stays NOT NULL.
#[tokio::test]
async fn rollback_that_leaves_a_not_null_behind_differs_from_the_baseline() {
    let db = fresh_db(Template::Baseline).await;
    let plan = week2_plan();
    let baseline = snapshot(&db.client).await;
    apply(&db.client, &week2_files()).await;
    db.client.batch_execute("ALTER TABLE public.users ALTER COLUMN full_name SET NOT NULL").await.unwrap();
    apply(&db.client, &[plan.resolve(&plan.plan.rollback.as_ref().unwrap().script)]).await;
    let diff = baseline.diff(&snapshot(&db.client).await);
    let appeared: Vec<_> = diff.appeared.iter().map(|o| (o.kind, o.name.as_str())).collect();
    assert_eq!(appeared, [(Kind::NotNull, "public.users.users_full_name_not_null")], "{diff:#?}");
    assert_eq!(diff.changed.len(), 1, "{diff:#?}");
    assert!(diff.changed[0].after.contains("full_name text not null"), "{diff:#?}");
    db.client.batch_execute("ALTER TABLE public.users ALTER COLUMN full_name DROP NOT NULL").await.unwrap();
    assert!(baseline.diff(&snapshot(&db.client).await).is_empty());
    if server_version_num(&db.client).await < 180_000 {
        return;
    }
    // PostgreSQL 18: the same columns NOT NULL, the constraint renamed; then NO INHERIT.
    let users_id: String = db
        .client
        .query_one("SELECT conname::text FROM pg_constraint WHERE conrelid = 'public.users'::regclass AND contype = 'n' AND conkey = '{1}'", &[])
        .await
        .unwrap()
        .get(0);
    db.client.batch_execute(&format!("ALTER TABLE public.users RENAME CONSTRAINT {users_id} TO users_id_nn")).await.unwrap();
    let diff = baseline.diff(&snapshot(&db.client).await);
    assert_eq!(diff.appeared.iter().map(|o| o.name.as_str()).collect::<Vec<_>>(), ["public.users.users_id_nn"]);
    assert_eq!(diff.vanished.iter().map(|o| o.name.as_str()).collect::<Vec<_>>(), [format!("public.users.{users_id}")]);
    assert!(diff.changed.is_empty(), "{diff:#?}");
    db.client
        .batch_execute(&format!(
            "ALTER TABLE public.users RENAME CONSTRAINT users_id_nn TO {users_id};
             ALTER TABLE public.users ALTER CONSTRAINT {users_id} NO INHERIT"
        ))
        .await
        .unwrap();
    let diff = baseline.diff(&snapshot(&db.client).await);
    let changed: Vec<_> = diff.changed.iter().map(|c| (c.object.kind, c.object.name.clone(), c.after.as_str())).collect();
    assert_eq!(changed, [(Kind::NotNull, format!("public.users.{users_id}"), "NOT NULL id NO INHERIT")], "{diff:#?}");
}

/// A generated column is no column with a default, and (PostgreSQL 18) a virtual one no stored
/// one: a migration that swaps one for the other, same expression, changes the table.
#[tokio::test]
async fn generated_columns_differ_from_defaults_and_virtual_from_stored() {
    let db = fresh_db(Template::Empty).await;
    db.client.batch_execute("CREATE TABLE g (a int, b int GENERATED ALWAYS AS (2 * 1) STORED)").await.unwrap();
    let stored = snapshot(&db.client).await;
    db.client.batch_execute("ALTER TABLE g DROP COLUMN b; ALTER TABLE g ADD COLUMN b int DEFAULT (2 * 1)").await.unwrap();
    let diff = stored.diff(&snapshot(&db.client).await);
    let changed: Vec<_> = diff.changed.iter().map(|c| (c.before.as_str(), c.after.as_str())).collect();
    assert_eq!(changed, [("a integer, b integer generated always as (2 * 1)", "a integer, b integer default (2 * 1)")]);
    if server_version_num(&db.client).await < 180_000 {
        return;
    }
    db.client
        .batch_execute("ALTER TABLE g DROP COLUMN b; ALTER TABLE g ADD COLUMN b int GENERATED ALWAYS AS (2 * 1) VIRTUAL")
        .await
        .unwrap();
    let diff = stored.diff(&snapshot(&db.client).await);
    let changed: Vec<_> = diff.changed.iter().map(|c| c.after.as_str()).collect();
    assert_eq!(changed, ["a integer, b integer generated always as (virtual) (2 * 1)"]);
}

/// Before PostgreSQL 18 the snapshot names each NOT NULL column's constraint as 18 would: on 18,
/// the names it gives (long names shortened, multi-byte characters kept whole) are those.
#[tokio::test]
async fn not_null_names_are_those_postgresql_18_gives() {
    let db = fresh_db(Template::Empty).await;
    if server_version_num(&db.client).await < 180_000 {
        return;
    }
    let tables = [
        ("short", "c"),
        ("a_table_name_that_is_quite_long_indeed_and_then_some_more_of_it", "id"),
        ("t", "a_column_name_that_is_quite_long_indeed_and_then_some_more_of_it"),
        ("ééééééééééééééééééééééééééééé", "ççççççççççççççççççççççççç"),
        ("Mixed Case", "Odd Col"),
    ];
    for (table, column) in tables {
        let sql = format!(
            "CREATE TABLE public.{} ({} int NOT NULL)",
            pgstage::db::quote_ident(table),
            pgstage::db::quote_ident(column)
        );
        db.client.batch_execute(&sql).await.unwrap();
        let name: String = db
            .client
            .query_one(
                "SELECT k.conname::text FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
                 WHERE c.relname = $1 AND k.contype = 'n'",
                &[&table],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(pgstage::db::snapshot::not_null_name(table, column), name, "{table}.{column}");
    }
}

/// The snapshot writes index and constraint definitions itself (PostgreSQL's deparsers are
/// slow on big catalogs); on the Week 2 schema they must read exactly as PostgreSQL's own.
#[tokio::test]
async fn snapshot_definitions_match_postgresqls_own_deparsers() {
    let db = fresh_db(Template::Baseline).await;
    apply(&db.client, &week2_files()).await;
    db.client
        .batch_execute(
            "CREATE TABLE public.edge (a int, b text COLLATE \"C\", c int DEFAULT 42, UNIQUE (a, b), CHECK (c > 0));
             CREATE INDEX edge_expr ON public.edge (lower(b)) WHERE a > 1;
             CREATE INDEX edge_desc ON public.edge (a DESC NULLS LAST) INCLUDE (c);",
        )
        .await
        .unwrap();
    let snap = snapshot(&db.client).await;
    let indexes = db
        .client
        .query(
            "SELECT n.nspname || '.' || c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i
             JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'",
            &[],
        )
        .await
        .unwrap();
    assert!(indexes.len() >= 164);
    for row in &indexes {
        let (name, def): (String, String) = (row.get(0), row.get(1));
        assert_eq!(snap.objects[&Kind::Index].get(&name), Some(&def), "index {name}");
    }
    let constraints = db
        .client
        .query(
            "SELECT n.nspname || '.' || c.relname || '.' || k.conname, pg_get_constraintdef(k.oid), k.contype::text
             FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'public'",
            &[],
        )
        .await
        .unwrap();
    for row in &constraints {
        let (name, def, contype): (String, String, String) = (row.get(0), row.get(1), row.get(2));
        let kind = match contype.as_str() {
            "f" => Kind::ForeignKey,
            "n" => Kind::NotNull, // PostgreSQL 18
            _ => Kind::Constraint,
        };
        assert_eq!(snap.objects.get(&kind).and_then(|o| o.get(&name)), Some(&def), "constraint {name}");
    }
}

/// The edge-case schema (names that need quoting, keywords, non-ASCII, control characters,
/// defaults whose text needs escaping, every kind of key, foreign key and index) in several
/// session states: search paths decide which referenced tables are qualified, a temporary
/// table can hide one, and `quote_all_identifiers` quotes every name.
#[tokio::test]
async fn snapshot_matches_the_deparsers_on_edge_cases() {
    let db = fresh_db(Template::Empty).await;
    db.client.batch_execute(EDGE_CASES).await.unwrap_or_else(|e| panic!("{}", pgstage::db::describe(&e)));
    let version: i32 = db.client.query_one("SELECT current_setting('server_version_num')::int", &[]).await.unwrap().get(0);
    if version >= 150_000 {
        db.client.batch_execute(EDGE_CASES_15).await.unwrap_or_else(|e| panic!("{}", pgstage::db::describe(&e)));
    }
    if version >= 180_000 {
        db.client.batch_execute(EDGE_CASES_18).await.unwrap_or_else(|e| panic!("{}", pgstage::db::describe(&e)));
    }
    // Each setup adds to the session state of the one before.
    let setups = [
        ("the default search path", ""),
        ("search_path other, public", "SET search_path = other, public"),
        ("search_path other, public and a temporary ref", "CREATE TEMP TABLE ref (id int)"),
        ("search_path \"Mixed Case\"", "SET search_path = '\"Mixed Case\"'"),
        ("quote_all_identifiers on", "SET quote_all_identifiers = on"),
    ];
    for (what, setup) in setups {
        db.client.batch_execute(setup).await.unwrap_or_else(|e| panic!("{what}: {}", pgstage::db::describe(&e)));
        let snap = snapshot(&db.client).await;
        let (compared, problems) = differences(&db.client, &snap).await;
        assert!(
            problems.is_empty(),
            "{what}: the snapshot disagrees with PostgreSQL's deparsers on {} of {compared} objects:\n  {}",
            problems.len(),
            problems.join("\n  ")
        );
        assert!(compared > 60, "{what}: only {compared} objects compared");
    }
}

#[tokio::test]
async fn take_with_a_helper_connection_reads_the_same_snapshot() {
    let db = fresh_db(Template::Baseline).await;
    apply(&db.client, &week2_files()).await;
    let helper = pgstage::db::connect_config(&db.config()).await.unwrap();
    // Defaults and policy conditions are deparsed once per distinct node tree. Node trees
    // record where the expression stood in the statement, so each pair below is made by
    // statements of equal length, one at a time: equal trees, which must still read as each
    // table's (other column names; a subquery that names the outer table).
    for statement in [
        "CREATE TABLE public.pa (x int, y int)",
        "CREATE TABLE public.pb (x int, z int)",
        "CREATE TABLE public.pc (x int, y int)",
        "CREATE TABLE public.pe (x int)",
        "CREATE TABLE public.pf (x int)",
        "CREATE TABLE public.sub_ref (id int)",
        "CREATE POLICY p1 ON public.pa USING (y > 0)",
        "CREATE POLICY p1 ON public.pb USING (z > 0)",
        "CREATE POLICY p1 ON public.pc USING (y > 0) WITH CHECK (pc IS NOT NULL)",
        "CREATE POLICY p1 ON public.pe USING (EXISTS (SELECT 1 FROM public.sub_ref s WHERE s.id = x))",
        "CREATE POLICY p1 ON public.pf USING (EXISTS (SELECT 1 FROM public.sub_ref s WHERE s.id = x))",
        "CREATE TABLE public.ga (a int, g int GENERATED ALWAYS AS (a * 2) STORED)",
        "CREATE TABLE public.gb (b int, g int GENERATED ALWAYS AS (b * 2) STORED)",
    ] {
        db.client.batch_execute(statement).await.unwrap_or_else(|e| panic!("{statement}: {e}"));
    }
    let one = snapshot(&db.client).await;
    let tables = &one.objects[&Kind::Table];
    assert!(tables["public.ga"].contains("generated always as (a * 2)"), "{}", tables["public.ga"]);
    assert!(tables["public.gb"].contains("generated always as (b * 2)"), "{}", tables["public.gb"]);
    let policies = &one.objects[&Kind::Policy];
    assert_eq!(policies["public.pa.p1"], "ALL TO public USING ((y > 0))");
    assert!(policies["public.pe.p1"].contains("= pe.x"), "{}", policies["public.pe.p1"]);
    assert!(policies["public.pf.p1"].contains("= pf.x"), "{}", policies["public.pf.p1"]);
    let two = Snapshot::take_with(&db.client, Some(&helper)).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(one, two);
    // The helper deparses in the client's search path: with `other` first, a check constraint
    // and a foreign key to public.ref name public's table with its schema.
    db.client
        .batch_execute(
            "CREATE SCHEMA other; CREATE TABLE other.ref (id int PRIMARY KEY);
             CREATE TABLE public.ref (id int PRIMARY KEY, n int CHECK (n > 0));
             CREATE TABLE public.uses (r int REFERENCES public.ref (id), CHECK (r IS NOT NULL));
             SET search_path = other, public;",
        )
        .await
        .unwrap();
    let one = snapshot(&db.client).await;
    assert_eq!(one.objects[&Kind::ForeignKey]["public.uses.uses_r_fkey"], "FOREIGN KEY (r) REFERENCES public.ref(id)");
    assert_eq!(Snapshot::take_with(&db.client, Some(&helper)).await.unwrap(), one);
    // With temporary objects in the client's session, what depends on them stays there.
    db.client.batch_execute("CREATE TEMP TABLE ref (id int)").await.unwrap();
    let one = snapshot(&db.client).await;
    assert_eq!(Snapshot::take_with(&db.client, Some(&helper)).await.unwrap(), one);
    let policies = &one.objects[&Kind::Policy];
    assert_eq!(policies["public.pb.p1"], "ALL TO public USING ((z > 0))");
    assert_eq!(policies["public.pc.p1"], "ALL TO public USING ((y > 0)) WITH CHECK ((pc.* IS NOT NULL))");
    // Every policy (Week 2's included) as pg_policies shows it, commands, roles and
    // restrictive ones included; views and sequences with their definitions.
    db.client
        .batch_execute(
            "CREATE POLICY r1 ON public.pa AS RESTRICTIVE FOR UPDATE TO service_role, authenticated
                 USING (x > 0) WITH CHECK (x < 10);
             CREATE POLICY r2 ON public.pb FOR INSERT TO anon WITH CHECK (z IS NOT NULL);
             CREATE VIEW public.pa_view AS SELECT x FROM public.pa; CREATE SEQUENCE public.pa_seq MAXVALUE 99;",
        )
        .await
        .unwrap();
    let snap = Snapshot::take_with(&db.client, Some(&helper)).await.unwrap();
    assert_eq!(snap, snapshot(&db.client).await);
    let reference = db
        .client
        .query(
            "SELECT schemaname || '.' || tablename || '.' || policyname,
                    cmd || CASE WHEN permissive = 'PERMISSIVE' THEN '' ELSE ' RESTRICTIVE' END
                    || ' TO ' || array_to_string(ARRAY(SELECT unnest(roles) ORDER BY 1), ', ')
                    || coalesce(' USING (' || qual || ')', '') || coalesce(' WITH CHECK (' || with_check || ')', '')
             FROM pg_policies",
            &[],
        )
        .await
        .unwrap();
    let policies = &snap.objects[&Kind::Policy];
    assert!(reference.len() >= 20);
    assert_eq!(policies.len(), reference.len());
    for row in reference {
        let (name, def): (String, String) = (row.get(0), row.get(1));
        assert_eq!(policies.get(&name), Some(&def), "policy {name}");
    }
    assert_eq!(
        policies["public.pa.r1"],
        "UPDATE RESTRICTIVE TO authenticated, service_role USING ((x > 0)) WITH CHECK ((x < 10))"
    );
    let view_md5: String =
        db.client.query_one("SELECT md5(pg_get_viewdef('public.pa_view'::regclass))", &[]).await.unwrap().get(0);
    assert_eq!(snap.objects[&Kind::View]["public.pa_view"], format!("v md5 {view_md5}"));
    assert_eq!(snap.objects[&Kind::Sequence]["public.pa_seq"], "bigint 1..99");
}

/// Database figures are read when a check asks, apart from the snapshot; the runner's own
/// connections are not counted as other sessions.
#[tokio::test]
async fn database_figures() {
    use pgstage::db::figures;
    let db = fresh_db(Template::Baseline).await;
    assert!(figures::database_size_bytes(&db.client).await.unwrap() > 1_000_000);
    assert_eq!(figures::replication(&db.client).await.unwrap(), figures::Replication::NoReplicas);
    assert_eq!(figures::other_sessions(&db.client, &[]).await.unwrap(), 0);
    let helper = pgstage::db::connect_config(&db.config()).await.unwrap();
    let pid: i32 = helper.query_one("SELECT pg_backend_pid()", &[]).await.unwrap().get(0);
    assert_eq!(figures::other_sessions(&db.client, &[]).await.unwrap(), 1);
    assert_eq!(figures::other_sessions(&db.client, &[pid]).await.unwrap(), 0);
}
