//! The lock trace: after each statement of a migration that may lock a pre-existing relation
//! ([`Tracer::traces`]), in its own transaction, the relation locks the session newly holds
//! on pre-existing relations (mode, relation, kind, what the mode blocks) and the tables or
//! indexes it gave new storage (a rewrite), read from `pg_locks` and `pg_class` in the same
//! query as the statement itself; at COMMIT, how long each lock was held. Probes from another
//! session ([`probe`]) say whether reads and writes of each locked table could go on meanwhile;
//! they run while the next statements do, and each answer is kept for what its own statement
//! left held ([`Tracer::settle`]).

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use futures_util::TryStreamExt;
use tokio_postgres::{Client, SimpleQueryMessage, SimpleQueryStream};

use crate::db::lock_modes::{Blocks, LockMode};
use crate::db::split::{self, Statement};
use crate::run_result::{BlockedSession, HeldLock, LockTaken, StatementTrace};

/// Appended to each statement (after a newline, so a trailing comment cannot swallow it): the
/// session's granted relation locks on relations no newer than the newest pre-existing one
/// (new relations get newer oids; the oid → name map decides in the end), for those held
/// ACCESS EXCLUSIVE (the only mode that rewrites) their storage, and each one's count of
/// sequential scans in this transaction (whether the statement scanned it). No join over the
/// lock list: a handful of rows, a fraction of a millisecond.
pub fn traced(sql: &str, max_oid: u32) -> String {
    format!(
        "{sql}\n;SELECT l.relation::int8, l.mode, CASE WHEN l.mode = '{rewrites}' THEN \
         (SELECT c.relfilenode::int8 FROM pg_catalog.pg_class c WHERE c.oid = l.relation) END, \
         pg_catalog.pg_stat_get_xact_numscans(l.relation) \
         FROM pg_catalog.pg_locks l WHERE l.pid = pg_catalog.pg_backend_pid() AND l.locktype = 'relation' \
         AND l.granted AND l.relation <= {max_oid}::oid",
        rewrites = LockMode::AccessExclusive
    )
}

/// Sent once on the run's session before its first migration: the trace query and the
/// transaction counters' functions, so that the catalog entries a new server process loads on
/// first use (the `pg_locks` view and its functions: a few milliseconds) are not loaded inside
/// the first migration's lock window. Reads no table, returns no row of interest.
pub fn warm_up_sql() -> String {
    format!(
        "{};SELECT pg_catalog.pg_stat_get_xact_tuples_inserted(0), pg_catalog.pg_stat_get_xact_tuples_updated(0), \
         pg_catalog.pg_stat_get_xact_tuples_deleted(0)",
        traced("SELECT 1", 0)
    )
}

/// The same for the catalog reader's [`probe`]s: PL/pgSQL, which their `DO` blocks load on a
/// server process's first use, and the query on the indexes' locks.
pub fn reader_warm_up_sql() -> String {
    format!("DO $pgstage_probe$BEGIN END$pgstage_probe$;{}", index_locked_sql("pg_catalog.pg_class"))
}

/// Whether an index of `table` (quoted, qualified) is held ACCESS EXCLUSIVE by any session.
fn index_locked_sql(table: &str) -> String {
    format!(
        "SELECT EXISTS (SELECT FROM pg_catalog.pg_index i JOIN pg_catalog.pg_locks l ON l.locktype = 'relation' \
         AND l.relation = i.indexrelid AND l.granted AND l.mode = '{}' \
         WHERE i.indrelid = {}::pg_catalog.regclass)",
        LockMode::AccessExclusive,
        crate::db::quote_literal(table)
    )
}

fn kind(relkind: &str) -> &'static str {
    match relkind {
        "r" => "table",
        "p" => "partitioned table",
        "i" => "index",
        "I" => "partitioned index",
        "S" => "sequence",
        "v" => "view",
        "m" => "materialized view",
        "f" => "foreign table",
        _ => "relation",
    }
}

/// The `relkind` of a relation of `kind` (as [`kind`] writes it).
pub fn relkind(kind: &str) -> &'static str {
    match kind {
        "table" => "r",
        "partitioned table" => "p",
        "index" => "i",
        "partitioned index" => "I",
        "sequence" => "S",
        "view" => "v",
        "materialized view" => "m",
        "foreign table" => "f",
        _ => "",
    }
}

