//! Correctness fixes from the review: a creator's rights end with their membership, a member's
//! org can be cleared, a win keeps the org it was logged with, stored statuses and roles are read
//! strictly, and a race loser is told plainly who won.

mod harness;
use harness::*;

use backbone::actions::members::{self, AddMember};
use backbone::actions::tasks::{self, ReassignTask, SetDue, TaskSel};
use backbone::actions::{digest, orgs, wins};
use backbone::domain::*;

async fn add_org(w: &World, name: &str) -> Org {
    let input = orgs::AddOrg {
        coalition: None,
        name: name.into(),
    };
    orgs::add(&w.store, &w.actor(LEAD), w.now, input)
        .await
        .unwrap()
        .org
}

async fn set_org(w: &World, user: UserId, org: &str) -> backbone::Result<members::MemberAdded> {
    let input = AddMember {
        coalition: None,
        user,
        user_name: String::new(),
        role: None,
        org: Some(org.into()),
    };
    members::add(&w.store, &w.actor(LEAD), w.now, input).await
}

async fn remove(w: &World, user: UserId) {
    let input = members::RemoveMember {
        coalition: None,
        user,
    };
    members::remove(&w.store, &w.actor(LEAD), w.now, input)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_creator_who_left_can_no_longer_reassign_or_move_their_task() {
    let w = World::new().await;
    let c = w.climate().await;
    let t = assign(&w, MEMBER, &c, "Flyers", MEMBER2, Some("in 5 days")).await;
    // While a member, the creator may move it.
    let due = |d: &str| SetDue {
        coalition: None,
        task: TaskSel::Id(t.id),
        due: d.into(),
    };
    tasks::set_due(&w.store, &w.actor(MEMBER), w.now, due("in 6 days"))
        .await
        .unwrap();

    remove(&w, MEMBER).await;
    let before = people_state(&w).await;
    let msg = user_err(
        tasks::set_due(&w.store, &w.actor(MEMBER), w.now, due("in 9 days")).await,
        "no longer a member",
    );
    assert!(msg.contains("#1"), "{msg}");
    let reassign = ReassignTask {
        coalition: None,
        task: TaskSel::Id(t.id),
        assignee: LEAD,
        assignee_name: "Lea".into(),
    };
    user_err(
        tasks::reassign(&w.store, &w.actor(MEMBER), w.now, reassign.clone()).await,
        "no longer a member",
    );
    assert_eq!(people_state(&w).await, before, "nothing changed");
    // A lead still can.
    tasks::reassign(&w.store, &w.actor(LEAD), w.now, reassign)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_members_org_can_be_cleared_and_is_kept_when_not_given() {
    let w = World::new().await;
    let c = w.climate().await;
    add_org(&w, "Green Org").await;
    let out = set_org(&w, MEMBER, "green org").await.unwrap();
    assert_eq!(out.org.as_deref(), Some("Green Org"));

    // Changing only the role keeps the org.
    let promote = AddMember {
        coalition: None,
        user: MEMBER,
        user_name: String::new(),
        role: Some(Role::Lead),
        org: None,
    };
    let out = members::add(&w.store, &w.actor(LEAD), w.now, promote)
        .await
        .unwrap();
    assert_eq!(out.org.as_deref(), Some("Green Org"));

    let before = w.events(&c).await;
    let out = set_org(&w, MEMBER, "none").await.unwrap();
    assert_eq!(out.org, None);
    let m = backbone::store::members::get(&w.store, c.id, MEMBER)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((m.org_id, m.role), (None, Role::Lead));
    assert_eq!(w.events(&c).await, before + 1);

    // "none" can't become an org's name, so it always means "no org".
    let input = orgs::AddOrg {
        coalition: None,
        name: "None".into(),
    };
    user_err(orgs::add(&w.store, &w.actor(LEAD), w.now, input).await, "no org");
}

#[tokio::test]
async fn a_win_keeps_the_org_it_was_logged_with() {
    let w = World::new().await;
    let c = w.climate().await;
    add_org(&w, "Green Org").await;
    add_org(&w, "Blue Org").await;
    set_org(&w, MEMBER, "Green Org").await.unwrap();
    let input = wins::LogWin {
        text: "Venue booked".into(),
        ..Default::default()
    };
    let logged = wins::log(&w.store, &w.actor(MEMBER), w.now, input).await.unwrap();
    assert_eq!(logged.org_name.as_deref(), Some("Green Org"));

    // The author moves to another org and the old one is removed.
    set_org(&w, MEMBER, "Blue Org").await.unwrap();
    let input = orgs::RemoveOrg {
        coalition: None,
        name: "Green Org".into(),
    };
    orgs::remove(&w.store, &w.actor(LEAD), w.now, input)
        .await
        .unwrap();

    let list = wins::list(&w.store, &w.actor(MEMBER), w.now, Default::default())
        .await
        .unwrap();
    assert_eq!(list.wins[0].org_name.as_deref(), Some("Green Org"), "/win list");
    let d = digest::build(&w.store, &c, w.now + chrono::Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(d.wins[0].org.as_deref(), Some("Green Org"), "the digest");
    let tables = backbone::store::export::dump(&w.store, c.id).await.unwrap();
    let wins_table = tables.iter().find(|t| t.name == "wins").unwrap();
    let col = wins_table.columns.iter().position(|c| *c == "org_name").unwrap();
    assert_eq!(
        wins_table.rows[0][col],
        backbone::store::export::Cell::Text("Green Org".into()),
        "the export"
    );

    // A win logged without an org never borrows its author's current one.
    set_org(&w, MEMBER2, "Blue Org").await.unwrap();
    backbone::store::members::get(&w.store, c.id, MEMBER2)
        .await
        .unwrap()
        .unwrap();
    w.raw_win(&c, MEMBER2, "Old win", w.now.timestamp() - 60).await;
    let d = digest::build(&w.store, &c, w.now + chrono::Duration::hours(1))
        .await
        .unwrap();
    let old = d.wins.iter().find(|x| x.text == "Old win").unwrap();
    assert_eq!(old.org, None);
}

/// Bypasses the schema's CHECK the way a newer release's data would look to this one.
async fn force(w: &World, sql: &str) {
    let mut conn = w.store.pool().pool().acquire().await.unwrap();
    sqlx::query("PRAGMA ignore_check_constraints = ON")
        .execute(&mut *conn)
        .await
        .unwrap();
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .execute(&mut *conn)
        .await
        .unwrap();
    sqlx::query("PRAGMA ignore_check_constraints = OFF")
        .execute(&mut *conn)
        .await
        .unwrap();
}

#[tokio::test]
async fn an_unknown_stored_status_or_role_fails_loudly_instead_of_reading_as_open_or_member() {
    let w = World::new().await;
    let c = w.climate().await;
    let t = assign(&w, LEAD, &c, "Flyers", MEMBER, None).await;
    force(
        &w,
        &format!("UPDATE tasks SET status = 'archived' WHERE id = {}", t.id),
    )
    .await;
    match tasks::get_by_id(&w.store, GUILD, t.id).await {
        Err(backbone::Error::Internal(e)) => assert!(e.contains("archived"), "{e}"),
        other => panic!("expected a decode error, got {other:?}"),
    }

    force(
        &w,
        &format!("UPDATE members SET role = 'owner' WHERE user_id = {}", MEMBER2.0),
    )
    .await;
    match backbone::store::members::get(&w.store, c.id, MEMBER2).await {
        Err(backbone::Error::Internal(e)) => assert!(e.contains("owner"), "{e}"),
        other => panic!("expected a decode error, got {other:?}"),
    }
}
