//! Drift (`PF-DRIFT`): the target's catalog against the baseline the plan was rehearsed on,
//! object by object, in the plan's schemas: tables and their columns (type, nullability,
//! default), constraints, foreign keys, indexes, policies and row-level security, functions,
//! triggers, views, sequences, and the grants on them. Each difference is a sentence a DBA acts
//! on ("staging has index … that the rehearsal did not"); the plan's `drift` policy says whether
//! any difference stops the run (`Fail`) or is reported (`Warn`).

use std::collections::{BTreeMap, BTreeSet};

use crate::db::snapshot::grants::Grants;
use crate::db::snapshot::{Kind, Snapshot};
use crate::plan::DriftPolicy;
use crate::run_result::{CheckResult, Drift, Status};

/// The check's id.
pub const ID: &str = "PF-DRIFT";

/// The schemas drift covers: the plan's own and every schema the rehearsed baseline holds
/// objects in (what the baseline scripts built). Another team's schema on staging that the
/// plan never rehearsed is not drift.
pub fn schemas(plan_schema: &str, rehearsed: &Snapshot) -> Vec<String> {
    let mut all: BTreeSet<String> = BTreeSet::from([plan_schema.to_owned()]);
    for objects in rehearsed.objects.values() {
        all.extend(objects.keys().filter_map(|name| name.split_once('.')).map(|(schema, _)| schema.to_owned()));
    }
    all.into_iter().collect()
}

/// Every difference from the rehearsed catalog to the target's, in `schemas`. Grants are
/// compared when both sides were read.
pub fn compare(
    rehearsed: &Snapshot,
    rehearsed_grants: Option<&Grants>,
    target: &Snapshot,
    target_grants: Option<&Grants>,
    schemas: &[String],
) -> Vec<Drift> {
    let in_scope = |name: &str| name.split_once('.').is_some_and(|(s, _)| schemas.iter().any(|x| x == s));
    let empty = BTreeMap::new();
    let mut out = Vec::new();
    // Nullability is compared with the columns; PostgreSQL 18's NOT NULL constraint names add
    // nothing a DBA acts on.
    for kind in Kind::ALL.into_iter().filter(|k| *k != Kind::NotNull) {
        let ours = rehearsed.objects.get(&kind).unwrap_or(&empty);
        let theirs = target.objects.get(&kind).unwrap_or(&empty);
        for (name, def) in theirs.iter().filter(|(n, _)| in_scope(n)) {
            match ours.get(name) {
                None => out.push(drift(kind, name, format!("staging has {} {name} that the rehearsal did not", noun(kind)))),
                Some(old) if old != def => match kind {
                    Kind::Table => out.extend(columns(name, old, def)),
                    _ => out.push(drift(kind, name, changed(kind, name, old, def))),
                },
                Some(_) => {}
            }
        }
        for name in ours.keys().filter(|n| in_scope(n) && !theirs.contains_key(*n)) {
            out.push(drift(kind, name, format!("{} {name} of the rehearsed baseline is missing on staging", noun(kind))));
        }
    }
    for table in rehearsed.rls_enabled.symmetric_difference(&target.rls_enabled).filter(|t| in_scope(t)) {
        let tables = |s: &Snapshot| s.objects.get(&Kind::Table).is_some_and(|t| t.contains_key(table));
        if tables(rehearsed) && tables(target) {
            let on = if target.rls_enabled.contains(table) { "enabled" } else { "disabled" };
            out.push(drift(Kind::Table, table, format!("row level security is {on} on staging's {table}, not in the rehearsal")));
        }
    }
    if let (Some(ours), Some(theirs)) = (rehearsed_grants, target_grants) {
        out.extend(grants(ours, theirs));
    }
    out
}

/// The PF-DRIFT result of `differences` under `policy`.
pub fn result(differences: &[Drift], policy: DriftPolicy, against: &str) -> CheckResult {
    let status = match (differences.is_empty(), policy) {
        (true, _) => Status::Pass,
        (false, DriftPolicy::Warn) => Status::Warn,
        (false, DriftPolicy::Fail) => Status::Fail,
    };
    CheckResult {
        id: ID.into(),
        group: "baseline".into(),
        title: "Staging's schema is the baseline the plan was rehearsed on".into(),
        expected: "no difference".into(),
        actual: match differences.len() {
            0 => "no difference".into(),
            1 => "1 difference".into(),
            n => format!("{n} differences"),
        },
        status,
        duration_ms: 0.0,
        sql: String::new(),
        detail: std::iter::once(against.to_owned())
            .chain(differences.iter().map(|d| d.what.clone()))
            .collect::<Vec<_>>()
            .join("\n"),
        metric: None,
    }
}

