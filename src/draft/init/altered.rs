//! Checks for what the batch changed of what existed: each column a migration added or
//! altered (its type, nullability and default, as the catalog holds them once the batch is
//! done), each constraint it added to or changed on a pre-existing table, each function and
//! view it replaced. Every drafted check is then run on the rehearsed database, so that the
//! draft checks only what the batch finally leaves: an index a later migration renamed
//! (`ADD CONSTRAINT … UNIQUE USING INDEX idx` gives the index the constraint's name) or
//! dropped is left out, and the draft says so.

use std::collections::BTreeSet;

use super::fill::{check, shown};
use crate::check::{Observed, judge};
use crate::db::quote_literal;
use crate::db::snapshot::{Change, Kind};
use crate::draft::DraftError;
use crate::draft::rehearse::Rig;
use crate::plan::{Expect, Plan, Probe};
use crate::run_result::RunResult;

/// The catalog's words for a column, as the snapshot writes it in a table's definition:
/// `name type[ not null][ default expression | generated always as expression]`.
const COLUMN: &str = "pg_catalog.format_type(a.atttypid, a.atttypmod)
        || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
        || coalesce(CASE a.attgenerated WHEN 's' THEN ' generated always as ' WHEN 'v' THEN ' generated always as (virtual) ' ELSE ' default ' END
                    || pg_catalog.pg_get_expr(d.adbin, d.adrelid), '')";

fn column_sql(schema: &str, table: &str, column: Option<&str>) -> String {
    let (select, filter) = match column {
        Some(c) => (COLUMN.to_owned(), format!(" AND a.attname = {}", quote_literal(c))),
        None => (format!("string_agg(a.attname || E'\\t' || {COLUMN}, E'\\n' ORDER BY a.attnum)"), String::new()),
    };
    format!(
        "SELECT {select} FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum WHERE n.nspname = {} AND c.relname = {} AND a.attnum > 0 AND NOT a.attisdropped{filter}",
        quote_literal(schema),
        quote_literal(table)
    )
}

/// A column's name as a table's definition writes it (`quote_ident`'s rule, but for keywords:
/// a column named by a keyword is not found, and gets no check, never a wrong one).
fn quoted(name: &str) -> String {
    let plain = name.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain { name.to_owned() } else { format!("\"{}\"", name.replace('"', "\"\"")) }
}

/// Whether a table's definition (`col type, col type not null, …`) holds this exact column.
fn holds(definition: &str, column: &str) -> bool {
    definition == column
        || definition.starts_with(&format!("{column}, "))
        || definition.ends_with(&format!(", {column}"))
        || definition.contains(&format!(", {column}, "))
}

/// `schema.table.name` → (schema, table, name).
fn three(name: &str) -> Option<(&str, &str, &str)> {
    let mut parts = name.splitn(3, '.');
    Some((parts.next()?, parts.next()?, parts.next()?))
}

/// One value the rehearsed database gives (`None`: no row, an error).
async fn value(rig: &Rig, sql: &str) -> Result<Option<String>, DraftError> {
    Ok(match rig.observe(sql).await? {
        Observed::Value { value, .. } => value,
        _ => None,
    })
}

