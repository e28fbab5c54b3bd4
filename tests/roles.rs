//! Named responsibilities held by members: assigning, unassigning, listing.

mod harness;
use harness::*;

use backbone::actions::roles::{self, AssignRole};
use backbone::domain::*;

fn duty(user: UserId, responsibility: &str) -> AssignRole {
    AssignRole {
        coalition: None,
        user,
        responsibility: responsibility.into(),
    }
}

async fn held(w: &World, c: &Coalition) -> Vec<(UserId, String)> {
    backbone::store::sql::query_as(
        "SELECT user_id, name FROM responsibilities WHERE coalition_id = ? ORDER BY user_id, name",
    )
    .bind(c.id)
    .fetch_all(w.store.pool())
    .await
    .unwrap()
}

#[tokio::test]
async fn lead_gives_a_member_a_responsibility() {
    let w = World::new().await;
    let c = w.climate().await;
    let events = w.events(&c).await;
    let out = roles::assign(&w.store, &w.actor(LEAD), w.now, duty(MEMBER, "  data   steward "))
        .await
        .unwrap();
    assert_eq!(
        (out.user_id, out.name.as_str(), out.responsibility.as_str()),
        (MEMBER, "user3", "data steward")
    );
    assert_eq!(out.coalition, "Climate Coalition");
    assert_eq!(held(&w, &c).await, [(MEMBER, "data steward".to_string())]);
    assert_eq!(w.events(&c).await, events + 1);
}

#[tokio::test]
async fn member_cannot_assign_responsibilities() {
    let w = World::new().await;
    w.climate().await;
    let before = people_state(&w).await;
    user_err(
        roles::assign(&w.store, &w.actor(MEMBER), w.now, duty(MEMBER, "comms")).await,
        "Only leads",
    );
    assert_eq!(people_state(&w).await, before);
}

#[tokio::test]
async fn responsibility_for_a_non_member_is_refused() {
    let w = World::new().await;
    w.climate().await;
    let before = people_state(&w).await;
    user_err(
        roles::assign(&w.store, &w.actor(LEAD), w.now, duty(OUTSIDER, "comms")).await,
        "`/member add`",
    );
    assert_eq!(people_state(&w).await, before);
}

#[tokio::test]
async fn the_same_responsibility_twice_is_refused_whatever_its_case() {
    let w = World::new().await;
    w.climate().await;
    roles::assign(&w.store, &w.actor(LEAD), w.now, duty(MEMBER, "Comms"))
        .await
        .unwrap();
    let before = people_state(&w).await;
    user_err(
        roles::assign(&w.store, &w.actor(LEAD), w.now, duty(MEMBER, "COMMS")).await,
        "already responsible for",
    );
    assert_eq!(people_state(&w).await, before);
}

#[tokio::test]
async fn empty_and_overlong_responsibilities_are_refused() {
    let w = World::new().await;
    w.climate().await;
    let before = people_state(&w).await;
    user_err(
        roles::assign(&w.store, &w.actor(LEAD), w.now, duty(MEMBER, "  ")).await,
        "empty",
    );
    user_err(
        roles::assign(&w.store, &w.actor(LEAD), w.now, duty(MEMBER, &"r".repeat(300))).await,
        "300 characters",
    );
    assert_eq!(people_state(&w).await, before);
}

#[tokio::test]
async fn lead_takes_a_responsibility_away() {
    let w = World::new().await;
    let c = w.climate().await;
    roles::assign(&w.store, &w.actor(LEAD), w.now, duty(MEMBER, "Comms"))
        .await
        .unwrap();
    roles::assign(&w.store, &w.actor(LEAD), w.now, duty(MEMBER, "Data"))
        .await
        .unwrap();
    let events = w.events(&c).await;
    let out = roles::unassign(&w.store, &w.actor(LEAD), w.now, duty(MEMBER, "comms"))
        .await
        .unwrap();
    assert_eq!(out.responsibility, "Comms");
    assert_eq!(held(&w, &c).await, [(MEMBER, "Data".to_string())]);
    assert_eq!(w.events(&c).await, events + 1);
}

#[tokio::test]
async fn taking_away_a_responsibility_not_held_is_refused() {
    let w = World::new().await;
    w.climate().await;
    roles::assign(&w.store, &w.actor(LEAD), w.now, duty(MEMBER2, "Comms"))
        .await
        .unwrap();
    let before = people_state(&w).await;
    user_err(
        roles::unassign(&w.store, &w.actor(LEAD), w.now, duty(MEMBER, "Comms")).await,
        "isn't responsible for **Comms**",
    );
    user_err(
        roles::unassign(&w.store, &w.actor(LEAD), w.now, duty(OUTSIDER, "Comms")).await,
        "isn't a member",
    );
    assert_eq!(people_state(&w).await, before);
}

