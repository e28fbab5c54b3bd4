//! Members: adding and updating them, removing them, listing them by org.

mod harness;
use harness::*;

use backbone::actions::members::{self, AddMember, RemoveMember};
use backbone::actions::{orgs, roles};
use backbone::domain::*;
use backbone::store;

fn adding(user: UserId, role: Option<Role>, org: Option<&str>) -> AddMember {
    AddMember {
        coalition: None,
        user,
        user_name: format!("user{}", user.0),
        role,
        org: org.map(Into::into),
    }
}

fn removing(user: UserId) -> RemoveMember {
    RemoveMember {
        coalition: None,
        user,
    }
}

async fn add_org(w: &World, name: &str) -> Org {
    orgs::add(
        &w.store,
        &w.actor(LEAD),
        w.now,
        orgs::AddOrg {
            coalition: None,
            name: name.into(),
        },
    )
    .await
    .unwrap()
    .org
}

async fn member_row(w: &World, c: &Coalition, user: UserId) -> Option<Member> {
    store::members::get(&w.store, c.id, user).await.unwrap()
}

async fn give(w: &World, user: UserId, responsibility: &str) {
    let input = roles::AssignRole {
        coalition: None,
        user,
        responsibility: responsibility.into(),
    };
    roles::assign(&w.store, &w.actor(LEAD), w.now, input)
        .await
        .unwrap();
}

#[tokio::test]
async fn lead_adds_a_member_with_an_org() {
    let w = World::new().await;
    let c = w.climate().await;
    let sunrise = add_org(&w, "Sunrise").await;
    let events = w.events(&c).await;
    let added = members::add(
        &w.store,
        &w.actor(LEAD),
        w.now,
        adding(OUTSIDER, None, Some("sunrise")),
    )
    .await
    .unwrap();
    assert!(added.is_new);
    assert_eq!(
        (added.role, added.org.as_deref(), added.name.as_str()),
        (Role::Member, Some("Sunrise"), "user5")
    );
    let m = member_row(&w, &c, OUTSIDER).await.unwrap();
    assert_eq!(
        (m.role, m.org_id, m.display_name.as_str()),
        (Role::Member, Some(sunrise.id), "user5")
    );
    assert_eq!(w.events(&c).await, events + 1);
}

#[tokio::test]
async fn adding_an_existing_member_updates_role_and_keeps_their_org() {
    let w = World::new().await;
    let c = w.climate().await;
    let sunrise = add_org(&w, "Sunrise").await;
    members::add(
        &w.store,
        &w.actor(LEAD),
        w.now,
        adding(MEMBER, None, Some("Sunrise")),
    )
    .await
    .unwrap();
    let events = w.events(&c).await;
    let updated = members::add(
        &w.store,
        &w.actor(LEAD),
        w.now,
        adding(MEMBER, Some(Role::Lead), None),
    )
    .await
    .unwrap();
    assert!(!updated.is_new);
    assert_eq!(
        (updated.role, updated.org.as_deref()),
        (Role::Lead, Some("Sunrise"))
    );
    let m = member_row(&w, &c, MEMBER).await.unwrap();
    assert_eq!((m.role, m.org_id), (Role::Lead, Some(sunrise.id)));
    // Without a role, an update keeps the current one.
    let again = members::add(&w.store, &w.actor(LEAD), w.now, adding(MEMBER, None, None))
        .await
        .unwrap();
    assert_eq!(again.role, Role::Lead);
    assert_eq!(w.events(&c).await, events + 2);
}

#[tokio::test]
async fn member_cannot_add_members() {
    let w = World::new().await;
    w.climate().await;
    let before = people_state(&w).await;
    user_err(
        members::add(&w.store, &w.actor(MEMBER), w.now, adding(OUTSIDER, None, None)).await,
        "Only leads",
    );
    assert_eq!(people_state(&w).await, before);
}