/// What `mode` on a relation of `relkind` keeps waiting. Nothing writes a materialized view
/// (but its refresh) nor locks its rows: below ACCESS EXCLUSIVE (a plain `REFRESH`), as the
/// EXCLUSIVE of `REFRESH … CONCURRENTLY`, its locks keep only DDL and other refreshes waiting.
pub fn blocks(relkind: &str, mode: LockMode) -> Blocks {
    match relkind {
        "m" if mode < LockMode::AccessExclusive => Blocks::DdlOnly,
        _ => mode.blocks(),
    }
}

/// Whether `statement` may make a table another's child (inheritance or a partition) or give
/// a relation a new name (a pre-existing table renamed is then named by a name the trace does
/// not know).
pub fn reparents(statement: &Statement) -> bool {
    split::identifiers(&statement.sql)
        .iter()
        .any(|w| matches!(w.as_str(), "inherit" | "inherits" | "attach" | "partition" | "rename"))
}

/// Follows one migration's statements.
pub struct Tracer {
    /// Relations that existed before the migration: oid → (`schema.name`, relkind, storage as
    /// last seen).
    relations: HashMap<u32, (String, String, i64)>,
    pub max_oid: u32,
    /// Unqualified names of the pre-existing relations, and of the tables among them (see
    /// [`Tracer::traces`]).
    relation_names: HashSet<String>,
    table_names: HashSet<String>,
    event_triggers: bool,
    /// A migration of the plan makes a table another's child or renames one ([`Tracer::only_its_own`]).
    reparenting: bool,
    /// The table of each pre-existing index, by name: reads of a table wait for an index of it
    /// held ACCESS EXCLUSIVE.
    index_tables: HashMap<String, String>,
    held: HashSet<(u32, LockMode)>,
    /// Each pre-existing table's sequential-scan count in the transaction, as last read.
    scans: HashMap<u32, i64>,
    started: Instant,
    pub traces: Vec<StatementTrace>,
}

impl Tracer {
    /// Follow a migration's statements against `before`; `reparenting`: see
    /// [`Tracer::only_its_own`] ([`reparents`]).
    pub fn new(before: &super::data::Before, reparenting: bool) -> Self {
        let relations = before.relations.clone();
        let max_oid = relations.keys().copied().max().unwrap_or(0);
        Tracer {
            relations,
            max_oid,
            relation_names: before.relation_names.clone(),
            table_names: before.table_names.clone(),
            event_triggers: before.event_triggers,
            reparenting,
            index_tables: before.index_table_names(),
            held: HashSet::new(),
            scans: before.scans.clone(),
            started: Instant::now(),
            traces: Vec::new(),
        }
    }

    /// Whether the trace must follow `statement`: it may lock a pre-existing relation. Not
    /// followed: a statement that can only make or change what the migration itself made
    /// ([`Tracer::only_its_own`]), does not reach further ([`Tracer::may_block`]), on a database
    /// without event triggers.
    pub fn traces(&self, statement: &Statement) -> bool {
        let words = split::identifiers(&statement.sql);
        !self.only_its_own(&words) || self.may_block(&words)
    }

    /// Whether a statement (its `words`) names no pre-existing relation and is a `CREATE` (but
    /// of a function or procedure, whose body is checked against the tables it names), a
    /// `COMMENT`, `GRANT` or `REVOKE`, or an `ALTER` or `DROP` of anything but an index (a new
    /// index may be on a pre-existing table) that gives no expression (`DEFAULT`, `CHECK`,
    /// `GENERATED`, `USING`: it may run a function on each row). When a migration of the plan
    /// makes a table another's child (`INHERIT`, `ATTACH`, `PARTITION`) or renames one, only a
    /// `COMMENT`, `GRANT` or `REVOKE` is: an index, trigger or `ALTER` on a new parent reaches
    /// its children, which may be pre-existing tables, and a pre-existing table renamed goes
    /// by a name not among those known.
    fn only_its_own(&self, words: &[String]) -> bool {
        let word = |i: usize| words.get(i).map_or("", String::as_str);
        let code = |w: &str| matches!(w, "function" | "procedure");
        let own = match word(0) {
            "comment" | "grant" | "revoke" => true,
            _ if self.reparenting => false,
            "create" => !(code(word(1)) || (word(1) == "or" && code(word(3)))),
            "alter" | "drop" => {
                word(1) != "index" && !words.iter().any(|w| matches!(w.as_str(), "default" | "check" | "generated" | "using"))
            }
            _ => false,
        };
        own && !words.iter().any(|w| self.relation_names.contains(w))
    }

