//! Index usage: the plan of each listed query (EXPLAIN, FORMAT JSON) must use an index, and
//! the named one when the plan names it. Sequential scans are discouraged for the EXPLAIN
//! (`enable_seqscan = off`) so that small staging tables still show whether an index *can*
//! serve the query.

use std::time::Instant;

use tokio_postgres::Client;

use crate::db::{DbError, describe};
use crate::plan::IndexUsage;
use crate::run_result::{CheckResult, Status};

pub async fn index_usage(client: &Client, usage: &IndexUsage, statement_timeout_ms: u64) -> Result<CheckResult, DbError> {
    let started = Instant::now();
    client
        .batch_execute(&format!(
            "BEGIN READ ONLY; SET LOCAL statement_timeout = {statement_timeout_ms}; SET LOCAL enable_seqscan = off"
        ))
        .await
        .map_err(DbError::query)?;
    let explained = client.query_one(&format!("EXPLAIN (FORMAT JSON) {}", usage.sql), &[]).await;
    client.batch_execute("ROLLBACK").await.map_err(DbError::query)?;
    let expected = match &usage.index {
        Some(name) => format!("uses index {name}"),
        None => "uses an index".to_owned(),
    };
    let mut result = CheckResult {
        id: usage.id.clone(),
        group: "performance".into(),
        title: usage.title.clone(),
        expected,
        actual: String::new(),
        status: Status::Fail,
        duration_ms: 0.0,
        sql: usage.sql.clone(),
        detail: String::new(),
        metric: None,
    };
    match explained {
        Err(e) => {
            result.actual = "error".into();
            result.detail = describe(&e);
        }
        Ok(row) => {
            let plan: serde_json::Value = row.get(0);
            let mut indexes = Vec::new();
            let mut nodes = Vec::new();
            walk(&plan, &mut indexes, &mut nodes);
            result.actual = if indexes.is_empty() { format!("no index ({})", nodes.join(", ")) } else { indexes.join(", ") };
            let ok = match &usage.index {
                Some(name) => indexes.iter().any(|i| i == name),
                None => !indexes.is_empty(),
            };
            result.status = if ok { Status::Pass } else { Status::Fail };
        }
    }
    result.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    Ok(result)
}

/// Collect index names and node types from an EXPLAIN JSON plan.
fn walk(value: &serde_json::Value, indexes: &mut Vec<String>, nodes: &mut Vec<String>) {
    match value {
        serde_json::Value::Array(items) => items.iter().for_each(|v| walk(v, indexes, nodes)),
        serde_json::Value::Object(map) => {
            if let Some(serde_json::Value::String(node)) = map.get("Node Type") {
                nodes.push(node.clone());
            }
            if let Some(serde_json::Value::String(index)) = map.get("Index Name") {
                indexes.push(index.clone());
            }
            map.values().for_each(|v| walk(v, indexes, nodes));
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walk_finds_nested_index_scans() {
        let plan: serde_json::Value = serde_json::from_str(
            r#"[{"Plan": {"Node Type": "Nested Loop", "Plans": [
                {"Node Type": "Seq Scan", "Relation Name": "a"},
                {"Node Type": "Bitmap Heap Scan", "Plans": [{"Node Type": "Bitmap Index Scan", "Index Name": "a_ws_idx"}]}
            ]}}]"#,
        )
        .unwrap();
        let (mut indexes, mut nodes) = (vec![], vec![]);
        walk(&plan, &mut indexes, &mut nodes);
        assert_eq!(indexes, ["a_ws_idx"]);
        assert_eq!(nodes, ["Nested Loop", "Seq Scan", "Bitmap Heap Scan", "Bitmap Index Scan"]);
    }
}
