//! Partner organizations: adding, listing with their numbers, removing.

mod harness;
use harness::*;

use backbone::actions::members::AddMember;
use backbone::actions::orgs::{self, AddOrg, RemoveOrg};
use backbone::actions::{coalitions, members};
use backbone::domain::*;
use chrono::{TimeZone, Utc};

async fn add_org(w: &World, name: &str) -> Org {
    orgs::add(
        &w.store,
        &w.actor(LEAD),
        w.now,
        AddOrg {
            coalition: None,
            name: name.into(),
        },
    )
    .await
    .unwrap()
    .org
}

fn named(name: &str) -> AddOrg {
    AddOrg {
        coalition: None,
        name: name.into(),
    }
}

fn removing(name: &str) -> RemoveOrg {
    RemoveOrg {
        coalition: None,
        name: name.into(),
    }
}

async fn org_names(w: &World, c: &Coalition) -> Vec<String> {
    backbone::store::sql::query_scalar("SELECT name FROM orgs WHERE coalition_id = ? ORDER BY name")
        .bind(c.id)
        .fetch_all(w.store.pool())
        .await
        .unwrap()
}

async fn set_org(w: &World, table: &'static str, id: i64, org: OrgId) {
    let sql = if table == "tasks" {
        "UPDATE tasks SET org_id = ? WHERE id = ?"
    } else {
        "UPDATE wins SET org_id = ? WHERE id = ?"
    };
    backbone::store::sql::query(sql)
        .bind(org)
        .bind(id)
        .execute(w.store.pool())
        .await
        .unwrap();
}

async fn put_in_org(w: &World, user: UserId, org: &str) {
    let input = AddMember {
        coalition: None,
        user,
        user_name: format!("user{}", user.0),
        role: None,
        org: Some(org.into()),
    };
    members::add(&w.store, &w.actor(LEAD), w.now, input)
        .await
        .unwrap();
}

#[tokio::test]
async fn lead_adds_an_org() {
    let w = World::new().await;
    let c = w.climate().await;
    let events = w.events(&c).await;
    let added = orgs::add(&w.store, &w.actor(LEAD), w.now, named("  Sunrise   Movement "))
        .await
        .unwrap();
    assert_eq!(
        (added.coalition.as_str(), added.org.name.as_str()),
        ("Climate Coalition", "Sunrise Movement")
    );
    assert_eq!(added.org.coalition_id, c.id);
    assert_eq!(org_names(&w, &c).await, ["Sunrise Movement"]);
    assert_eq!(w.events(&c).await, events + 1);
}

#[tokio::test]
async fn member_cannot_add_an_org() {
    let w = World::new().await;
    w.climate().await;
    let before = people_state(&w).await;
    user_err(
        orgs::add(&w.store, &w.actor(MEMBER), w.now, named("Sunrise")).await,
        "Only leads",
    );
    assert_eq!(people_state(&w).await, before);
}

#[tokio::test]
async fn duplicate_org_name_is_refused_whatever_its_case() {
    let w = World::new().await;
    w.climate().await;
    add_org(&w, "Sunrise").await;
    let before = people_state(&w).await;
    user_err(
        orgs::add(&w.store, &w.actor(LEAD), w.now, named("SUNRISE")).await,
        "already has an org named",
    );
    assert_eq!(people_state(&w).await, before);
}

#[tokio::test]
async fn empty_and_overlong_org_names_are_refused() {
    let w = World::new().await;
    w.climate().await;
    let before = people_state(&w).await;
    user_err(
        orgs::add(&w.store, &w.actor(LEAD), w.now, named(" \n ")).await,
        "empty",
    );
    user_err(
        orgs::add(&w.store, &w.actor(LEAD), w.now, named(&"o".repeat(300))).await,
        "300 characters",
    );
    assert_eq!(people_state(&w).await, before);
}

