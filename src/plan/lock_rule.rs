//! The ids of the lock rules: what a [`Finding`](crate::run_result::Finding) carries and a
//! plan's `accept` names. The rules themselves are in [`crate::findings::rules`], each naming
//! its id; the id lives here, in the plan, so that a plan accepting a rule that does not exist
//! fails to load.

use super::text_enum::text_enum;

text_enum! {
    /// A lock rule, by its kebab-case id.
    pub enum LockRule: "lock rule" {
        /// `CREATE INDEX` without `CONCURRENTLY` on a table with rows.
        IndexWithoutConcurrently = "index-without-concurrently",
        /// A foreign key added as VALID on an existing table.
        ForeignKeyValid = "foreign-key-valid",
        /// `SET NOT NULL` by a full scan under ACCESS EXCLUSIVE.
        SetNotNullScan = "set-not-null-scan",
        /// A pre-existing table given new storage.
        TableRewrite = "table-rewrite",
        /// Later statements run while ACCESS EXCLUSIVE is held.
        StatementsUnderAccessExclusive = "statements-under-access-exclusive",
        /// A foreign key whose columns no index covers.
        ForeignKeyWithoutIndex = "foreign-key-without-index",
        /// A write-blocking lock held longer than the plan allows.
        WriteLockHeldTooLong = "write-lock-held-too-long",
        /// UNIQUE, PRIMARY KEY or EXCLUDE added by `ALTER TABLE`: its index built under ACCESS
        /// EXCLUSIVE.
        ConstraintIndexUnderAccessExclusive = "constraint-index-under-access-exclusive",
        /// A CHECK constraint added without `NOT VALID`: every row checked under ACCESS EXCLUSIVE.
        CheckWithoutNotValid = "check-without-not-valid",
        /// `VALIDATE CONSTRAINT` in the transaction that added it: the scan under the ACCESS
        /// EXCLUSIVE lock the `ADD` took.
        ValidateInSameTransaction = "validate-in-same-transaction",
        /// `REINDEX` or `DROP INDEX` without `CONCURRENTLY`.
        IndexMaintenanceWithoutConcurrently = "index-maintenance-without-concurrently",
        /// A table or column renamed: the running application still uses the old name.
        RenameBreaksRunningCode = "rename-breaks-running-code",
        /// A lock able to block the application taken by a file that sets no `lock_timeout`.
        MissingLockTimeout = "missing-lock-timeout",
    }
}

#[cfg(test)]
mod tests {
    use super::LockRule;
    use crate::plan::AcceptedFinding;

    #[test]
    fn an_accept_names_its_rule_as_the_readme_writes_it() {
        let text = r#"(rule: "index-without-concurrently", relation: Some("audit_log"), reason: "…")"#;
        let a: AcceptedFinding = ron::from_str(text).unwrap();
        assert_eq!(a.rule, LockRule::IndexWithoutConcurrently);
        assert_eq!(a.rule, "index-without-concurrently");
        assert!(ron::to_string(&a).unwrap().contains(r#"rule:"index-without-concurrently""#));
        for r in LockRule::ALL {
            assert_eq!(serde_json::to_string(r).unwrap(), format!("\"{r}\""));
            assert_eq!(r.as_str().parse::<LockRule>(), Ok(*r));
        }
        assert!(ron::from_str::<AcceptedFinding>(&text.replace("concurrently", "concurrent")).is_err());
    }
}
