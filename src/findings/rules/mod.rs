//! The rules, one file each: its `//!` doc says the problem and the safer pattern. [`ALL`] is
//! the catalogue (ids unique, each with its fixture test).

mod alter_table_not_combined;
mod check_without_not_valid;
mod column_narrowed;
mod columns;
mod constraint_index_under_access_exclusive;
mod detach_partition_without_concurrently;
mod domain_constraint_scan;
mod drop_breaks_running_code;
mod enum_value_added;
mod foreign_key_index_incomplete;
mod foreign_key_valid;
mod foreign_key_without_index;
mod index_maintenance_without_concurrently;
mod index_without_concurrently;
mod missing_lock_timeout;
mod not_null_column_without_default;
mod primary_key_using_index_scan;
mod rename_breaks_running_code;
mod set_not_null;
mod statements_under_access_exclusive;
mod table_rewrite;
mod type_choices;
mod validate_in_same_transaction;
mod write_lock_held_too_long;

use super::Context;
use super::catalogue::Doc;
use crate::plan::LockRule;
use crate::run_result::Finding;

/// A rule: its id (as plans name it in `accept`) and its check.
pub struct Rule {
    pub id: LockRule,
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
    constraint_index_under_access_exclusive::RULE,
    check_without_not_valid::RULE,
    validate_in_same_transaction::RULE,
    index_maintenance_without_concurrently::RULE,
    rename_breaks_running_code::RULE,
    missing_lock_timeout::RULE,
    drop_breaks_running_code::RULE,
    column_narrowed::RULE,
    not_null_column_without_default::RULE,
    domain_constraint_scan::RULE,
    detach_partition_without_concurrently::RULE,
    primary_key_using_index_scan::RULE,
    alter_table_not_combined::RULE,
    enum_value_added::RULE,
    foreign_key_index_incomplete::RULE,
    type_choices::JSON,
    type_choices::CHAR,
    type_choices::TIMESTAMP,
    type_choices::INTEGER_KEY,
    type_choices::SERIAL,
];

/// What `pgstage rules` says of each rule, with its examples ([`crate::findings::catalogue`]).
pub const CATALOGUE: &[Doc] = &[
    index_without_concurrently::DOC,
    foreign_key_valid::DOC,
    set_not_null::DOC,
    table_rewrite::DOC,
    statements_under_access_exclusive::DOC,
    foreign_key_without_index::DOC,
    write_lock_held_too_long::DOC,
    constraint_index_under_access_exclusive::DOC,
    check_without_not_valid::DOC,
    validate_in_same_transaction::DOC,
    index_maintenance_without_concurrently::DOC,
    rename_breaks_running_code::DOC,
    missing_lock_timeout::DOC,
    drop_breaks_running_code::DOC,
    column_narrowed::DOC,
    not_null_column_without_default::DOC,
    domain_constraint_scan::DOC,
    detach_partition_without_concurrently::DOC,
    primary_key_using_index_scan::DOC,
    alter_table_not_combined::DOC,
    enum_value_added::DOC,
    foreign_key_index_incomplete::DOC,
    type_choices::JSON_DOC,
    type_choices::CHAR_DOC,
    type_choices::TIMESTAMP_DOC,
    type_choices::INTEGER_KEY_DOC,
    type_choices::SERIAL_DOC,
];

/// The rule ids, as written.
pub fn ids() -> impl Iterator<Item = &'static str> {
    ALL.iter().map(|r| r.id.as_str())
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

    #[test]
    fn every_lock_rule_id_has_its_rule_in_the_catalogue_order() {
        let ids: Vec<crate::plan::LockRule> = super::ALL.iter().map(|r| r.id).collect();
        assert_eq!(ids, crate::plan::LockRule::ALL);
    }
}
