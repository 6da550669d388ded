//! `foreign-key-without-index`: a foreign key the migration added whose columns no index
//! covers (as its leading columns): every DELETE or key UPDATE of a parent row scans the
//! referencing table, under a lock, and the orphan check cannot use an index either. Safer: an
//! index on the referencing columns (`CREATE INDEX CONCURRENTLY` when the table has rows).

use super::Rule;
use crate::db::snapshot::Kind;
use crate::findings::Context;
use crate::findings::catalogue::Doc;
use crate::plan::LockRule;
use crate::run_result::{Finding, FindingSeverity};

pub const RULE: Rule =
    Rule { id: LockRule::ForeignKeyWithoutIndex, summary: "a foreign key whose columns no index covers", check };

/// The column list inside the first parentheses after `after` in `def`.
pub(super) fn columns_after<'a>(def: &'a str, after: &str) -> Option<Vec<&'a str>> {
    let start = def.find(after)? + after.len();
    let rest = &def[start..];
    let open = rest.find('(')?;
    let close = rest[open..].find(')')? + open;
    Some(rest[open + 1..close].split(',').map(|c| c.trim().split(' ').next().unwrap_or_default()).collect())
}

/// (table, leading columns) of an index definition as `pg_get_indexdef` writes it.
pub(super) fn index_columns(def: &str) -> Option<(&str, Vec<&str>)> {
    let on = def.find(" ON ")? + 4;
    let rest = def[on..].strip_prefix("ONLY ").unwrap_or(&def[on..]);
    let table = rest.split(' ').next()?;
    Some((table, columns_after(rest, " USING ")?))
}

fn check(ctx: &Context) -> Vec<Finding> {
    let indexes: Vec<(&str, Vec<&str>)> =
        ctx.after.objects.get(&Kind::Index).into_iter().flat_map(|m| m.values()).filter_map(|d| index_columns(d)).collect();
    let fks = ctx.after.objects.get(&Kind::ForeignKey);
    let mut out = Vec::new();
    for name in ctx.diff.appeared_of(Kind::ForeignKey) {
        let Some(def) = fks.and_then(|f| f.get(name)) else { continue };
        let Some(columns) = columns_after(def, "FOREIGN KEY") else { continue };
        let Some((table, _)) = name.rsplit_once('.') else { continue };
        let (schema, relation) = table.split_once('.').unwrap_or(("", table));
        let covered = indexes.iter().any(|(t, cols)| {
            let same_table = t.trim_matches('"') == relation
                || *t == format!("{schema}.{relation}")
                || t.replace('"', "") == format!("{schema}.{relation}");
            same_table && cols.len() >= columns.len() && columns.iter().all(|c| cols[..columns.len()].contains(c))
        });
        if !covered {
            // The statement that made the key: the first that creates or alters its table.
            let shaped = |s: &str| crate::findings::shape(s).replace('"', "");
            let table_upper = format!("{schema}.{relation}").to_uppercase();
            let made = ctx.statements.iter().find(|s| {
                let sql = shaped(&s.sql);
                (sql.starts_with("CREATE TABLE") || sql.starts_with("ALTER TABLE"))
                    && (sql.contains(&format!(" {table_upper} ")) || sql.contains(&format!(" {table_upper}(")))
            });
            out.push(Finding {
                severity: FindingSeverity::Warning,
                statement: made.map_or_else(|| ctx.file().to_owned(), |s| format!("{}:{}", ctx.file(), s.line)),
                relation: table.to_owned(),
                message: format!("foreign key {name} ({}) has no index on its columns", columns.join(", ")),
                advice: format!(
                    "CREATE INDEX … ON {table} ({}) (CONCURRENTLY, in a migration of its own, when the table has rows)",
                    columns.join(", ")
                ),
                ..Finding::of(RULE.id)
            });
        }
    }
    out
}

pub const DOC: Doc = Doc {
    id: LockRule::ForeignKeyWithoutIndex,
    severity: "warning",
    detects: "a foreign key the migration adds whose referencing columns no index leads with",
    why: "every DELETE or key UPDATE of a parent row scans the referencing table, and so does the check of the key itself",
    safer: "an index on the referencing columns (CREATE INDEX CONCURRENTLY when the table has rows)",
    bad: &[
        "CREATE TABLE public.customer_notes (id bigint PRIMARY KEY, customer_id bigint NOT NULL REFERENCES public.customers, body text);",
    ],
    good: &[
        "CREATE TABLE public.customer_notes (id bigint PRIMARY KEY, customer_id bigint NOT NULL REFERENCES public.customers, body text);\nCREATE INDEX customer_notes_customer_id_idx ON public.customer_notes (customer_id);",
    ],
};

#[cfg(test)]
mod tests {
    use crate::db::snapshot::{Kind, ObjectRef};
    use crate::findings::test_utils::{Fixture, rules_of};

    #[test]
    fn an_unindexed_foreign_key_is_found_and_an_indexed_one_is_not() {
        let mut f = Fixture::new();
        let fk = "public.campaigns.campaigns_owner_fkey";
        f.after
            .objects
            .entry(Kind::ForeignKey)
            .or_default()
            .insert(fk.into(), "FOREIGN KEY (owner_id) REFERENCES public.users(id)".into());
        f.diff.appeared.push(ObjectRef { kind: Kind::ForeignKey, name: fk.into() });
        assert_eq!(rules_of(&f.findings(1000)), ["foreign-key-without-index"]);
        f.after
            .objects
            .entry(Kind::Index)
            .or_default()
            .insert("public.idx".into(), "CREATE INDEX idx ON public.campaigns USING btree (owner_id, created_at)".into());
        assert!(f.findings(1000).is_empty());
    }
}