    /// Whether a statement (its `words`) may take a lock that keeps reads or writes of a
    /// pre-existing table waiting: it names one; it runs code (`DO`, `CALL`, a query, `LOCK`,
    /// `REFRESH`); it may reach tables it does not name (`CASCADE`, `DROP TABLE` or `DROP
    /// SCHEMA`, whose foreign keys are dropped on the tables they reference, an `ALTER` of a type
    /// or constraint, a foreign key, inheritance, partitions, tablespaces, `ALL`, `OWNED`,
    /// extensions, publications); or event triggers may run.
    fn may_block(&self, words: &[String]) -> bool {
        let word = |i: usize| words.get(i).map_or("", String::as_str);
        let reaching = |w: &str| {
            matches!(
                w,
                "cascade"
                    | "references"
                    | "foreign"
                    | "inherit"
                    | "inherits"
                    | "attach"
                    | "detach"
                    | "partition"
                    | "tablespace"
                    | "all"
                    | "owned"
                    | "extension"
                    | "publication"
                    | "subscription"
            )
        };
        self.event_triggers
            || matches!(word(0), "do" | "call" | "select" | "execute" | "with" | "values" | "table" | "lock" | "refresh")
            || (word(0) == "drop" && matches!(word(1), "table" | "schema" | "owned" | "extension" | "type" | "domain"))
            || (word(0) == "alter" && words.iter().any(|w| matches!(w.as_str(), "type" | "constraint")))
            || words.iter().any(|w| reaching(w) || self.table_names.contains(w))
    }

    /// Read the trace rows that followed `statement` (which ran `ms`, of which it waited
    /// `waited_ms` for another session's lock); returns its trace when it ran under a lock on a
    /// pre-existing relation (taken by it or earlier), or rewrote one.
    /// A statement's trace before its locks: where it stands, when it started, how long it ran
    /// and waited.
    fn begun(&self, statement: &Statement, shown: &str, ms: f64, waited_ms: f64) -> StatementTrace {
        StatementTrace {
            statement: format!("{shown}:{}", statement.line),
            line: statement.line,
            sql: statement.sql.split_whitespace().take(12).collect::<Vec<_>>().join(" "),
            at_ms: self.started.elapsed().as_secs_f64() * 1000.0,
            ms,
            waited_ms: waited_ms.min(ms),
            ..Default::default()
        }
    }

    pub fn observe(
        &mut self,
        statement: &Statement,
        shown: &str,
        ms: f64,
        waited_ms: f64,
        messages: &[SimpleQueryMessage],
    ) -> Option<&mut StatementTrace> {
        let mut trace = self.begun(statement, shown, ms, waited_ms);
        let mut strongest: HashMap<u32, LockMode> = HashMap::new();
        // New storage from TRUNCATE is an emptied table, not a rewrite.
        let truncate = split::identifiers(&statement.sql).first().is_some_and(|w| w == "truncate");
        // The trace query's rows come last, after any rows of the statement itself: those of
        // four columns whose second is a lock mode.
        for m in messages {
            let SimpleQueryMessage::Row(row) = m else { continue };
            if row.columns().len() != 4 {
                continue;
            }
            let (Some(oid), Some(mode)) = (row.get(0).and_then(|o| o.parse::<u32>().ok()), row.get(1)) else { continue };
            let Ok(mode) = mode.parse::<LockMode>() else { continue };
            let Some((name, relkind, node)) = self.relations.get_mut(&oid) else { continue };
            if let Some(now) = row.get(2).and_then(|n| n.parse::<i64>().ok())
                && now != *node
            {
                *node = now;
                let storage = if truncate { &mut trace.truncated } else { &mut trace.rewrote };
                if !storage.contains(name) {
                    storage.push(name.clone());
                }
            }
            // Known only for the pre-existing tables, whose count was read when the transaction
            // began (an index's count is of index scans: no full read).
            if let (Some(scans), Some(before)) = (row.get(3).and_then(|n| n.parse::<i64>().ok()), self.scans.get_mut(&oid)) {
                if scans > *before && !trace.scanned.contains(name) {
                    trace.scanned.push(name.clone());
                }
                *before = scans;
            }
            let held = strongest.entry(oid).or_insert(mode);
            *held = (*held).max(mode);
            if self.held.insert((oid, mode)) {
                trace.locks.push(LockTaken {
                    relation: name.clone(),
                    kind: kind(relkind).to_owned(),
                    mode,
                    blocks: Some(blocks(relkind, mode)),
                    held_ms: 0.0,
                    read_blocked: None,
                    write_blocked: None,
                });
            }
        }
        trace.held = strongest
            .into_iter()
            .filter_map(|(oid, mode)| self.relations.get(&oid).map(|(name, ..)| HeldLock { relation: name.clone(), mode }))
            .collect();
        if trace.held.is_empty() && trace.rewrote.is_empty() && trace.truncated.is_empty() {
            return None;
        }
        trace.held.sort_by(|a, b| a.relation.cmp(&b.relation));
        trace.scanned.sort();
        trace.locks.sort_by(|a, b| (&a.relation, a.mode).cmp(&(&b.relation, b.mode)));
        self.traces.push(trace);
        self.traces.last_mut()
    }