#[tokio::test]
async fn member_cannot_take_responsibilities_away() {
    let w = World::new().await;
    w.climate().await;
    roles::assign(&w.store, &w.actor(LEAD), w.now, duty(MEMBER, "Comms"))
        .await
        .unwrap();
    let before = people_state(&w).await;
    user_err(
        roles::unassign(&w.store, &w.actor(MEMBER), w.now, duty(MEMBER, "Comms")).await,
        "Only leads",
    );
    assert_eq!(people_state(&w).await, before);
}

#[tokio::test]
async fn role_list_groups_holders_by_responsibility() {
    let w = World::new().await;
    w.climate().await;
    for (user, name) in [(MEMBER2, "comms"), (MEMBER, "Comms"), (LEAD, "Data steward")] {
        roles::assign(&w.store, &w.actor(LEAD), w.now, duty(user, name))
            .await
            .unwrap();
    }
    let list = roles::list(&w.store, &w.actor(OUTSIDER), None).await.unwrap();
    let shape: Vec<(&str, Vec<UserId>)> = list
        .responsibilities
        .iter()
        .map(|g| (g.name.as_str(), g.holders.iter().map(|p| p.user_id).collect()))
        .collect();
    assert_eq!(
        shape,
        [("Comms", vec![MEMBER, MEMBER2]), ("Data steward", vec![LEAD])]
    );
    assert_eq!(list.responsibilities[0].holders[0].name, "user3");
}

#[tokio::test]
async fn responsibilities_are_suggested_once_each() {
    let w = World::new().await;
    w.climate().await;
    for (user, name) in [(MEMBER2, "comms"), (MEMBER, "Comms"), (LEAD, "Data steward")] {
        roles::assign(&w.store, &w.actor(LEAD), w.now, duty(user, name))
            .await
            .unwrap();
    }
    let all = roles::suggest(&w.store, GUILD, None, None, "").await.unwrap();
    assert_eq!(all.len(), 2);
    let data: Vec<String> = roles::suggest(&w.store, GUILD, None, None, "stew")
        .await
        .unwrap()
        .into_iter()
        .map(|(_, v)| v)
        .collect();
    assert_eq!(data, ["Data steward"]);
    assert!(
        roles::suggest(&w.store, OTHER_GUILD, None, None, "")
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn other_guild_cannot_see_or_change_responsibilities() {
    let w = World::new().await;
    let c = w.climate().await;
    roles::assign(&w.store, &w.actor(LEAD), w.now, duty(MEMBER, "Comms"))
        .await
        .unwrap();
    let before = people_state(&w).await;
    let foreign = w.foreign(ADMIN);
    user_err(
        roles::list(&w.store, &foreign, Some("Climate Coalition")).await,
        "No coalition named",
    );
    let named = |r: &str| AssignRole {
        coalition: Some(c.name.clone()),
        ..duty(MEMBER, r)
    };
    user_err(
        roles::assign(&w.store, &foreign, w.now, named("Data")).await,
        "No coalition named",
    );
    user_err(
        roles::unassign(&w.store, &foreign, w.now, named("Comms")).await,
        "No coalition named",
    );
    assert_eq!(people_state(&w).await, before);
}

#[tokio::test]
async fn responsibilities_are_suggested_for_the_home_channels_coalition() {
    let w = World::new().await;
    w.climate().await;
    let housing = w.coalition("Housing Alliance").await;
    w.add_member(&housing, MEMBER, Role::Member).await;
    roles::assign(&w.store, &w.actor(LEAD), w.now, duty(MEMBER, "Comms"))
        .await
        .unwrap();
    let in_housing = AssignRole {
        coalition: Some(housing.name.clone()),
        ..duty(MEMBER, "Treasurer")
    };
    roles::assign(&w.store, &w.actor(ADMIN), w.now, in_housing)
        .await
        .unwrap();
    let values = |v: Vec<(String, String)>| v.into_iter().map(|(_, value)| value).collect::<Vec<_>>();
    assert_eq!(
        values(
            roles::suggest(&w.store, GUILD, Some(HOME), None, "")
                .await
                .unwrap()
        ),
        ["Comms"]
    );
    assert_eq!(
        values(
            roles::suggest(&w.store, GUILD, Some(housing.home_channel_id), None, "")
                .await
                .unwrap()
        ),
        ["Treasurer"]
    );
    assert!(
        roles::suggest(&w.store, GUILD, None, None, "")
            .await
            .unwrap()
            .is_empty(),
        "no channel and no coalition option: ambiguous"
    );
}