/// PF-DRIFT when there is nothing to compare with: not applicable, or a failure when the plan
/// asks that staging be proven the rehearsed baseline.
pub fn unknown(why: String, policy: DriftPolicy) -> CheckResult {
    CheckResult {
        status: match policy {
            DriftPolicy::Warn => Status::NotApplicable,
            DriftPolicy::Fail => Status::Fail,
        },
        actual: "not compared".into(),
        detail: why,
        ..result(&[], policy, "")
    }
}

fn drift(kind: Kind, object: &str, what: String) -> Drift {
    Drift { kind: noun(kind).into(), object: object.to_owned(), what }
}

fn noun(kind: Kind) -> &'static str {
    match kind {
        Kind::Table => "table",
        Kind::ForeignKey => "foreign key",
        Kind::Constraint => "constraint",
        Kind::NotNull => "NOT NULL constraint",
        Kind::Index => "index",
        Kind::Policy => "policy",
        Kind::Function => "function",
        Kind::Trigger => "trigger",
        Kind::View => "view",
        Kind::Sequence => "sequence",
    }
}

fn changed(kind: Kind, name: &str, old: &str, new: &str) -> String {
    let noun = noun(kind);
    match kind {
        // "returns <type>, body md5 <hash>": say which part differs.
        Kind::Function => match (old.split_once(", body md5 "), new.split_once(", body md5 ")) {
            (Some((r1, _)), Some((r2, _))) if r1 == r2 => format!("function {name} differs (body)"),
            _ => format!("function {name} differs: rehearsed `{old}`, staging `{new}`"),
        },
        Kind::View => format!("view {name} differs (definition)"),
        _ => format!("{noun} {name} differs: rehearsed `{old}`, staging `{new}`"),
    }
}

/// The column differences of a table defined differently on both sides.
fn columns(table: &str, old: &str, new: &str) -> Vec<Drift> {
    let (ours, theirs) = (split_columns(old), split_columns(new));
    let mut out = Vec::new();
    let say = |what: String| Drift { kind: "column".into(), object: table.to_owned(), what };
    for (name, def) in &theirs {
        match ours.iter().find(|(n, _)| n == name) {
            None => out.push(say(format!("{table}.{name} exists only on staging ({def})"))),
            Some((_, d)) if d != def => out.push(say(format!("column {table}.{name} differs: rehearsed `{d}`, staging `{def}`"))),
            Some(_) => {}
        }
    }
    for (name, def) in ours.iter().filter(|(n, _)| !theirs.iter().any(|(t, _)| t == n)) {
        out.push(say(format!("column {table}.{name} of the rehearsed baseline ({def}) is missing on staging")));
    }
    if out.is_empty() {
        // Same columns, another order.
        out.push(say(format!("table {table} has its columns in another order on staging")));
    }
    out
}

/// A snapshot's table definition (`name type [not null] [default …], …`) as (column, the rest),
/// split on the commas outside quotes and parentheses.
fn split_columns(def: &str) -> Vec<(String, String)> {
    let mut parts = Vec::new();
    let (mut depth, mut quote, mut start) = (0i32, None::<char>, 0);
    let bytes: Vec<(usize, char)> = def.char_indices().collect();
    for (k, &(i, c)) in bytes.iter().enumerate() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') => depth -= 1,
            (None, ',') if depth == 0 && bytes.get(k + 1).is_some_and(|&(_, n)| n == ' ') => {
                parts.push(&def[start..i]);
                start = i + 2;
            }
            _ => {}
        }
    }
    if start < def.len() {
        parts.push(&def[start..]);
    }
    parts
        .into_iter()
        .map(|column| {
            let end = if column.starts_with('"') {
                // A quoted name ends at the quote not doubled ("" is a quote inside it).
                let mut k = 1;
                let b = column.as_bytes();
                while k < b.len() {
                    if b[k] == b'"' {
                        if b.get(k + 1) == Some(&b'"') {
                            k += 2;
                            continue;
                        }
                        break;
                    }
                    k += 1;
                }
                (k + 1).min(column.len())
            } else {
                column.find(' ').unwrap_or(column.len())
            };
            (column[..end].to_owned(), column[end..].trim().to_owned())
        })
        .collect()
}