    /// The pre-existing relations as the poll of a statement outside a transaction knows them.
    pub fn polled_relations(&self) -> super::poll::Relations {
        self.relations.iter().map(|(oid, (name, relkind, _))| (*oid, (name.clone(), kind(relkind)))).collect()
    }

    /// The trace of `statement`, run outside a transaction for `ms` (of which it waited
    /// `waited_ms` for another session's lock), from what the poll saw it hold (`seen`) and the
    /// storage of the pre-existing relations after it (`storage`); returns it when it held a
    /// lock on a pre-existing relation or rewrote one. Each lock is held from when the poll
    /// places its grant to the statement's end (it commits on its own).
    pub fn observe_polled(
        &mut self,
        statement: &Statement,
        shown: &str,
        ms: f64,
        waited_ms: f64,
        seen: &HashMap<u32, super::poll::Held>,
        storage: &HashMap<u32, i64>,
    ) -> Option<&mut StatementTrace> {
        let mut trace = StatementTrace { outside_transaction: true, ..self.begun(statement, shown, ms, waited_ms) };
        let truncate = split::identifiers(&statement.sql).first().is_some_and(|w| w == "truncate");
        for (oid, (name, _, node)) in &mut self.relations {
            if let Some(now) = storage.get(oid).copied()
                && now != *node
            {
                *node = now;
                let into = if truncate { &mut trace.truncated } else { &mut trace.rewrote };
                into.push(name.clone());
            }
        }
        for (oid, held) in seen {
            let Some((name, relkind, _)) = self.relations.get(oid) else { continue };
            trace.held.push(HeldLock { relation: name.clone(), mode: held.mode });
            trace.locks.push(LockTaken {
                relation: name.clone(),
                kind: kind(relkind).to_owned(),
                mode: held.mode,
                // An index made dead before it is dropped (the old copy `REINDEX …
                // CONCURRENTLY` drops, `DROP INDEX CONCURRENTLY`'s): no query opens it.
                blocks: Some(if held.live { blocks(relkind, held.mode) } else { Blocks::DdlOnly }),
                held_ms: (ms - held.since_ms).max(0.0),
                read_blocked: held.read_blocked,
                write_blocked: held.write_blocked,
            });
        }
        if trace.held.is_empty() && trace.rewrote.is_empty() && trace.truncated.is_empty() {
            return None;
        }
        trace.held.sort_by(|a, b| a.relation.cmp(&b.relation));
        trace.locks.sort_by(|a, b| (&a.relation, a.mode).cmp(&(&b.relation, b.mode)));
        trace.rewrote.sort();
        trace.truncated.sort();
        self.traces.push(trace);
        self.traces.last_mut()
    }

