//! `foreign-key-index-incomplete` (eugene's E15): the batch deletes rows of a table, or updates
//! its referenced key, and a foreign key of another table references it with no complete index
//! on its columns — none at all, only a partial one, or one that does not lead with them. Each
//! deleted or updated parent row then makes the server scan the referencing table for the rows
//! that still point to it (under the locks of the transaction): a batch of N rows is N scans.
//! Measured: the rows the migration deleted or updated (the statistics), the foreign keys and
//! indexes in the catalog after it; the key columns of an UPDATE are read from its text.
//! Safer: first an index leading with the referencing columns, with no WHERE (`CREATE INDEX
//! CONCURRENTLY`, a migration of its own), then the delete.

use super::Rule;
use super::foreign_key_without_index::{columns_after, index_columns};
use crate::db::snapshot::Kind;
use crate::findings::catalogue::Doc;
use crate::findings::{Context, shape};
use crate::plan::LockRule;
use crate::run_result::{Finding, FindingSeverity};

pub const RULE: Rule =
    Rule { id: LockRule::ForeignKeyIndexIncomplete, summary: "rows deleted under a foreign key with no complete index", check };

fn unquoted(name: &str) -> String {
    name.replace('"', "")
}

/// Whether `written` (maybe without its schema) names `table` (`schema.table`).
fn names(written: &str, table: &str) -> bool {
    let (w, t) = (unquoted(written), unquoted(table));
    w == t || (!w.contains('.') && t.rsplit('.').next() == Some(w.as_str()))
}

/// How completely the indexes of `table` cover `columns`: `None` when one leads with them and
/// has no WHERE; otherwise what there is.
fn gap(ctx: &Context, table: &str, columns: &[&str]) -> Option<&'static str> {
    let defs = ctx.after.objects.get(&Kind::Index).into_iter().flat_map(|m| m.values());
    let mut best = "no index has them";
    for def in defs {
        let Some((on, cols)) = index_columns(def) else { continue };
        if !names(on, table) {
            continue;
        }
        let leads = cols.len() >= columns.len() && columns.iter().all(|c| cols[..columns.len()].contains(c));
        let partial = def.contains(" WHERE ");
        match (leads, partial) {
            (true, false) => return None,
            (true, true) => best = "only a partial index has them",
            (false, _) if columns.iter().all(|c| cols.contains(c)) && best == "no index has them" => {
                best = "only an index that does not lead with them has them"
            }
            _ => {}
        }
    }
    Some(best)
}

fn check(ctx: &Context) -> Vec<Finding> {
    let Some(fks) = ctx.after.objects.get(&Kind::ForeignKey) else { return vec![] };
    let mut out = Vec::new();
    for parent in &ctx.migration.data.tables {
        if parent.dropped || parent.truncated || (parent.deleted == 0 && parent.updated == 0) {
            continue;
        }
        for (name, def) in fks {
            let Some(refs) = def.split(" REFERENCES ").nth(1) else { continue };
            let referenced = refs.split('(').next().unwrap_or_default().trim();
            if !names(referenced, &parent.table) {
                continue;
            }
            let Some(key) = columns_after(def, "REFERENCES") else { continue };
            let Some(columns) = columns_after(def, "FOREIGN KEY") else { continue };
            let Some((child, _)) = name.rsplit_once('.') else { continue };
            // The statement that made the key hot: a DELETE of the parent, or an UPDATE of its key.
            let parent_word = unquoted(parent.table.rsplit('.').next().unwrap_or_default()).to_uppercase();
            let statement = ctx.statements.iter().find(|s| {
                let sql = shape(&s.sql).replace('"', "");
                let on_parent = sql.split([' ', '.', '(']).take(5).any(|w| w == parent_word);
                let deletes = parent.deleted > 0 && sql.starts_with("DELETE FROM ");
                let sets_key = sql.starts_with("UPDATE ")
                    && sql.split(" SET ").nth(1).is_some_and(|set| {
                        set.split(',').any(|a| {
                            let target = a.trim().split(['=', ' ']).next().unwrap_or_default();
                            key.iter().any(|k| unquoted(k).to_uppercase() == target)
                        })
                    });
                on_parent && (deletes || sets_key)
            });
            let Some(statement) = statement else { continue };
            let Some(gap) = gap(ctx, child, &columns) else { continue };
            let verb = if shape(&statement.sql).starts_with("DELETE") { "deletes from" } else { "updates the key of" };
            out.push(Finding {
                severity: FindingSeverity::Warning,
                statement: format!("{}:{}", ctx.file(), statement.line),
                relation: child.to_owned(),
                message: format!(
                    "the migration {verb} {}, and foreign key {name} ({}) references it where {gap}: each row changed scans {child}",
                    parent.table,
                    columns.join(", ")
                ),
                advice: format!(
                    "first CREATE INDEX CONCURRENTLY … ON {child} ({}) with no WHERE, in a migration of its own; then the {}",
                    columns.join(", "),
                    if verb == "deletes from" { "delete" } else { "update" }
                ),
                rows: ctx.rows(child),
                ..Finding::of(RULE.id)
            });
        }
    }
    out
}

