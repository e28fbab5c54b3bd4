//! Every command starts from its scope (the coalition it acts on and the actor's membership). On
//! SQLite the scope is kept in memory between commands (`store::scope`); these tests hold that a
//! kept scope is really used, and that no change to a coalition, a membership or a person's own
//! time zone is ever missed: not after it commits, not while it is in flight, not after it rolls
//! back. The same steps run on PostgreSQL, which keeps nothing, for the same answers.

mod harness;

use backbone::actions::{self, Actor, Scope, ts};
use backbone::domain::*;
use backbone::store::sql;
use harness::*;

/// `user`'s scope in the home channel.
async fn scope(w: &World, user: UserId) -> backbone::Result<Scope> {
    actions::scope(&w.store, &w.actor(user), None).await
}

/// The role `user` has in their scope (`None`: not a member).
async fn role(w: &World, user: UserId) -> Option<Role> {
    scope(w, user).await.expect("scope").member.map(|m| m.role)
}

/// Scopes served from memory so far (`None` on PostgreSQL, which keeps none).
fn hits(w: &World) -> Option<u64> {
    w.store.scope_memory().map(|m| m.hits())
}

/// Asserts that the next scope of `user` comes from memory (on SQLite), with `role`.
async fn served_from_memory(w: &World, user: UserId, role_now: Option<Role>) {
    let before = hits(w);
    assert_eq!(role(w, user).await, role_now);
    if let Some(before) = before {
        assert_eq!(hits(w), Some(before + 1), "the second read is served from memory");
    }
}

/// Asserts that the next scope of `user` is read from the database, with `role`.
async fn read_afresh(w: &World, user: UserId, role_now: Option<Role>) {
    let before = hits(w);
    assert_eq!(role(w, user).await, role_now);
    assert_eq!(hits(w), before, "read from the database, not from memory");
}

async fn set_role<'c>(on: impl sql::Conn<'c>, user: UserId, role: &str) {
    sql::query("UPDATE members SET role = ? WHERE user_id = ?")
        .bind(role)
        .bind(user)
        .execute(on)
        .await
        .expect("change the role");
}

#[tokio::test]
async fn every_change_to_what_a_scope_holds_is_seen_by_the_next_command() {
    let w = World::new().await;
    let c = w.climate().await;
    read_afresh(&w, MEMBER, Some(Role::Member)).await;
    served_from_memory(&w, MEMBER, Some(Role::Member)).await;

    // A membership changes: the next command sees the new role, then keeps it.
    set_role(w.store.pool(), MEMBER, "lead").await;
    read_afresh(&w, MEMBER, Some(Role::Lead)).await;
    served_from_memory(&w, MEMBER, Some(Role::Lead)).await;

    // Someone else's change is a change too: every kept scope is read again.
    set_role(w.store.pool(), MEMBER2, "lead").await;
    read_afresh(&w, MEMBER, Some(Role::Lead)).await;

    // Their own time zone.
    assert_eq!(scope(&w, MEMBER).await.unwrap().own_timezone, None);
    actions::me::settings(
        &w.store,
        &w.actor(MEMBER),
        w.now,
        actions::me::ChangeSettings {
            timezone: Some("Asia/Tokyo".into()),
            ..Default::default()
        },
    )
    .await
    .expect("set my time zone");
    assert_eq!(
        scope(&w, MEMBER).await.unwrap().own_timezone.as_deref(),
        Some("Asia/Tokyo")
    );

    // The coalition's name, and which name a command gives.
    actions::coalition_edits::rename(
        &w.store,
        &w.actor(LEAD),
        w.now,
        actions::coalition_edits::RenameCoalition {
            coalition: None,
            name: "River Alliance".into(),
        },
    )
    .await
    .expect("rename");
    let renamed = actions::scope(&w.store, &w.actor(MEMBER), Some("river alliance"))
        .await
        .expect("found by its new name, in any case");
    assert_eq!(renamed.coalition.name, "River Alliance");
    let old = actions::scope(&w.store, &w.actor(MEMBER), Some(&c.name)).await;
    let err = user_err(old, "No coalition");
    assert!(err.contains(&c.name), "{err}");

    // Removed: no longer a member.
    actions::members::remove(
        &w.store,
        &w.actor(LEAD),
        w.now,
        actions::members::RemoveMember {
            coalition: None,
            user: MEMBER,
        },
    )
    .await
    .expect("remove");
    read_afresh(&w, MEMBER, None).await;
    served_from_memory(&w, MEMBER, None).await;

    // Archived: no longer there at all.
    sql::query("UPDATE coalitions SET archived_at = ? WHERE id = ?")
        .bind(ts(w.now))
        .bind(c.id)
        .execute(w.store.pool())
        .await
        .expect("archive");
    assert!(
        scope(&w, MEMBER).await.is_err(),
        "an archived coalition is nobody's scope"
    );
}