    /// A probe's answer (`read`, `write`: blocked or not) into lock `l` of trace `t`. The probe
    /// ran while later statements did, so a later, stronger lock may be what it found: a
    /// "blocked" is kept only where what statement `t` left held can block it by PostgreSQL's
    /// conflict table (the table's own mode, or an index of it held ACCESS EXCLUSIVE, which
    /// keeps reads waiting). A "go on" stands: the locks were all still held.
    pub fn settle(&mut self, t: usize, l: usize, read: Option<bool>, write: Option<bool>) {
        let Some(trace) = self.traces.get_mut(t) else { return };
        let Some(lock) = trace.locks.get(l) else { return };
        let table = lock.relation.as_str();
        let relkind = relkind(&lock.kind);
        let (mut reads, mut writes) = (false, false);
        for h in &trace.held {
            let blocked = if h.relation == table {
                blocks(relkind, h.mode)
            } else if self.index_tables.get(&h.relation).is_some_and(|t| t == table) && h.mode == LockMode::AccessExclusive {
                Blocks::ReadsAndWrites
            } else {
                continue;
            };
            reads |= blocked == Blocks::ReadsAndWrites;
            writes |= blocked != Blocks::DdlOnly;
        }
        let lock = &mut trace.locks[l];
        lock.read_blocked = read.map(|b| b && reads);
        lock.write_blocked = write.map(|b| b && writes);
    }

    /// The sequential-scan counts as last read, for the next migration of a batch.
    pub fn scans(&self) -> &HashMap<u32, i64> {
        &self.scans
    }

    /// At COMMIT or ROLLBACK: how long each lock was held, from its grant (the start of the
    /// statement that took it, or the end of that statement's own wait) to now.
    pub fn finish(mut self) -> Vec<StatementTrace> {
        let end = self.started.elapsed().as_secs_f64() * 1000.0;
        for t in self.traces.iter_mut().filter(|t| !t.outside_transaction) {
            let granted = t.at_ms - t.ms + t.waited_ms;
            for l in &mut t.locks {
                l.held_ms = end - granted;
            }
        }
        self.traces
    }
}

/// Probes from another session: could a write (ROW EXCLUSIVE), and a read, of `table` go on
/// right now? The write and the table's part of the read are each a `LOCK … NOWAIT` in a `DO`
/// block: it never waits, so it never queues anyone behind it, and the lock, if granted, ends
/// with the block's own transaction. A read also needs every index of the table (the planner
/// opens them all): one held ACCESS EXCLUSIVE by any session (`REINDEX` takes SHARE on the table
/// but ACCESS EXCLUSIVE on its indexes) keeps reads waiting, read from `pg_locks` without
/// waiting. The queries are sent together: the connection is left as it was whatever the
/// outcome, so other work can share it. `None` when the probe could not tell (no privilege,
/// for instance).
pub async fn probe(reader: &Client, table: &str) -> (Option<bool>, Option<bool>) {
    const TAG: &str = "$pgstage_probe$";
    let quoted = crate::db::quote_qualified(table);
    if quoted.contains(TAG) {
        return (None, None);
    }
    let sql = |mode: &str| format!("DO {TAG}BEGIN LOCK TABLE ONLY {quoted} IN {mode} MODE NOWAIT; END{TAG}");
    let indexes = index_locked_sql(&quoted);
    let (write, read, index) = (
        reader.simple_query_raw(&sql("ROW EXCLUSIVE")).await,
        reader.simple_query_raw(&sql("ACCESS SHARE")).await,
        reader.simple_query_raw(&indexes).await,
    );
    let blocked = |outcome: Result<Vec<SimpleQueryMessage>, tokio_postgres::Error>| match outcome {
        Ok(_) => Some(false),
        Err(e) if e.code() == Some(&tokio_postgres::error::SqlState::LOCK_NOT_AVAILABLE) => Some(true),
        Err(_) => None,
    };
    let outcome = |sent: Result<SimpleQueryStream, tokio_postgres::Error>| async move {
        match sent {
            Ok(stream) => blocked(stream.try_collect().await),
            Err(_) => None,
        }
    };
    let index_locked = match index {
        Ok(stream) => match stream.try_collect::<Vec<_>>().await {
            Ok(messages) => messages.iter().find_map(|m| match m {
                SimpleQueryMessage::Row(r) => r.get(0).map(|v| v == "t"),
                _ => None,
            }),
            Err(_) => None,
        },
        Err(_) => None,
    };
    let (write, read) = (outcome(write).await, outcome(read).await);
    let read = match (read, index_locked) {
        (Some(true), _) | (_, Some(true)) => Some(true),
        (Some(false), Some(false)) => Some(false),
        _ => None,
    };
    (read, write)
}