#[tokio::test]
async fn non_member_cannot_add_members() {
    let w = World::new().await;
    w.climate().await;
    let before = people_state(&w).await;
    user_err(
        members::add(
            &w.store,
            &w.actor(OUTSIDER),
            w.now,
            adding(OUTSIDER, Some(Role::Lead), None),
        )
        .await,
        "Only leads",
    );
    assert_eq!(people_state(&w).await, before);
}

#[tokio::test]
async fn adding_with_an_unknown_org_is_refused() {
    let w = World::new().await;
    w.climate().await;
    let before = people_state(&w).await;
    user_err(
        members::add(
            &w.store,
            &w.actor(LEAD),
            w.now,
            adding(OUTSIDER, None, Some("Nobody")),
        )
        .await,
        "`/org list`",
    );
    assert_eq!(people_state(&w).await, before);
}

#[tokio::test]
async fn demoting_the_last_lead_is_refused() {
    let w = World::new().await;
    let c = w.coalition("Solo Coalition").await;
    let before = people_state(&w).await;
    let input = AddMember {
        coalition: Some(c.name.clone()),
        ..adding(ADMIN, Some(Role::Member), None)
    };
    let msg = user_err(
        members::add(&w.store, &w.actor(ADMIN), w.now, input).await,
        "last lead",
    );
    assert!(msg.contains("role:lead"), "{msg}");
    assert_eq!(people_state(&w).await, before);
}

#[tokio::test]
async fn a_lead_can_be_demoted_while_another_remains() {
    let w = World::new().await;
    let c = w.climate().await;
    members::add(
        &w.store,
        &w.actor(ADMIN),
        w.now,
        adding(LEAD, Some(Role::Member), None),
    )
    .await
    .unwrap();
    assert_eq!(member_row(&w, &c, LEAD).await.unwrap().role, Role::Member);
}

#[tokio::test]
async fn lead_removes_a_member_and_their_open_tasks_are_listed() {
    let w = World::new().await;
    let c = w.climate().await;
    w.raw_task(
        &c,
        RawTask {
            title: "Flyers",
            assignee: Some(MEMBER),
            ..Default::default()
        },
    )
    .await;
    w.raw_task(
        &c,
        RawTask {
            title: "Old",
            assignee: Some(MEMBER),
            status: "done",
            ..Default::default()
        },
    )
    .await;
    w.raw_task(
        &c,
        RawTask {
            title: "Other",
            assignee: Some(MEMBER2),
            ..Default::default()
        },
    )
    .await;
    give(&w, MEMBER, "comms").await;
    let events = w.events(&c).await;
    let removed = members::remove(&w.store, &w.actor(LEAD), w.now, removing(MEMBER))
        .await
        .unwrap();
    assert_eq!((removed.user_id, removed.name.as_str()), (MEMBER, "user3"));
    let listed: Vec<(i64, &str)> = removed
        .unassigned
        .iter()
        .map(|t| (t.number, t.title.as_str()))
        .collect();
    assert_eq!(listed, [(1, "Flyers")]);
    assert!(member_row(&w, &c, MEMBER).await.is_none());
    assert_eq!(w.rows_in("responsibilities", &c).await, 0);
    let unassigned: i64 = backbone::store::sql::query_scalar(
        "SELECT COUNT(*) FROM tasks WHERE coalition_id = ? AND assignee_id IS NULL",
    )
    .bind(c.id)
    .fetch_one(w.store.pool())
    .await
    .unwrap();
    assert_eq!(unassigned, 1);
    assert_eq!(w.events(&c).await, events + 1);
}

#[tokio::test]
async fn removing_the_last_lead_is_refused() {
    let w = World::new().await;
    let c = w.coalition("Solo Coalition").await;
    let before = people_state(&w).await;
    let input = RemoveMember {
        coalition: Some(c.name.clone()),
        user: ADMIN,
    };
    user_err(
        members::remove(&w.store, &w.actor(ADMIN), w.now, input).await,
        "last lead",
    );
    assert_eq!(people_state(&w).await, before);
}

