//! PostgreSQL's table lock modes and what each blocks (the conflict matrix of the manual's
//! "Explicit Locking" chapter), as `pg_locks.mode` names them.

use serde::{Deserialize, Serialize};

/// What other sessions a lock held on a table keeps waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Blocks {
    /// Only DDL, VACUUM and other schema changes (no application read or write).
    DdlOnly,
    /// INSERT, UPDATE, DELETE (and SELECT … FOR UPDATE); plain reads go on.
    Writes,
    /// Every read and every write.
    ReadsAndWrites,
}

impl Blocks {
    pub fn label(self) -> &'static str {
        match self {
            Blocks::DdlOnly => "only DDL",
            Blocks::Writes => "writes",
            Blocks::ReadsAndWrites => "reads and writes",
        }
    }
}

/// The eight table lock modes, weakest first.
pub const MODES: [&str; 8] = [
    "AccessShareLock",
    "RowShareLock",
    "RowExclusiveLock",
    "ShareUpdateExclusiveLock",
    "ShareLock",
    "ShareRowExclusiveLock",
    "ExclusiveLock",
    "AccessExclusiveLock",
];

/// Rank of a mode in [`MODES`] (unknown modes rank lowest).
pub fn strength(mode: &str) -> usize {
    MODES.iter().position(|m| *m == mode).unwrap_or(0)
}

/// Whether two modes conflict (the manual's table 13.2).
pub fn conflicts(a: &str, b: &str) -> bool {
    // Per mode, the modes it conflicts with, by rank.
    const CONFLICTS: [&[usize]; 8] = [
        &[7],
        &[6, 7],
        &[4, 5, 6, 7],
        &[3, 4, 5, 6, 7],
        &[2, 3, 5, 6, 7],
        &[2, 3, 4, 5, 6, 7],
        &[1, 2, 3, 4, 5, 6, 7],
        &[0, 1, 2, 3, 4, 5, 6, 7],
    ];
    CONFLICTS[strength(a)].contains(&strength(b))
}

/// What a lock of `mode` blocks: reads take ACCESS SHARE, writes ROW EXCLUSIVE.
pub fn blocks(mode: &str) -> Blocks {
    if conflicts(mode, "AccessShareLock") {
        Blocks::ReadsAndWrites
    } else if conflicts(mode, "RowExclusiveLock") {
        Blocks::Writes
    } else {
        Blocks::DdlOnly
    }
}

/// "SHARE ROW EXCLUSIVE" for "ShareRowExclusiveLock", as the SQL and the manual write it.
pub fn sql_name(mode: &str) -> String {
    let base = mode.strip_suffix("Lock").unwrap_or(mode);
    let mut out = String::new();
    for (i, c) in base.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push(' ');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_conflict_matrix_is_symmetric_and_says_what_each_mode_blocks() {
        for a in MODES {
            for b in MODES {
                assert_eq!(conflicts(a, b), conflicts(b, a), "{a} / {b}");
            }
        }
        assert_eq!(blocks("AccessExclusiveLock"), Blocks::ReadsAndWrites);
        assert_eq!(blocks("ShareRowExclusiveLock"), Blocks::Writes);
        assert_eq!(blocks("ShareLock"), Blocks::Writes);
        assert_eq!(blocks("ExclusiveLock"), Blocks::Writes);
        assert_eq!(blocks("ShareUpdateExclusiveLock"), Blocks::DdlOnly);
        assert_eq!(blocks("RowExclusiveLock"), Blocks::DdlOnly);
        assert_eq!(blocks("AccessShareLock"), Blocks::DdlOnly);
        assert_eq!(sql_name("ShareRowExclusiveLock"), "SHARE ROW EXCLUSIVE");
    }
}