#[tokio::test]
async fn same_org_name_may_exist_in_two_coalitions() {
    let w = World::new().await;
    w.climate().await;
    let housing = w.coalition("Housing Alliance").await;
    add_org(&w, "Sunrise").await;
    let input = AddOrg {
        coalition: Some("housing alliance".into()),
        name: "Sunrise".into(),
    };
    orgs::add(&w.store, &w.actor(ADMIN), w.now, input).await.unwrap();
    assert_eq!(org_names(&w, &housing).await, ["Sunrise"]);
}

#[tokio::test]
async fn org_list_counts_members_open_tasks_and_wins_this_month_in_local_time() {
    let w = World::new().await;
    let c = w.climate().await;
    let sunrise = add_org(&w, "Sunrise").await;
    add_org(&w, "Audubon").await;
    put_in_org(&w, MEMBER, "Sunrise").await;
    put_in_org(&w, MEMBER2, "sunrise").await;
    for status in ["open", "in_progress", "done"] {
        let (task, _) = w
            .raw_task(
                &c,
                RawTask {
                    title: "Flyers",
                    status,
                    ..Default::default()
                },
            )
            .await;
        set_org(&w, "tasks", task.0, sunrise.id).await;
    }
    // The month starts on 1 Nov 00:00 in Berlin, which is 31 Oct 23:00 UTC.
    let at = |h: u32, m: u32| Utc.with_ymd_and_hms(2026, 10, 31, h, m, 0).unwrap().timestamp();
    for (text, when) in [
        ("too early", at(22, 59)),
        ("just in", at(23, 0)),
        ("today", w.now.timestamp()),
    ] {
        let win = w.raw_win(&c, MEMBER, text, when).await;
        set_org(&w, "wins", win.0, sunrise.id).await;
    }

    let list = orgs::list(&w.store, &w.actor(OUTSIDER), w.now, None)
        .await
        .unwrap();
    assert_eq!(list.coalition, "Climate Coalition");
    assert_eq!(list.month_start, at(23, 0));
    let seen: Vec<(&str, i64, i64, i64)> = list
        .orgs
        .iter()
        .map(|o| (o.name.as_str(), o.members, o.open_tasks, o.wins))
        .collect();
    assert_eq!(seen, [("Audubon", 0, 0, 0), ("Sunrise", 2, 2, 2)]);
}

#[tokio::test]
async fn lead_removes_an_empty_org() {
    let w = World::new().await;
    let c = w.climate().await;
    add_org(&w, "Sunrise").await;
    add_org(&w, "Audubon").await;
    let events = w.events(&c).await;
    let removed = orgs::remove(&w.store, &w.actor(LEAD), w.now, removing("sunrise"))
        .await
        .unwrap();
    assert_eq!(removed.org, "Sunrise");
    assert_eq!(org_names(&w, &c).await, ["Audubon"]);
    assert_eq!(w.events(&c).await, events + 1);
}

#[tokio::test]
async fn org_with_members_cannot_be_removed() {
    let w = World::new().await;
    w.climate().await;
    add_org(&w, "Sunrise").await;
    put_in_org(&w, MEMBER, "Sunrise").await;
    put_in_org(&w, MEMBER2, "Sunrise").await;
    let before = people_state(&w).await;
    let msg = user_err(
        orgs::remove(&w.store, &w.actor(LEAD), w.now, removing("Sunrise")).await,
        "still has 2 members",
    );
    assert!(msg.contains("`/member add user:… org:…`"), "{msg}");
    assert_eq!(people_state(&w).await, before);
}

#[tokio::test]
async fn removing_an_unknown_org_points_to_org_list() {
    let w = World::new().await;
    w.climate().await;
    let before = people_state(&w).await;
    user_err(
        orgs::remove(&w.store, &w.actor(LEAD), w.now, removing("Nobody")).await,
        "No org named `Nobody`",
    );
    assert_eq!(people_state(&w).await, before);
}