/// Bytes (with indexes and TOAST) of each of `relations` (`schema.name`), for the findings
/// about them.
pub async fn sizes(client: &Client, relations: &[String]) -> Result<HashMap<String, i64>, tokio_postgres::Error> {
    if relations.is_empty() {
        return Ok(HashMap::new());
    }
    // Looked up by relation name first (an index scan): the concatenation alone would read
    // every row of `pg_class`, 50,000 on a staging of 10,000 tables. A schema name may hold a
    // dot: every tail after one is a candidate name.
    let names: Vec<&str> = relations.iter().flat_map(|r| r.match_indices('.').map(move |(i, _)| &r[i + 1..])).collect();
    let rows = client
        .query_typed(
            "SELECT n.nspname || '.' || c.relname, pg_catalog.pg_total_relation_size(c.oid)
             FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relname = ANY ($2::text[]::name[]) AND n.nspname || '.' || c.relname = ANY ($1)",
            &[(&relations, tokio_postgres::types::Type::TEXT_ARRAY), (&names, tokio_postgres::types::Type::TEXT_ARRAY)],
        )
        .await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// Sessions waiting now for a lock `pid` holds, asked on another connection (`reader`) with a
/// statement prepared there once (`prepared`: the pid written in, so that the server plans it
/// once, not at each migration). Their SQL is recorded as `sql` says
/// ([`super::blockers::shown`]).
pub async fn blocked_by(
    reader: &Client,
    pid: i32,
    sql: crate::plan::OtherSessionsSql,
    prepared: &tokio::sync::OnceCell<tokio_postgres::Statement>,
) -> Result<Vec<BlockedSession>, tokio_postgres::Error> {
    let statement = prepared
        .get_or_try_init(|| async {
            let sql = format!(
                "SELECT a.pid, coalesce(a.application_name, ''), coalesce(a.usename::text, ''),
                        coalesce(extract(epoch FROM now() - min(l.waitstart)) * 1000, 0)::float8, coalesce(left(a.query, 300), '')
                 FROM pg_catalog.pg_stat_activity a JOIN pg_catalog.pg_locks l ON l.pid = a.pid AND NOT l.granted
                 WHERE {pid} = ANY (pg_catalog.pg_blocking_pids(a.pid))
                 GROUP BY a.pid, a.application_name, a.usename, a.query ORDER BY a.pid"
            );
            reader.prepare(&sql).await
        })
        .await?;
    let rows = reader.query(statement, &[]).await?;
    Ok(rows
        .iter()
        .map(|r| BlockedSession {
            pid: r.get(0),
            application_name: r.get(1),
            user: r.get(2),
            waited_ms: r.get(3),
            query: super::blockers::shown(&r.get::<_, String>(4), sql),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tracer(event_triggers: bool) -> Tracer {
        reparenting_tracer(event_triggers, false)
    }

    fn reparenting_tracer(event_triggers: bool, reparenting: bool) -> Tracer {
        let mut before = super::super::data::Before::default();
        before.relation_names = ["workspaces", "users", "workspaces_pkey", "old_seq"].map(String::from).into();
        before.table_names = ["workspaces", "users"].map(String::from).into();
        before.event_triggers = event_triggers;
        Tracer::new(&before, reparenting)
    }

    /// A probe answers for what was held when it ran, which may be a later statement's
    /// stronger lock: each statement keeps only the "blocked" its own held locks explain by the
    /// conflict table (an index held ACCESS EXCLUSIVE keeps its table's reads waiting).
    #[test]
    fn a_probe_answer_is_kept_only_where_the_statements_own_locks_block() {
        let mut t = tracer(false);
        t.index_tables = [("public.users_pkey".to_owned(), "public.users".to_owned())].into();
        let lock = |relation: &str, kind: &str, mode: LockMode| LockTaken {
            relation: relation.into(),
            kind: kind.into(),
            mode,
            blocks: Some(blocks(relkind(kind), mode)),
            held_ms: 0.0,
            read_blocked: None,
            write_blocked: None,
        };
        let held = |relation: &str, mode| HeldLock { relation: relation.into(), mode };
        // 1: an index build (SHARE); 2: a REINDEX (SHARE on the table, ACCESS EXCLUSIVE on its
        // index); 3: a type change (ACCESS EXCLUSIVE).
        for (locks, held) in [
            (vec![lock("public.workspaces", "table", LockMode::Share)], vec![held("public.workspaces", LockMode::Share)]),
            (
                vec![
                    lock("public.users", "table", LockMode::Share),
                    lock("public.users_pkey", "index", LockMode::AccessExclusive),
                ],
                vec![held("public.users", LockMode::Share), held("public.users_pkey", LockMode::AccessExclusive)],
            ),
            (
                vec![lock("public.workspaces", "table", LockMode::AccessExclusive)],
                vec![held("public.workspaces", LockMode::AccessExclusive)],
            ),
        ] {
            t.traces.push(StatementTrace { locks, held, ..Default::default() });
        }
        // Every probe ran after the type change: both blocked.
        for trace in 0..3 {
            t.settle(trace, 0, Some(true), Some(true));
        }
        let answer = |t: &Tracer, trace: usize| (t.traces[trace].locks[0].read_blocked, t.traces[trace].locks[0].write_blocked);
        assert_eq!(answer(&t, 0), (Some(false), Some(true)), "SHARE: reads went on while it alone was held");
        assert_eq!(answer(&t, 1), (Some(true), Some(true)), "reads of users wait for its index");
        assert_eq!(answer(&t, 2), (Some(true), Some(true)));
        // A "go on" stands, and an unknown stays unknown.
        t.settle(2, 0, Some(false), None);
        assert_eq!(answer(&t, 2), (Some(false), None));
    }

    /// Outside a transaction: the strongest lock the poll saw on each relation, held from the
    /// poll before the one that saw it to the statement's end; new storage is a rewrite; an
    /// index made dead for its drop blocks nothing, whatever its mode.
    #[test]
    fn a_polled_statement_is_traced_from_what_the_poll_saw() {
        let mut before = super::super::data::Before::default();
        before.relations = [
            (10, ("public.items".to_owned(), "r".to_owned(), 100)),
            (11, ("public.items_pkey".to_owned(), "i".to_owned(), 101)),
            (12, ("public.items_old".to_owned(), "i".to_owned(), 102)),
        ]
        .into();
        let mut t = Tracer::new(&before, false);
        let held =
            |mode, since_ms, live| super::super::poll::Held { mode, since_ms, read_blocked: None, write_blocked: None, live };
        let seen = [
            (10, held(LockMode::AccessExclusive, 0.0, true)),
            (11, held(LockMode::AccessExclusive, 30.0, true)),
            (12, held(LockMode::AccessExclusive, 90.0, false)),
        ]
        .into();
        let statement = split::split("VACUUM FULL public.items").unwrap().remove(0);
        let storage = [(10, 200), (11, 101)].into();
        let trace = t.observe_polled(&statement, "m.sql", 100.0, 0.0, &seen, &storage).expect("traced").clone();
        assert!(trace.outside_transaction);
        assert_eq!(trace.rewrote, ["public.items"]);
        let lock = |name: &str| trace.locks.iter().find(|l| l.relation == name).expect(name).clone();
        assert_eq!((lock("public.items").held_ms, lock("public.items").blocks), (100.0, Some(Blocks::ReadsAndWrites)));
        assert_eq!(lock("public.items_pkey").held_ms, 70.0);
        assert_eq!(lock("public.items_old").blocks, Some(Blocks::DdlOnly), "a dead index blocks nothing");
        // Its locks ended with it: the end of the migration does not lengthen them.
        std::thread::sleep(std::time::Duration::from_millis(5));
        assert_eq!(t.finish()[0].locks.iter().map(|l| l.held_ms).sum::<f64>(), 100.0 + 70.0 + 10.0);
    }

    /// Whether the trace follows one statement.
    fn reach(t: &Tracer, sql: &str) -> bool {
        t.traces(&split::split(sql).unwrap().remove(0))
    }

    #[test]
    fn only_statements_that_reach_no_further_than_new_objects_go_untraced() {
        let t = tracer(false);
        for (sql, expected) in [
            ("CREATE TABLE public.c (id int, w uuid REFERENCES public.workspaces (id))", true),
            ("CREATE TABLE public.c (id int PRIMARY KEY, note text)", false),
            ("CREATE INDEX idx_c_note ON public.c (note)", false),
            ("CREATE POLICY p ON public.c USING (public.is_workspace_member(w))", false),
            ("CREATE POLICY p ON public.c USING (w IN (SELECT id FROM public.users))", true),
            ("COMMENT ON TABLE public.c IS 'users and workspaces'", false),
            ("GRANT SELECT ON public.c TO app", false),
            ("GRANT SELECT ON ALL TABLES IN SCHEMA public TO app", true),
            ("CREATE OR REPLACE FUNCTION public.f() RETURNS int LANGUAGE sql AS $$SELECT 1$$", true),
            ("CREATE PROCEDURE public.p() LANGUAGE sql AS $$DELETE FROM public.c$$", true),
            ("CREATE OR REPLACE PROCEDURE public.p() LANGUAGE sql BEGIN ATOMIC DELETE FROM public.c; END", true),
            ("CREATE TRIGGER t BEFORE UPDATE ON public.c FOR EACH ROW EXECUTE FUNCTION public.f()", false),
            ("CREATE TRIGGER t BEFORE UPDATE ON public.users FOR EACH ROW EXECUTE FUNCTION public.f()", true),
            ("ALTER TABLE public.c ENABLE ROW LEVEL SECURITY", false),
            ("ALTER TABLE public.users ENABLE ROW LEVEL SECURITY", true),
            ("ALTER TABLE public.c ADD COLUMN d int DEFAULT public.f()", true),
            ("ALTER TABLE public.c ADD COLUMN d int CHECK (public.f(d) > 0)", true),
            ("ALTER TABLE public.c ADD COLUMN d int GENERATED ALWAYS AS (public.f(id)) STORED", true),
            ("DROP INDEX public.idx_c_note", true),
            ("ALTER INDEX public.idx_c_note SET (fillfactor = 50)", true),
            ("DROP TRIGGER IF EXISTS t ON public.c", false),
            ("DROP TRIGGER IF EXISTS t ON public.users", true),
            ("ALTER TABLE public.c ALTER COLUMN w TYPE text", true),
            ("ALTER TABLE public.c ADD CONSTRAINT c_w FOREIGN KEY (w) REFERENCES public.d (id)", true),
            ("DROP POLICY IF EXISTS p ON public.c", false),
            ("DROP POLICY IF EXISTS p ON public.users", true),
            ("DROP TABLE public.c", true),
            ("DROP SCHEMA old", true),
            ("DROP FUNCTION public.f() CASCADE", true),
            ("ALTER INDEX public.workspaces_pkey RENAME TO wp", true),
            ("INSERT INTO public.c VALUES (1)", true),
            ("UPDATE public.users SET note = 'x'", true),
            ("SELECT public.f()", true),
            ("DO $$BEGIN PERFORM 1; END$$", true),
            ("CREATE EXTENSION IF NOT EXISTS pg_trgm", true),
            ("CREATE TABLE public.e (id bigint DEFAULT nextval('old_seq'))", false),
        ] {
            assert_eq!(reach(&t, sql), expected, "{sql}");
        }
    }

    /// Once a table may become another's child, an index, trigger or `ALTER` on a new table
    /// may reach a pre-existing one (a partition attached to it).
    #[test]
    fn when_the_plan_reparents_tables_only_comments_and_grants_go_untraced() {
        let t = reparenting_tracer(false, true);
        for (sql, expected) in [
            ("CREATE INDEX idx_c_note ON public.c (note)", true),
            ("CREATE TRIGGER t BEFORE UPDATE ON public.c FOR EACH ROW EXECUTE FUNCTION public.f()", true),
            ("ALTER TABLE public.c ENABLE ROW LEVEL SECURITY", true),
            ("DROP TRIGGER IF EXISTS t ON public.c", true),
            ("COMMENT ON TABLE public.c IS 'x'", false),
            ("GRANT SELECT ON public.c TO app", false),
        ] {
            assert_eq!(reach(&t, sql), expected, "{sql}");
        }
        let statement = |sql: &str| split::split(sql).unwrap().remove(0);
        assert!(reparents(&statement("ALTER TABLE public.c ATTACH PARTITION public.users FOR VALUES IN (1)")));
        assert!(reparents(&statement("ALTER TABLE public.users INHERIT public.c")));
        assert!(reparents(&statement("CREATE TABLE public.c (id int) PARTITION BY RANGE (id)")));
        assert!(reparents(&statement("ALTER TABLE public.users RENAME TO members")));
        assert!(!reparents(&statement("CREATE TABLE public.c (id int)")));
    }

    #[test]
    fn with_event_triggers_every_statement_is_followed() {
        let t = tracer(true);
        assert!(reach(&t, "CREATE INDEX idx_c_note ON public.c (note)"));
        assert!(reach(&t, "COMMENT ON TABLE public.c IS 'x'"));
    }
}
