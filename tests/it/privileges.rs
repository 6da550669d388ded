//! The privileges of new objects on what differs between versions: PostgreSQL 17's MAINTAIN
//! privilege on tables is expected on a new table like any other privilege the pre-existing
//! ones grant.

use pgstage::check::privileges;
use pgstage::db::snapshot::Snapshot;
use pgstage::run_result::Status;

use crate::support::{Template, fresh_db, server_version_num};

#[tokio::test]
async fn a_new_table_without_the_maintain_grant_the_others_have_is_reported_on_17() {
    let db = fresh_db(Template::Empty).await;
    if server_version_num(&db.client).await < 170_000 {
        return;
    }
    let role = format!("{}_maint", db.name);
    db.client
        .batch_execute(&format!(
            "CREATE ROLE {role}; CREATE TABLE a (id int); CREATE TABLE b (id int);
             GRANT MAINTAIN ON a, b TO {role};"
        ))
        .await
        .unwrap();
    let baseline = Snapshot::take(&db.client).await.unwrap();
    db.client.batch_execute("CREATE TABLE c (id int)").await.unwrap();
    let now = Snapshot::take(&db.client).await.unwrap();
    let result = privileges::check(&db.client, "public", &baseline, &now).await.unwrap();
    let said = format!("{} {}", result.actual, result.detail);
    let _ = db.client.batch_execute(&format!("DROP TABLE a, b, c; DROP ROLE {role}")).await;
    assert_eq!(result.status, Status::Fail, "{said}");
    assert!(said.contains(&format!("{role} lacks MAINTAIN on public.c")), "{said}");
}