#[tokio::test]
async fn member_cannot_remove_an_org() {
    let w = World::new().await;
    w.climate().await;
    add_org(&w, "Sunrise").await;
    let before = people_state(&w).await;
    user_err(
        orgs::remove(&w.store, &w.actor(MEMBER), w.now, removing("Sunrise")).await,
        "Only leads",
    );
    assert_eq!(people_state(&w).await, before);
}

#[tokio::test]
async fn other_guild_cannot_see_or_change_orgs() {
    let w = World::new().await;
    w.climate().await;
    add_org(&w, "Sunrise").await;
    let before = people_state(&w).await;
    let foreign = w.foreign(ADMIN);
    user_err(
        orgs::list(&w.store, &foreign, w.now, Some("Climate Coalition")).await,
        "No coalition named",
    );
    let input = AddOrg {
        coalition: Some("Climate Coalition".into()),
        name: "Evil".into(),
    };
    user_err(
        orgs::add(&w.store, &foreign, w.now, input).await,
        "No coalition named",
    );
    let input = RemoveOrg {
        coalition: Some("Climate Coalition".into()),
        name: "Sunrise".into(),
    };
    user_err(
        orgs::remove(&w.store, &foreign, w.now, input).await,
        "No coalition named",
    );
    assert!(
        orgs::suggest(&w.store, OTHER_GUILD, None, Some("Climate Coalition"), "")
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(people_state(&w).await, before);
}

#[tokio::test]
async fn org_names_are_suggested_and_unclear_coalitions_suggest_nothing() {
    let w = World::new().await;
    w.climate().await;
    for name in ["Sunrise", "Audubon", "Sierra Club"] {
        add_org(&w, name).await;
    }
    let values = |v: Vec<(String, String)>| v.into_iter().map(|(_, value)| value).collect::<Vec<_>>();
    assert_eq!(
        values(orgs::suggest(&w.store, GUILD, None, None, "s").await.unwrap()),
        ["Sierra Club", "Sunrise"]
    );
    assert_eq!(
        values(
            orgs::suggest(&w.store, GUILD, None, Some("Climate Coalition"), "club")
                .await
                .unwrap()
        ),
        ["Sierra Club"]
    );
    assert!(
        orgs::suggest(&w.store, GUILD, None, Some("Nope"), "")
            .await
            .unwrap()
            .is_empty()
    );
    let housing = w.coalition("Housing Alliance").await;
    assert!(
        orgs::suggest(&w.store, GUILD, None, None, "")
            .await
            .unwrap()
            .is_empty(),
        "two coalitions and no channel: ambiguous"
    );
    assert!(
        orgs::suggest(&w.store, GUILD, Some(ChannelId(9999)), None, "")
            .await
            .unwrap()
            .is_empty(),
        "two coalitions, neither at home here: ambiguous"
    );
    // Typing in a coalition's home channel suggests that coalition's orgs.
    assert_eq!(
        values(
            orgs::suggest(&w.store, GUILD, Some(HOME), None, "s")
                .await
                .unwrap()
        ),
        ["Sierra Club", "Sunrise"]
    );
    orgs::add(
        &w.store,
        &w.actor(ADMIN),
        w.now,
        AddOrg {
            coalition: Some(housing.name.clone()),
            name: "Tenants Union".into(),
        },
    )
    .await
    .unwrap();
    assert_eq!(
        values(
            orgs::suggest(&w.store, GUILD, Some(housing.home_channel_id), None, "")
                .await
                .unwrap()
        ),
        ["Tenants Union"]
    );
}

#[tokio::test]
async fn removed_org_can_no_longer_be_joined() {
    let w = World::new().await;
    w.climate().await;
    add_org(&w, "Sunrise").await;
    orgs::remove(&w.store, &w.actor(LEAD), w.now, removing("Sunrise"))
        .await
        .unwrap();
    let r = coalitions::join(&w.store, &w.actor(OUTSIDER), w.now, None, Some("Sunrise".into())).await;
    user_err(r, "No org named `Sunrise`");
}
