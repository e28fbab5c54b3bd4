//! An interaction's statements share one connection (`store::held`): seen through a TEMP table,
//! which only the connection that made it can see. Outside `hold`, statements borrow from the
//! pool as before; inside, nothing ever waits on the held connection.

mod harness;

use backbone::store::{Store, held};
use harness::*;

/// Makes a TEMP table on whichever connection runs the statement.
async fn make_temp(store: &Store) {
    sqlx::query("CREATE TEMP TABLE IF NOT EXISTS mine (x INTEGER)")
        .execute(store.pool().held())
        .await
        .expect("create temp table");
}

/// Whether the connection that runs this statement has the TEMP table.
async fn sees_temp(store: &Store) -> bool {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM temp.sqlite_master WHERE name = 'mine'")
        .fetch_one(store.pool().held())
        .await
        .expect("look for the temp table");
    n == 1
}

/// Fills the pool so it has several idle connections to hand out.
async fn warm_pool(store: &Store) {
    let conns: Vec<_> = futures::future::join_all((0..4).map(|_| store.pool().pool().acquire()))
        .await
        .into_iter()
        .map(|c| c.expect("acquire"))
        .collect();
    drop(conns);
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
}

#[tokio::test]
async fn statements_in_hold_share_one_connection() {
    let w = World::new().await;
    warm_pool(&w.store).await;
    held::hold(async {
        make_temp(&w.store).await;
        for _ in 0..5 {
            assert!(
                sees_temp(&w.store).await,
                "a later statement ran on another connection"
            );
        }
        // The write transaction runs on the same connection too.
        let mut tx = w.store.write().await.expect("begin");
        let n: i64 =
            backbone::store::sql::query_scalar("SELECT COUNT(*) FROM temp.sqlite_master WHERE name = 'mine'")
                .fetch_one(&mut *tx)
                .await
                .expect("read in tx");
        assert_eq!(n, 1, "the transaction ran on another connection");
        // While the transaction has it, a statement beside it borrows from the pool and does
        // not wait.
        let beside = tokio::time::timeout(std::time::Duration::from_secs(5), sees_temp(&w.store))
            .await
            .expect("a statement beside the transaction waited on it");
        assert!(!beside);
        tx.commit().await.expect("commit");
    })
    .await;
}

#[tokio::test]
async fn without_hold_statements_use_the_pool() {
    let w = World::new().await;
    warm_pool(&w.store).await;
    make_temp(&w.store).await;
    let mut seen = 0;
    for _ in 0..8 {
        seen += sees_temp(&w.store).await as usize;
    }
    assert!(
        seen < 8,
        "every statement reached the one connection without a hold"
    );
}

#[tokio::test]
async fn release_gives_the_connection_back() {
    let w = World::new().await;
    warm_pool(&w.store).await;
    held::hold(async {
        make_temp(&w.store).await;
        assert!(sees_temp(&w.store).await);
        held::release();
        let mut seen = 0;
        for _ in 0..8 {
            seen += sees_temp(&w.store).await as usize;
        }
        assert!(seen < 8, "statements after release stayed on the held connection");
    })
    .await;
}

#[tokio::test]
async fn concurrent_statements_in_one_hold_do_not_wait_on_each_other() {
    let w = World::new().await;
    held::hold(async {
        make_temp(&w.store).await;
        let all = futures::future::join_all((0..6).map(|_| sees_temp(&w.store)));
        let seen = tokio::time::timeout(std::time::Duration::from_secs(5), all)
            .await
            .expect("statements of one hold deadlocked");
        assert!(seen.iter().any(|s| *s), "none ran on the held connection");
    })
    .await;
}

#[tokio::test]
async fn a_failed_statement_keeps_the_connection_usable() {
    let w = World::new().await;
    held::hold(async {
        make_temp(&w.store).await;
        let bad = sqlx::query("SELECT * FROM no_such_table")
            .fetch_all(w.store.pool().held())
            .await;
        assert!(bad.is_err());
        assert!(
            sees_temp(&w.store).await,
            "the held connection was lost after an error"
        );
    })
    .await;
}
