//! The integrity checks on what differs between PostgreSQL versions: on 18, NOT NULL
//! constraints and foreign keys can be NOT VALID / NOT ENFORCED, and a foreign key with
//! PERIOD is kept by parents whose periods cover the child's together, not by an equal one.

use pgstage::check::integrity::{self, OrphanScope};
use pgstage::run_result::Status;

use crate::support::{Template, fresh_db, server_version_num};

#[tokio::test]
async fn not_valid_not_nulls_and_not_enforced_foreign_keys_are_not_validated_on_18() {
    let db = fresh_db(Template::Empty).await;
    if server_version_num(&db.client).await < 180_000 {
        return;
    }
    db.client
        .batch_execute(
            "CREATE TABLE parent (id int PRIMARY KEY);
             CREATE TABLE child (p int REFERENCES parent (id) NOT ENFORCED, n int);
             INSERT INTO child VALUES (7, NULL);
             ALTER TABLE child ADD CONSTRAINT child_n_nn NOT NULL n NOT VALID;",
        )
        .await
        .unwrap();
    let validated = integrity::constraints_validated(&db.client).await.unwrap();
    assert_eq!(validated.status, Status::Fail);
    assert_eq!(validated.detail, "public.child.child_n_nn, public.child.child_p_fkey");
    // Not enforced is not "no orphans": the row without a parent is one, and such a key is
    // scanned even when only the keys PostgreSQL does not guarantee are.
    let orphans = integrity::no_orphans(&db.client, 10_000, OrphanScope::Unguaranteed { changed: &[] }).await.unwrap();
    assert_eq!((orphans.status, orphans.detail.as_str()), (Status::Fail, "public.child.child_p_fkey: 1"));
}

#[tokio::test]
async fn a_foreign_key_with_period_is_kept_by_parents_covering_the_period_on_18() {
    let db = fresh_db(Template::Empty).await;
    if server_version_num(&db.client).await < 180_000 {
        return;
    }
    db.client
        .batch_execute(
            "CREATE TABLE rooms (room int4range, during daterange, PRIMARY KEY (room, during WITHOUT OVERLAPS));
             CREATE TABLE bookings (room int4range, during daterange,
                 FOREIGN KEY (room, PERIOD during) REFERENCES rooms (room, PERIOD during));
             INSERT INTO rooms VALUES ('[1,2)', '[2024-01-01,2024-02-01)'), ('[1,2)', '[2024-02-01,2024-03-01)');
             -- Within one parent's period, and across both: no equal parent, yet no orphan.
             INSERT INTO bookings VALUES ('[1,2)', '[2024-01-05,2024-01-09)'), ('[1,2)', '[2024-01-20,2024-02-10)');",
        )
        .await
        .unwrap();
    let orphans = integrity::no_orphans(&db.client, 10_000, OrphanScope::All).await.unwrap();
    assert_eq!((orphans.status, orphans.actual.as_str()), (Status::Pass, "0 orphaned rows"), "{}", orphans.detail);
    // A row outside every period, written past the key (as a bulk load with triggers off would).
    db.client
        .batch_execute(
            "SET session_replication_role = replica;
             INSERT INTO bookings VALUES ('[1,2)', '[2024-02-20,2024-03-10)'), ('[5,6)', '[2024-01-01,2024-01-02)');
             RESET session_replication_role;",
        )
        .await
        .unwrap();
    let orphans = integrity::no_orphans(&db.client, 10_000, OrphanScope::All).await.unwrap();
    assert_eq!((orphans.status, orphans.detail.as_str()), (Status::Fail, "public.bookings.bookings_room_during_fkey: 2"));
}
