//! The target guard: the plan says which databases it may run against; a database named
//! or marked as production is refused unless the operator explicitly overrides.

use tokio_postgres::Client;

use crate::db::DbError;
use crate::plan::TargetGuard;

/// Why a target is refused, or `None` when it is allowed.
pub async fn refusal(client: &Client, guard: &TargetGuard, host: &str) -> Result<Option<String>, DbError> {
    let row = client
        .query_one(
            "SELECT current_database(),
                    coalesce(current_setting('pgstage.environment', true), ''),
                    coalesce(shobj_description((SELECT oid FROM pg_database WHERE datname = current_database()), 'pg_database'), '')",
            &[],
        )
        .await
        .map_err(DbError::query)?;
    let (dbname, environment, comment): (String, String, String) = (row.get(0), row.get(1), row.get(2));
    Ok(judge(guard, &dbname, host, &environment, &comment))
}

/// The host of a session's `user@host:port/dbname` target, as the guard matches it.
pub fn host_of(target: &str) -> String {
    target.split('@').nth(1).unwrap_or("").split([':', '/']).next().unwrap_or("").to_owned()
}

/// The guard's decision from the facts (pure, for tests).
pub fn judge(guard: &TargetGuard, dbname: &str, host: &str, environment: &str, comment: &str) -> Option<String> {
    if let Some(p) = guard.deny_databases.iter().find(|p| glob(p, dbname)) {
        return Some(format!("database \"{dbname}\" matches the plan's denied pattern \"{p}\""));
    }
    if let Some(p) = guard.deny_hosts.iter().find(|p| glob(p, host)) {
        return Some(format!("host \"{host}\" matches the plan's denied pattern \"{p}\""));
    }
    if guard.refuse_marked_production {
        if environment.to_ascii_lowercase().contains("prod") {
            return Some(format!("database \"{dbname}\" is marked as production (pgstage.environment = '{environment}')"));
        }
        if comment.to_ascii_lowercase().contains("production") {
            return Some(format!("database \"{dbname}\" is marked as production in its comment"));
        }
    }
    if !guard.allow_databases.is_empty() && !guard.allow_databases.iter().any(|p| glob(p, dbname)) {
        return Some(format!(
            "database \"{dbname}\" is not among the plan's allowed databases ({})",
            guard.allow_databases.join(", ")
        ));
    }
    None
}

/// Case-insensitive glob with `*` and `?`.
fn glob(pattern: &str, text: &str) -> bool {
    fn go(p: &[char], t: &[char]) -> bool {
        match (p.first(), t.first()) {
            (None, None) => true,
            (Some('*'), _) => go(&p[1..], t) || (!t.is_empty() && go(p, &t[1..])),
            (Some('?'), Some(_)) => go(&p[1..], &t[1..]),
            (Some(a), Some(b)) => a == b && go(&p[1..], &t[1..]),
            _ => false,
        }
    }
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    let t: Vec<char> = text.to_lowercase().chars().collect();
    go(&p, &t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard() -> TargetGuard {
        TargetGuard {
            allow_databases: vec!["*staging*".into(), "pgstage_*".into()],
            deny_databases: vec!["*prod*".into()],
            deny_hosts: vec!["db-prod-?.example".into()],
            refuse_marked_production: true,
        }
    }

    #[test]
    fn glob_matches_like_a_shell() {
        assert!(glob("*prod*", "app_PROD_1"));
        assert!(glob("db-?", "db-1"));
        assert!(!glob("db-?", "db-12"));
        assert!(glob("pgstage_*", "pgstage_"));
        assert!(!glob("pgstage_*", "xpgstage_a"));
    }

    #[test]
    fn guard_refuses_production_and_unlisted_databases() {
        let g = guard();
        assert_eq!(judge(&g, "app_staging", "db1", "", ""), None);
        assert!(judge(&g, "app_production", "db1", "", "").unwrap().contains("denied pattern \"*prod*\""));
        assert!(judge(&g, "app_staging", "db-prod-1.example", "", "").unwrap().contains("host"));
        assert!(judge(&g, "app_staging", "db1", "Production", "").unwrap().contains("marked as production"));
        assert!(judge(&g, "app_staging", "db1", "", "LIVE production data").unwrap().contains("comment"));
        assert!(judge(&g, "analytics", "db1", "", "").unwrap().contains("not among the plan's allowed"));
        let open = TargetGuard { refuse_marked_production: false, ..TargetGuard::default() };
        assert_eq!(judge(&open, "anything", "h", "production", ""), None);
    }
}
