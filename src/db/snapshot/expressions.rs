//! Expressions deparsed once per distinct expression: column defaults and the conditions of
//! RLS policies. What `pg_get_expr` writes depends only on the expression and, when it refers
//! to columns, the table's column names (for which it opens the table: on a big catalog that
//! costs more than the deparsing); the catalog rows carry a fingerprint of each expression (a
//! 64-bit hash of its node tree), and one expression of each group is deparsed.

use std::collections::HashMap;

use tokio_postgres::Row;

use super::catalog::{Catalog, OidMap};
use super::copy::{CopyRow, CopyRows};

/// Expressions grouped: the catalog row (its oid) to deparse for each group.
#[derive(Default)]
pub(super) struct Groups {
    pub(super) deparse: Vec<u32>,
}

impl Groups {
    fn group<K: std::hash::Hash + Eq>(&mut self, seen: &mut HashMap<K, usize>, key: K, oid: u32) -> usize {
        *seen.entry(key).or_insert_with(|| {
            self.deparse.push(oid);
            self.deparse.len() - 1
        })
    }

    /// Each group's deparsed value, in group order, from the rows of its deparsing query
    /// (the catalog row's oid first).
    pub(super) fn deparsed<'r, T: Clone + Default>(&self, rows: &'r [Row], value: impl Fn(&'r Row) -> T) -> Vec<T> {
        let by_oid: OidMap<u32, T> = rows.iter().map(|r| (r.get(0), value(r))).collect();
        self.deparse.iter().map(|oid| by_oid.get(oid).cloned().unwrap_or_default()).collect()
    }
}

/// Column defaults (rows of `DEFAULTS`): the groups, and (table, column number) → group. An
/// expression that refers to columns is deparsed once per table.
pub(super) fn defaults(rows: &CopyRows) -> (Groups, OidMap<(u32, i16), usize>) {
    let (mut groups, mut seen, mut of) = (Groups::default(), HashMap::new(), OidMap::default());
    for r in rows.rows() {
        let table = r.oid(1);
        let key = (r.str(3), if r.bool(4) { table } else { 0 });
        of.insert((table, r.int2(2)), groups.group(&mut seen, key, r.oid(0)));
    }
    (groups, of)
}

/// RLS policies (rows of `POLICIES`) of the snapshot's tables, each with its group.
pub(super) struct Policies<'a> {
    pub(super) groups: Groups,
    policies: Vec<(CopyRow<'a>, usize)>,
}

/// What a policy's deparsed conditions depend on besides the expressions: the table's column
/// names, or the table itself for a whole-row reference or a subquery.
#[derive(Hash, PartialEq, Eq)]
enum Context {
    Columns(usize),
    Table(u32),
}

pub(super) fn policies<'a>(rows: &'a CopyRows, catalog: &Catalog) -> Policies<'a> {
    let (mut groups, mut seen, mut policies) = (Groups::default(), HashMap::new(), vec![]);
    let mut column_lists: HashMap<Vec<(i16, &str)>, usize> = HashMap::new();
    let mut list_of: OidMap<u32, usize> = OidMap::default();
    for r in rows.rows() {
        let table = r.oid(1);
        if !catalog.rels.contains_key(&table) {
            continue;
        }
        let context = if r.bool(8) {
            Context::Table(table)
        } else {
            let next = column_lists.len();
            let list = *list_of
                .entry(table)
                .or_insert_with(|| *column_lists.entry(catalog.column_names(table).collect()).or_insert(next));
            Context::Columns(list)
        };
        let group = groups.group(&mut seen, (r.opt(6), r.opt(7), context), r.oid(0));
        policies.push((r, group));
    }
    Policies { groups, policies }
}

impl Policies<'_> {
    /// Name → "COMMAND[ RESTRICTIVE] TO roles[ USING (…)][ WITH CHECK (…)]", from each
    /// group's deparsed (USING, WITH CHECK) and the role names.
    pub(super) fn definitions(
        &self,
        catalog: &Catalog,
        deparsed: &[(Option<String>, Option<String>)],
        roles: &OidMap<u32, String>,
    ) -> Vec<(String, String)> {
        let none = (None, None);
        self.policies
            .iter()
            .filter_map(|&(r, group)| {
                let rel = catalog.rels.get(&r.oid(1))?;
                let mut def = String::from(match r.char(3) {
                    b'r' => "SELECT",
                    b'a' => "INSERT",
                    b'w' => "UPDATE",
                    b'd' => "DELETE",
                    _ => "ALL",
                });
                if !r.bool(4) {
                    def.push_str(" RESTRICTIVE");
                }
                def.push_str(" TO ");
                let mut names: Vec<&str> = r.numbers::<u32>(5).filter_map(|oid| roles.get(&oid).map(String::as_str)).collect();
                names.sort_unstable();
                def.push_str(&if names.is_empty() { "public".to_owned() } else { names.join(", ") });
                let (using, check) = deparsed.get(group).unwrap_or(&none);
                for (clause, expression) in [(" USING (", using), (" WITH CHECK (", check)] {
                    if let Some(expression) = expression {
                        def.push_str(clause);
                        def.push_str(expression);
                        def.push(')');
                    }
                }
                Some((catalog.qualified(rel, Some(r.str(2))), def))
            })
            .collect()
    }
}
