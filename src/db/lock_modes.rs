//! PostgreSQL's table lock modes and what each blocks (the conflict matrix of the manual's
//! "Explicit Locking" chapter): [`LockMode`], written as `pg_locks.mode` names it.

use std::fmt;
use std::str::FromStr;

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

/// A table lock mode, weakest first (the order compares strength). Written (serde, `Display`,
/// `FromStr`) as `pg_locks.mode` names it, e.g. "AccessExclusiveLock".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(into = "&'static str", try_from = "String")]
pub enum LockMode {
    AccessShare,
    RowShare,
    RowExclusive,
    ShareUpdateExclusive,
    Share,
    ShareRowExclusive,
    Exclusive,
    AccessExclusive,
}

/// A lock mode name that is not one of the eight table lock modes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown lock mode \"{0}\"")]
pub struct UnknownLockMode(pub String);

impl LockMode {
    /// The eight modes, weakest first.
    pub const ALL: [LockMode; 8] = [
        LockMode::AccessShare,
        LockMode::RowShare,
        LockMode::RowExclusive,
        LockMode::ShareUpdateExclusive,
        LockMode::Share,
        LockMode::ShareRowExclusive,
        LockMode::Exclusive,
        LockMode::AccessExclusive,
    ];

    /// As `pg_locks.mode` names it: "ShareRowExclusiveLock".
    pub const fn as_str(self) -> &'static str {
        match self {
            LockMode::AccessShare => "AccessShareLock",
            LockMode::RowShare => "RowShareLock",
            LockMode::RowExclusive => "RowExclusiveLock",
            LockMode::ShareUpdateExclusive => "ShareUpdateExclusiveLock",
            LockMode::Share => "ShareLock",
            LockMode::ShareRowExclusive => "ShareRowExclusiveLock",
            LockMode::Exclusive => "ExclusiveLock",
            LockMode::AccessExclusive => "AccessExclusiveLock",
        }
    }

    /// As the SQL (`LOCK … IN … MODE`) and the manual write it: "SHARE ROW EXCLUSIVE".
    pub const fn sql_name(self) -> &'static str {
        match self {
            LockMode::AccessShare => "ACCESS SHARE",
            LockMode::RowShare => "ROW SHARE",
            LockMode::RowExclusive => "ROW EXCLUSIVE",
            LockMode::ShareUpdateExclusive => "SHARE UPDATE EXCLUSIVE",
            LockMode::Share => "SHARE",
            LockMode::ShareRowExclusive => "SHARE ROW EXCLUSIVE",
            LockMode::Exclusive => "EXCLUSIVE",
            LockMode::AccessExclusive => "ACCESS EXCLUSIVE",
        }
    }

    /// Whether a lock of this mode and one of `other` cannot be held at once (the manual's
    /// table 13.2).
    pub fn conflicts_with(self, other: LockMode) -> bool {
        use LockMode::*;
        let conflicting: &[LockMode] = match self {
            AccessShare => &[AccessExclusive],
            RowShare => &[Exclusive, AccessExclusive],
            RowExclusive => &[Share, ShareRowExclusive, Exclusive, AccessExclusive],
            ShareUpdateExclusive => &[ShareUpdateExclusive, Share, ShareRowExclusive, Exclusive, AccessExclusive],
            Share => &[RowExclusive, ShareUpdateExclusive, ShareRowExclusive, Exclusive, AccessExclusive],
            ShareRowExclusive => &[RowExclusive, ShareUpdateExclusive, Share, ShareRowExclusive, Exclusive, AccessExclusive],
            Exclusive => &[RowShare, RowExclusive, ShareUpdateExclusive, Share, ShareRowExclusive, Exclusive, AccessExclusive],
            AccessExclusive => &LockMode::ALL,
        };
        conflicting.contains(&other)
    }

    /// What a lock of this mode blocks: reads take ACCESS SHARE, writes ROW EXCLUSIVE.
    pub fn blocks(self) -> Blocks {
        if self.conflicts_with(LockMode::AccessShare) {
            Blocks::ReadsAndWrites
        } else if self.conflicts_with(LockMode::RowExclusive) {
            Blocks::Writes
        } else {
            Blocks::DdlOnly
        }
    }
}

/// Rank of a mode written as `pg_locks` names it, weakest 0 (a name that is not a table lock
/// mode ranks lowest): for rows that hold the mode as text.
pub fn strength(mode: &str) -> usize {
    mode.parse::<LockMode>().map_or(0, |m| m as usize)
}

impl fmt::Display for LockMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl FromStr for LockMode {
    type Err = UnknownLockMode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        LockMode::ALL.into_iter().find(|m| m.as_str() == s).ok_or_else(|| UnknownLockMode(s.to_owned()))
    }
}

impl TryFrom<String> for LockMode {
    type Error = UnknownLockMode;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<LockMode> for &'static str {
    fn from(mode: LockMode) -> Self {
        mode.as_str()
    }
}

impl PartialEq<str> for LockMode {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for LockMode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_conflict_matrix_is_symmetric_and_says_what_each_mode_blocks() {
        for a in LockMode::ALL {
            for b in LockMode::ALL {
                assert_eq!(a.conflicts_with(b), b.conflicts_with(a), "{a} / {b}");
            }
        }
        assert_eq!(LockMode::AccessExclusive.blocks(), Blocks::ReadsAndWrites);
        assert_eq!(LockMode::ShareRowExclusive.blocks(), Blocks::Writes);
        assert_eq!(LockMode::Share.blocks(), Blocks::Writes);
        assert_eq!(LockMode::Exclusive.blocks(), Blocks::Writes);
        assert_eq!(LockMode::ShareUpdateExclusive.blocks(), Blocks::DdlOnly);
        assert_eq!(LockMode::RowExclusive.blocks(), Blocks::DdlOnly);
        assert_eq!(LockMode::AccessShare.blocks(), Blocks::DdlOnly);
        assert_eq!(LockMode::ShareRowExclusive.sql_name(), "SHARE ROW EXCLUSIVE");
    }

    #[test]
    fn modes_read_and_write_as_pg_locks_names_them_weakest_first() {
        for (rank, m) in LockMode::ALL.into_iter().enumerate() {
            assert_eq!(m.as_str().parse::<LockMode>(), Ok(m));
            assert_eq!(serde_json::to_string(&m).unwrap(), format!("\"{m}\""));
            assert_eq!(serde_json::from_str::<LockMode>(&format!("\"{m}\"")).unwrap(), m);
            assert_eq!(strength(m.as_str()), rank);
            assert_eq!(m.sql_name().replace(' ', "").to_lowercase(), m.as_str().trim_end_matches("Lock").to_lowercase());
        }
        assert!(LockMode::Share < LockMode::AccessExclusive);
        assert_eq!("AdvisoryLock".parse::<LockMode>(), Err(UnknownLockMode("AdvisoryLock".into())));
        assert!(serde_json::from_str::<LockMode>("\"AdvisoryLock\"").is_err());
        assert_eq!(strength("AdvisoryLock"), 0);
    }
}