fn grants(ours: &Grants, theirs: &Grants) -> Vec<Drift> {
    let say = |object: &str, what: String| Drift { kind: "grant".into(), object: object.to_owned(), what };
    let mut out = Vec::new();
    for (object, granted) in theirs {
        match ours.get(object) {
            None => out.push(say(object, format!("staging grants on {object} what the rehearsal did not: {granted}"))),
            Some(g) if g != granted => {
                out.push(say(object, format!("grants on {object} differ: rehearsed {g}; staging {granted}")))
            }
            Some(_) => {}
        }
    }
    for (object, granted) in ours.iter().filter(|(o, _)| !theirs.contains_key(*o)) {
        out.push(say(object, format!("the rehearsal granted on {object} {granted}; staging does not")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(objects: &[(Kind, &str, &str)]) -> Snapshot {
        let mut s = Snapshot::default();
        for (kind, name, def) in objects {
            s.objects.entry(*kind).or_default().insert((*name).into(), (*def).into());
        }
        s
    }

    #[test]
    fn columns_split_outside_quotes_and_parentheses() {
        let def = r#"id bigint not null default nextval('a, b'::regclass), "odd, ""name""" numeric(10, 2), note text"#;
        let cols = split_columns(def);
        assert_eq!(
            cols,
            vec![
                ("id".into(), "bigint not null default nextval('a, b'::regclass)".into()),
                (r#""odd, ""name""""#.into(), "numeric(10, 2)".into()),
                ("note".into(), "text".into()),
            ]
        );
    }

    #[test]
    fn each_difference_is_named_in_words() {
        let rehearsed = snapshot(&[
            (Kind::Table, "public.users", "id integer not null, email text"),
            (Kind::Function, "public.f(integer)", "returns integer, body md5 aaa"),
            (Kind::Policy, "public.users.own_rows", "FOR ALL USING (true)"),
            (Kind::Table, "other.ignored", "id integer"),
        ]);
        let target = snapshot(&[
            (Kind::Table, "public.users", "id integer not null, email text, legacy_flag boolean"),
            (Kind::Function, "public.f(integer)", "returns integer, body md5 bbb"),
            (Kind::Index, "public.users.users_email_idx", "CREATE INDEX users_email_idx ON public.users USING btree (email)"),
        ]);
        let found = compare(&rehearsed, None, &target, None, &["public".into()]);
        let words: Vec<&str> = found.iter().map(|d| d.what.as_str()).collect();
        assert_eq!(
            words,
            vec![
                "public.users.legacy_flag exists only on staging (boolean)",
                "staging has index public.users.users_email_idx that the rehearsal did not",
                "policy public.users.own_rows of the rehearsed baseline is missing on staging",
                "function public.f(integer) differs (body)",
            ],
            "{found:#?}"
        );
        assert!(compare(&rehearsed, None, &rehearsed, None, &["public".into()]).is_empty());
    }

    #[test]
    fn grants_compare_both_ways() {
        let ours = Grants::from([("public.users".to_string(), "app: SELECT".to_string())]);
        let theirs = Grants::from([
            ("public.users".to_string(), "app: INSERT, SELECT".to_string()),
            ("public.audit".to_string(), "PUBLIC: SELECT".to_string()),
        ]);
        let found = grants(&ours, &theirs);
        assert_eq!(found.len(), 2, "{found:#?}");
        assert!(found[0].what.contains("public.audit") && found[1].what.contains("rehearsed app: SELECT; staging app: INSERT"));
    }

    #[test]
    fn a_policy_of_fail_fails_and_warn_warns() {
        let d = vec![Drift { kind: "index".into(), object: "x".into(), what: "w".into() }];
        assert_eq!(result(&d, DriftPolicy::Fail, "").status, Status::Fail);
        assert_eq!(result(&d, DriftPolicy::Warn, "").status, Status::Warn);
        assert_eq!(result(&[], DriftPolicy::Fail, "").status, Status::Pass);
        assert_eq!(unknown("no rehearsal".into(), DriftPolicy::Warn).status, Status::NotApplicable);
        assert_eq!(unknown("no rehearsal".into(), DriftPolicy::Fail).status, Status::Fail);
    }
}