/// Draft the checks of what each migration altered; then keep only the drafted checks that
/// hold once the batch is done.
pub(super) async fn checks(rig: &Rig, plan: &mut Plan, run: &RunResult, review: &mut Vec<String>) -> Result<(), DraftError> {
    let ours = plan.baseline.schema.clone();
    let new_tables: BTreeSet<&String> =
        run.migrations.iter().flat_map(|r| r.created.get(Kind::Table.label())).flatten().collect();
    let mut drafted = Vec::new();
    for (m, r) in plan.migrations.iter().zip(&run.migrations) {
        let mut n = 0;
        let mut id = || {
            n += 1;
            format!("V-{}-A{n:02}", m.id)
        };
        let mut add = |title: String, sql: String, expect: Option<String>| {
            if let Some(text) = expect {
                drafted.push(check(id(), &m.id, title, Probe::Sql(sql), Expect::Text(text)));
            }
        };
        for Change { object, before, after } in &r.altered {
            match object.kind {
                Kind::Table => {
                    let Some((schema, table)) = object.name.split_once('.') else { continue };
                    let Some(columns) = value(rig, &column_sql(schema, table, None)).await? else { continue };
                    for line in columns.lines() {
                        let Some((name, words)) = line.split_once('\t') else { continue };
                        let full = format!("{} {words}", quoted(name));
                        if !holds(before, &full) && holds(after, &full) {
                            let sql = column_sql(schema, table, Some(name));
                            let title = format!("column {}.{name}: {words}", shown(&object.name, &ours));
                            add(title, sql, Some(words.to_owned()));
                        }
                    }
                }
                Kind::Function => {
                    let Some((schema, rest)) = object.name.split_once('.') else { continue };
                    let Some((name, args)) = rest.strip_suffix(')').and_then(|r| r.split_once('(')) else { continue };
                    let sql = format!(
                        "SELECT md5(pg_catalog.pg_get_functiondef(p.oid)) FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = {} AND p.proname = {} AND pg_catalog.pg_get_function_identity_arguments(p.oid) = {}",
                        quote_literal(schema),
                        quote_literal(name),
                        quote_literal(args)
                    );
                    let body = value(rig, &sql).await?;
                    let title = format!("function {} replaced: its body as rehearsed (md5)", shown(&object.name, &ours));
                    add(title, sql, body);
                }
                Kind::View => {
                    let sql = format!("SELECT md5(pg_catalog.pg_get_viewdef({}::regclass))", quote_literal(&object.name));
                    let def = value(rig, &sql).await?;
                    add(format!("view {} replaced: its definition as rehearsed (md5)", shown(&object.name, &ours)), sql, def);
                }
                _ => {}
            }
        }
        // Constraints added to, or changed on, tables that existed before the batch.
        let constraints = [Kind::Constraint, Kind::ForeignKey].into_iter().flat_map(|k| {
            r.created
                .get(k.label())
                .into_iter()
                .flatten()
                .chain(r.altered.iter().filter(move |c| c.object.kind == k).map(|c| &c.object.name))
        });
        for name in constraints.collect::<Vec<_>>() {
            let Some((schema, table, constraint)) = three(name) else { continue };
            if new_tables.contains(&format!("{schema}.{table}")) {
                continue;
            }
            let sql = format!(
                "SELECT pg_catalog.pg_get_constraintdef(k.oid) FROM pg_catalog.pg_constraint k JOIN pg_catalog.pg_class c ON c.oid = k.conrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = {} AND c.relname = {} AND k.conname = {}",
                quote_literal(schema),
                quote_literal(table),
                quote_literal(constraint)
            );
            let def = value(rig, &sql).await?;
            add(format!("constraint {constraint} on {}", shown(&format!("{schema}.{table}"), &ours)), sql, def);
        }
    }
    plan.verification.extend(drafted);
    let sqls: Vec<&str> =
        plan.verification.iter().map(|c| if let Probe::Sql(sql) = &c.probe { sql.as_str() } else { "SELECT 1" }).collect();
    let observed = rig.observe_all(&sqls).await?;
    let mut kept = Vec::new();
    for (c, seen) in std::mem::take(&mut plan.verification).into_iter().zip(observed) {
        if matches!(c.probe, Probe::Sql(_)) && !judge(&c.expect, &seen).0 {
            review.push(format!(
                "migration {}: \"{}\" does not hold once the batch is done (a later migration renamed or dropped it): not a check",
                c.group, c.title
            ));
            continue;
        }
        kept.push(c);
    }
    plan.verification = kept;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_column_is_found_whole_in_a_definition() {
        let def = "id integer not null, price numeric(10,2) default 0, note text";
        assert!(holds(def, "id integer not null") && holds(def, "price numeric(10,2) default 0") && holds(def, "note text"));
        assert!(!holds(def, "id integer"), "a column that lost NOT NULL is a change");
        assert!(!holds(def, "price numeric(10,2)") && !holds(def, "note"));
    }
}