#[tokio::test]
async fn a_change_in_flight_is_never_kept_and_shows_once_committed() {
    let w = World::new().await;
    w.climate().await;
    read_afresh(&w, MEMBER, Some(Role::Member)).await;
    served_from_memory(&w, MEMBER, Some(Role::Member)).await;

    let mut tx = w.store.write().await.expect("begin");
    set_role(&mut tx, MEMBER, "lead").await;
    // Not committed: the command sees the committed role, read afresh (the change is made, so
    // the kept scope is not used) and not kept (it is about to be wrong).
    read_afresh(&w, MEMBER, Some(Role::Member)).await;
    read_afresh(&w, MEMBER, Some(Role::Member)).await;
    tx.commit().await.expect("commit");

    read_afresh(&w, MEMBER, Some(Role::Lead)).await;
    served_from_memory(&w, MEMBER, Some(Role::Lead)).await;
}

#[tokio::test]
async fn a_change_rolled_back_leaves_nothing_stale() {
    let w = World::new().await;
    w.climate().await;
    read_afresh(&w, MEMBER, Some(Role::Member)).await;

    let mut tx = w.store.write().await.expect("begin");
    set_role(&mut tx, MEMBER, "lead").await;
    drop(tx); // rolled back
    read_afresh(&w, MEMBER, Some(Role::Member)).await;
    read_afresh(&w, MEMBER, Some(Role::Member)).await;

    // The next change that commits is seen, and scopes are kept again.
    set_role(w.store.pool(), MEMBER, "lead").await;
    read_afresh(&w, MEMBER, Some(Role::Lead)).await;
    served_from_memory(&w, MEMBER, Some(Role::Lead)).await;
}

#[tokio::test]
async fn scopes_are_kept_per_person_and_server() {
    let w = World::new().await;
    w.climate().await;
    let lead: Actor = w.actor(LEAD);
    assert!(actions::scope(&w.store, &lead, None).await.unwrap().is_lead());
    read_afresh(&w, MEMBER, Some(Role::Member)).await;
    served_from_memory(&w, MEMBER, Some(Role::Member)).await;
    assert!(actions::scope(&w.store, &lead, None).await.unwrap().is_lead());
    assert_eq!(role(&w, OUTSIDER).await, None);
    // Another server has no coalition: its people find none, kept or not.
    for _ in 0..2 {
        let err = user_err(actions::scope(&w.store, &w.foreign(MEMBER), None).await, "");
        assert!(err.contains("coalition"), "{err}");
    }
}

#[tokio::test]
async fn coalition_info_shows_every_change_to_its_leads_orgs_members_and_goals() {
    let w = World::new().await;
    let c = w.climate().await;
    let member = w.actor(MEMBER);
    let info = || actions::coalitions::info(&w.store, &member, w.now, None);
    let first = info().await.expect("info");
    assert_eq!((first.orgs.len(), first.goals.len()), (0, 0));
    let before = hits(&w);
    let again = info().await.expect("info");
    assert_eq!(again.member_count, first.member_count);
    if let Some(before) = before {
        assert_eq!(hits(&w), Some(before + 1), "asked again: from memory");
    }

    actions::orgs::add(
        &w.store,
        &w.actor(LEAD),
        w.now,
        actions::orgs::AddOrg {
            coalition: None,
            name: "Green Org".into(),
        },
    )
    .await
    .expect("add an org");
    assert_eq!(info().await.unwrap().orgs, vec!["Green Org".to_string()]);

    w.add_member(&c, OUTSIDER, Role::Lead).await;
    let shown = info().await.unwrap();
    assert_eq!(shown.member_count, first.member_count + 1);
    assert_eq!(shown.leads.len(), first.leads.len() + 1, "{:?}", shown.leads);

    sql::query("INSERT INTO goals (coalition_id, number, title, current, target, status, created_by, created_at) SELECT id, 1, 'Sign 500 petitions', 0, 500, 'active', 2, 0 FROM coalitions")
        .execute(w.store.pool())
        .await
        .expect("a goal");
    assert_eq!(info().await.unwrap().goals.len(), 1);
    sql::query("UPDATE goals SET current = 120")
        .execute(w.store.pool())
        .await
        .expect("progress");
    assert_eq!(info().await.unwrap().goals[0].current, 120.0);
}