#[tokio::test]
async fn removing_someone_who_is_not_a_member_is_refused() {
    let w = World::new().await;
    w.climate().await;
    let before = people_state(&w).await;
    user_err(
        members::remove(&w.store, &w.actor(LEAD), w.now, removing(OUTSIDER)).await,
        "isn't a member",
    );
    assert_eq!(people_state(&w).await, before);
}

#[tokio::test]
async fn member_cannot_remove_members() {
    let w = World::new().await;
    w.climate().await;
    let before = people_state(&w).await;
    user_err(
        members::remove(&w.store, &w.actor(MEMBER), w.now, removing(MEMBER2)).await,
        "Only leads",
    );
    assert_eq!(people_state(&w).await, before);
}

#[tokio::test]
async fn member_list_groups_by_org_with_leads_first_and_no_org_last() {
    type Group<'a> = (Option<&'a str>, Vec<(UserId, Role)>);
    let w = World::new().await;
    let _c = w.climate().await;
    add_org(&w, "Sunrise").await;
    add_org(&w, "Audubon").await;
    members::add(
        &w.store,
        &w.actor(LEAD),
        w.now,
        adding(MEMBER, None, Some("Sunrise")),
    )
    .await
    .unwrap();
    members::add(
        &w.store,
        &w.actor(LEAD),
        w.now,
        adding(LEAD, None, Some("Sunrise")),
    )
    .await
    .unwrap();
    members::add(
        &w.store,
        &w.actor(LEAD),
        w.now,
        adding(MEMBER2, None, Some("Audubon")),
    )
    .await
    .unwrap();
    give(&w, MEMBER, "data").await;
    give(&w, MEMBER, "comms").await;

    let list = members::list(&w.store, &w.actor(OUTSIDER), w.now, None, None)
        .await
        .unwrap();
    let shape: Vec<Group> = list
        .groups
        .iter()
        .map(|g| {
            (
                g.org.as_deref(),
                g.members.iter().map(|m| (m.user_id, m.role)).collect(),
            )
        })
        .collect();
    assert_eq!(
        shape,
        [
            (Some("Audubon"), vec![(MEMBER2, Role::Member)]),
            (Some("Sunrise"), vec![(LEAD, Role::Lead), (MEMBER, Role::Member)]),
            (None, vec![(ADMIN, Role::Lead)]),
        ]
    );
    assert_eq!(list.groups[1].members[1].responsibilities, ["comms", "data"]);

    let only = members::list(&w.store, &w.actor(OUTSIDER), w.now, None, Some("sunrise".into()))
        .await
        .unwrap();
    assert_eq!(only.groups.len(), 1);
    assert_eq!(only.groups[0].members.len(), 2);
}

#[tokio::test]
async fn member_list_with_an_unknown_org_points_to_org_list() {
    let w = World::new().await;
    w.climate().await;
    user_err(
        members::list(&w.store, &w.actor(MEMBER), w.now, None, Some("Nobody".into())).await,
        "`/org list`",
    );
}

#[tokio::test]
async fn other_guild_cannot_see_or_change_members() {
    let w = World::new().await;
    let c = w.climate().await;
    let before = people_state(&w).await;
    let foreign = w.foreign(ADMIN);
    user_err(
        members::list(&w.store, &foreign, w.now, Some("Climate Coalition"), None).await,
        "No coalition named",
    );
    user_err(
        members::list(&w.store, &foreign, w.now, None, None).await,
        "no coalition yet",
    );
    let input = AddMember {
        coalition: Some(c.name.clone()),
        ..adding(OUTSIDER, Some(Role::Lead), None)
    };
    user_err(
        members::add(&w.store, &foreign, w.now, input).await,
        "No coalition named",
    );
    let input = RemoveMember {
        coalition: Some(c.name.clone()),
        user: MEMBER,
    };
    user_err(
        members::remove(&w.store, &foreign, w.now, input).await,
        "No coalition named",
    );
    assert_eq!(people_state(&w).await, before);
}
