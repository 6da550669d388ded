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
        /// A table or column dropped: the running application still uses it.
        DropBreaksRunningCode = "drop-breaks-running-code",
        /// A column's type made narrower (shorter, smaller, less precise).
        ColumnNarrowed = "column-narrowed",
        /// A NOT NULL column added to an existing table with no default left.
        NotNullColumnWithoutDefault = "not-null-column-without-default",
        /// `ALTER DOMAIN … ADD CONSTRAINT` without `NOT VALID`: every column of the domain checked.
        DomainConstraintScan = "domain-constraint-scan",
        /// `ALTER TABLE … DETACH PARTITION` without `CONCURRENTLY`.
        DetachPartitionWithoutConcurrently = "detach-partition-without-concurrently",
        /// A primary key `USING INDEX` on nullable columns: an implicit SET NOT NULL scan.
        PrimaryKeyUsingIndexScan = "primary-key-using-index-scan",
        /// Adjacent `ALTER TABLE` statements on one table that could be one.
        AlterTableNotCombined = "alter-table-not-combined",
        /// An enum value added where its position or its transaction matters.
        EnumValueAdded = "enum-value-added",
        /// An existing foreign key, hot because the batch deletes or updates its referenced
        /// rows, with no complete index on its columns.
        ForeignKeyIndexIncomplete = "foreign-key-index-incomplete",
        /// A `json` column where `jsonb` serves.
        JsonColumn = "json-column",
        /// A `char(n)` column.
        CharColumn = "char-column",
        /// A `timestamp` column without time zone.
        TimestampWithoutTimeZone = "timestamp-without-time-zone",
        /// An `integer` (or `smallint`) primary key.
        IntegerPrimaryKey = "integer-primary-key",
        /// A `serial` column where an identity column serves.
        SerialColumn = "serial-column",
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