pub const DOC: Doc = Doc {
    id: LockRule::ForeignKeyIndexIncomplete,
    severity: "warning",
    detects: "rows deleted (or a referenced key updated) in a table that a foreign key references with no complete index on its columns: none, only a partial one, or one not leading with them (eugene E15)",
    why: "each parent row deleted or updated makes the server scan the referencing table for rows still pointing to it: a batch of N rows is N scans, under the transaction's locks",
    safer: "first an index leading with the referencing columns, with no WHERE (CREATE INDEX CONCURRENTLY in a migration of its own), then the delete or update",
    bad: &[
        "-- orders.customer_id is covered only by the partial index orders_customer_open_idx\nDELETE FROM public.customers WHERE id > 10050;",
    ],
    good: &["-- shipments.order_id has a complete index: shipments_order_id_idx\nDELETE FROM public.orders WHERE id > 9990;"],
};

#[cfg(test)]
mod tests {
    use crate::db::snapshot::Kind;
    use crate::findings::test_utils::{Fixture, rules_of};
    use crate::run_result::TableChange;

    const ID: &str = "foreign-key-index-incomplete";

    fn with_index(index: Option<&str>, sql: &str, change: TableChange) -> Vec<String> {
        let mut f = Fixture::new().sql(2, sql);
        f.after
            .objects
            .entry(Kind::ForeignKey)
            .or_default()
            .insert("public.orders.orders_customer_id_fkey".into(), "FOREIGN KEY (customer_id) REFERENCES customers(id)".into());
        if let Some(def) = index {
            f.after.objects.entry(Kind::Index).or_default().insert("public.idx".into(), def.into());
        }
        f.migration.data.tables.push(change);
        rules_of(&f.findings(1000)).into_iter().map(str::to_owned).collect()
    }

    #[test]
    fn a_delete_under_an_incompletely_indexed_key_is_found_and_under_a_complete_index_is_not() {
        let deleted = || TableChange { table: "public.customers".into(), deleted: 5, ..Default::default() };
        let delete = "DELETE FROM public.customers WHERE id > 100";
        let partial = "CREATE INDEX idx ON public.orders USING btree (customer_id) WHERE (NOT archived)";
        let second = "CREATE INDEX idx ON public.orders USING btree (created_at, customer_id)";
        let full = "CREATE INDEX idx ON public.orders USING btree (customer_id, created_at)";
        assert_eq!(with_index(Some(partial), delete, deleted()), [ID]);
        assert_eq!(with_index(Some(second), delete, deleted()), [ID]);
        assert_eq!(with_index(None, delete, deleted()), [ID]);
        assert!(with_index(Some(full), delete, deleted()).is_empty());
        let updated = || TableChange { table: "public.customers".into(), updated: 5, ..Default::default() };
        assert_eq!(with_index(Some(partial), "UPDATE public.customers SET id = id + 1000", updated()), [ID]);
        assert!(with_index(Some(partial), "UPDATE public.customers SET name = 'x'", updated()).is_empty());
    }
}
