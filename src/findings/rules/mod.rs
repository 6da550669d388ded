//! The rules, one file each: its `//!` doc says the problem and the safer pattern. [`ALL`] is
//! the catalogue (ids unique, each with its fixture test).

mod foreign_key_valid;
mod foreign_key_without_index;
mod index_without_concurrently;
mod set_not_null;
mod statements_under_access_exclusive;
mod table_rewrite;
mod write_lock_held_too_long;

use super::Context;
use crate::run_result::Finding;

/// A rule: its id (kebab-case, as plans name it in `accept`) and its check.
pub struct Rule {
    pub id: &'static str,
    pub summary: &'static str,
    pub check: fn(&Context) -> Vec<Finding>,
}

pub const ALL: &[Rule] = &[
    index_without_concurrently::RULE,
    foreign_key_valid::RULE,
    set_not_null::RULE,
    table_rewrite::RULE,
    statements_under_access_exclusive::RULE,
    foreign_key_without_index::RULE,
    write_lock_held_too_long::RULE,
];

/// The rule ids, for validating plans.
pub fn ids() -> impl Iterator<Item = &'static str> {
    ALL.iter().map(|r| r.id)
}

#[cfg(test)]
mod tests {
    #[test]
    fn rule_ids_are_unique_kebab_case() {
        let ids: Vec<&str> = super::ids().collect();
        let mut sorted = ids.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), ids.len());
        assert!(ids.iter().all(|id| id.chars().all(|c| c.is_ascii_lowercase() || c == '-')));
    }
}
