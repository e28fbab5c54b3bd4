//! Coalitions: creating, listing, inspecting, configuring, joining and leaving.

mod harness;
use harness::*;

use backbone::actions::coalitions::{self, CreateCoalition, UpdateSettings};
use backbone::actions::{Actor, orgs, roles};
use backbone::domain::*;
use backbone::store;
use chrono::{Datelike, Duration, TimeZone, Timelike, Utc, Weekday};

fn create_input(name: &str) -> CreateCoalition {
    CreateCoalition {
        name: name.into(),
        ..Default::default()
    }
}

/// Two coalitions with their own home channels (1201 and 1202), neither in `HOME`.
async fn two_coalitions(w: &World) -> (Coalition, Coalition) {
    let mut made = Vec::new();
    for (name, channel) in [("Climate Coalition", 1201), ("Housing Alliance", 1202)] {
        let input = CreateCoalition {
            channel: Some(ChannelId(channel)),
            ..create_input(name)
        };
        made.push(
            coalitions::create(&w.store, &w.actor(ADMIN), w.now, input)
                .await
                .unwrap()
                .coalition,
        );
    }
    let b = made.pop().unwrap();
    (made.pop().unwrap(), b)
}

fn in_channel(w: &World, user: UserId, channel: i64) -> Actor {
    Actor {
        channel: Some(ChannelId(channel)),
        ..w.actor(user)
    }
}

fn settings_input(c: &Coalition) -> UpdateSettings {
    UpdateSettings {
        coalition: Some(c.name.clone()),
        ..Default::default()
    }
}

async fn member_row(w: &World, c: &Coalition, user: UserId) -> Option<Member> {
    store::members::get(&w.store, c.id, user).await.unwrap()
}

async fn assignee_of(w: &World, task: TaskId) -> Option<UserId> {
    backbone::store::sql::query_scalar("SELECT assignee_id FROM tasks WHERE id = ?")
        .bind(task)
        .fetch_one(w.store.pool())
        .await
        .unwrap()
}

// ---- create ----

#[tokio::test]
async fn admin_creates_coalition_and_becomes_its_lead() {
    let w = World::new().await;
    let input = CreateCoalition {
        name: "  Climate   Coalition ".into(),
        ..Default::default()
    };
    let made = coalitions::create(&w.store, &w.actor(ADMIN), w.now, input)
        .await
        .unwrap();
    let c = made.coalition;
    assert_eq!(c.name, "Climate Coalition");
    assert_eq!(c.timezone, "UTC");
    assert_eq!(c.home_channel_id, HOME);
    assert!(made.next_checkin_at.is_some_and(|t| t > w.now.timestamp()));
    assert_eq!(member_row(&w, &c, ADMIN).await.unwrap().role, Role::Lead);
    assert_eq!(w.events(&c).await, 1, "one event for the creation");
}

#[tokio::test]
async fn member_cannot_create_coalition() {
    let w = World::new().await;
    let before = people_state(&w).await;
    let r = coalitions::create(&w.store, &w.actor(LEAD), w.now, create_input("Climate Coalition")).await;
    user_err(r, "Only server admins");
    assert_eq!(people_state(&w).await, before);
}

#[tokio::test]
async fn duplicate_coalition_name_is_refused_whatever_its_case() {
    let w = World::new().await;
    let c = w.coalition("Climate Coalition").await;
    let before = people_state(&w).await;
    let r = coalitions::create(
        &w.store,
        &w.actor(ADMIN),
        w.now,
        create_input("cLIMATE coalition"),
    )
    .await;
    user_err(r, "already has a coalition named");
    assert_eq!(people_state(&w).await, before);
    assert_eq!(w.events(&c).await, 1);
}

#[tokio::test]
async fn empty_and_overlong_coalition_names_are_refused() {
    let w = World::new().await;
    let before = people_state(&w).await;
    user_err(
        coalitions::create(&w.store, &w.actor(ADMIN), w.now, create_input("   ")).await,
        "empty",
    );
    let long = "x".repeat(300);
    user_err(
        coalitions::create(&w.store, &w.actor(ADMIN), w.now, create_input(&long)).await,
        "300 characters",
    );
    assert_eq!(people_state(&w).await, before);
}

#[tokio::test]
async fn unknown_time_zone_is_refused_on_create() {
    let w = World::new().await;
    let before = people_state(&w).await;
    let input = CreateCoalition {
        timezone: Some("Mars/Olympus_Mons".into()),
        ..create_input("Climate Coalition")
    };
    user_err(
        coalitions::create(&w.store, &w.actor(ADMIN), w.now, input).await,
        "Unknown time zone",
    );
    assert_eq!(people_state(&w).await, before);
}

#[tokio::test]
async fn create_refuses_a_channel_that_is_already_a_home() {
    let w = World::new().await;
    let climate = w.climate().await;
    assert_eq!(climate.home_channel_id, HOME);
    let before = people_state(&w).await;
    // The channel the command runs in (the default) …
    let msg = user_err(
        coalitions::create(&w.store, &w.actor(ADMIN), w.now, create_input("Housing Alliance")).await,
        "is already the home channel of **Climate Coalition**",
    );
    assert!(
        msg.contains(&format!("<#{HOME}>")) && msg.contains("`channel:`"),
        "{msg}"
    );
    // … or named explicitly, from anywhere.
    let input = CreateCoalition {
        channel: Some(HOME),
        ..create_input("Housing Alliance")
    };
    user_err(
        coalitions::create(&w.store, &in_channel(&w, ADMIN, 1300), w.now, input).await,
        "is already the home channel of **Climate Coalition**",
    );
    assert_eq!(people_state(&w).await, before);

    // Another channel is fine.
    let input = CreateCoalition {
        channel: Some(ChannelId(1300)),
        ..create_input("Housing Alliance")
    };
    let made = coalitions::create(&w.store, &w.actor(ADMIN), w.now, input)
        .await
        .unwrap();
    assert_eq!(made.coalition.home_channel_id, ChannelId(1300));
}

#[tokio::test]
async fn a_home_shared_by_old_data_is_ambiguous_not_the_first_one() {
    if sqlite_only("old data written around SQLite's trigger") {
        return;
    }
    let w = World::new().await;
    let (climate, housing) = two_coalitions(&w).await;
    for c in [&climate, &housing] {
        w.add_member(c, MEMBER, Role::Member).await;
        let org = orgs::AddOrg {
            coalition: Some(c.name.clone()),
            name: "Sunrise".into(),
        };
        orgs::add(&w.store, &w.actor(ADMIN), w.now, org).await.unwrap();
    }
    // Written before sharing a home was refused (and before the schema enforced it).
    backbone::store::sql::query("DROP TRIGGER coalitions_home_unique_update")
        .execute(w.store.pool())
        .await
        .unwrap();
    backbone::store::sql::query("UPDATE coalitions SET home_channel_id = ? WHERE id = ?")
        .bind(climate.home_channel_id)
        .bind(housing.id)
        .execute(w.store.pool())
        .await
        .unwrap();
    let here = in_channel(&w, MEMBER, climate.home_channel_id.0);
    let msg = user_err(
        coalitions::info(&w.store, &here, w.now, None).await,
        "Several coalitions have this channel as their home",
    );
    assert!(
        msg.contains("`Climate Coalition`")
            && msg.contains("`Housing Alliance`")
            && msg.contains("`coalition`"),
        "{msg}"
    );
    // Naming one still works.
    let info = coalitions::info(&w.store, &here, w.now, Some("Housing Alliance"))
        .await
        .unwrap();
    assert_eq!(info.coalition.id, housing.id);
    // Autocomplete there suggests nothing rather than guessing.
    assert!(
        orgs::suggest(&w.store, GUILD, Some(climate.home_channel_id), None, "")
            .await
            .unwrap()
            .is_empty()
    );
}

// ---- list, info, resolving the coalition ----

#[tokio::test]
async fn anyone_lists_coalitions_with_member_and_open_task_counts() {
    let w = World::new().await;
    let c = w.climate().await;
    w.coalition("Housing Alliance").await;
    for status in ["open", "blocked", "done"] {
        let blocked_reason = (status == "blocked").then_some("waiting");
        w.raw_task(
            &c,
            RawTask {
                title: "Flyers",
                status,
                blocked_reason,
                ..Default::default()
            },
        )
        .await;
    }
    let list = coalitions::list(&w.store, &w.actor(OUTSIDER)).await.unwrap();
    let seen: Vec<(&str, i64, i64)> = list
        .iter()
        .map(|s| (s.name.as_str(), s.members, s.open_tasks))
        .collect();
    assert_eq!(seen, [("Climate Coalition", 4, 2), ("Housing Alliance", 1, 0)]);
    assert_eq!(list[0].home_channel_id, HOME);
    assert!(
        coalitions::list(&w.store, &w.foreign(OUTSIDER))
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn info_shows_schedules_leads_orgs_and_goal_progress() {
    let w = World::new().await;
    let c = w.climate().await;
    let org = orgs::AddOrg {
        coalition: None,
        name: "Sunrise".into(),
    };
    orgs::add(&w.store, &w.actor(LEAD), w.now, org).await.unwrap();
    w.raw_goal(&c, "Plant trees", 40.0, Some(100.0), Some("trees"), "active")
        .await;
    w.raw_goal(&c, "Old goal", 5.0, Some(5.0), None, "achieved").await;

    let info = coalitions::info(&w.store, &w.actor(OUTSIDER), w.now, None)
        .await
        .unwrap();
    assert_eq!(info.coalition.name, "Climate Coalition");
    assert_eq!(info.coalition.timezone, "Europe/Berlin");
    // Default check-ins are Fridays 10:00 Berlin: Friday 27 Nov 2026 09:00 UTC.
    assert_eq!(
        info.checkin.next_at,
        Some(Utc.with_ymd_and_hms(2026, 11, 27, 9, 0, 0).unwrap().timestamp())
    );
    assert!(
        info.checkin.description.contains("10:00"),
        "{}",
        info.checkin.description
    );
    assert_eq!(
        info.digest.next_at,
        Some(Utc.with_ymd_and_hms(2026, 11, 30, 8, 0, 0).unwrap().timestamp())
    );
    assert_eq!(info.ping_offsets, "72h,24h");
    let mut leads: Vec<(UserId, String)> = info.leads.iter().map(|p| (p.user_id, p.name.clone())).collect();
    leads.sort();
    assert_eq!(leads, [(ADMIN, "user1".to_string()), (LEAD, "user2".to_string())]);
    assert_eq!(info.orgs, ["Sunrise"]);
    assert_eq!(info.member_count, 4);
    assert_eq!(info.goals.len(), 1);
    assert_eq!(
        (
            info.goals[0].title.as_str(),
            info.goals[0].current,
            info.goals[0].target
        ),
        ("Plant trees", 40.0, Some(100.0))
    );
}

#[tokio::test]
async fn coalition_is_found_by_the_channel_the_command_runs_in() {
    let w = World::new().await;
    let (_, housing) = two_coalitions(&w).await;
    let info = coalitions::info(&w.store, &in_channel(&w, OUTSIDER, 1202), w.now, None)
        .await
        .unwrap();
    assert_eq!(info.coalition.id, housing.id);
}

#[tokio::test]
async fn ambiguous_coalition_outside_home_channels_lists_the_choices() {
    let w = World::new().await;
    two_coalitions(&w).await;
    let msg = user_err(
        coalitions::info(&w.store, &w.actor(OUTSIDER), w.now, None).await,
        "several coalitions",
    );
    assert!(
        msg.contains("`Climate Coalition`") && msg.contains("`Housing Alliance`"),
        "{msg}"
    );
}

#[tokio::test]
async fn unknown_coalition_name_lists_the_ones_there_are() {
    let w = World::new().await;
    w.climate().await;
    let msg = user_err(
        coalitions::info(&w.store, &w.actor(LEAD), w.now, Some("Ocean Club")).await,
        "No coalition named `Ocean Club`",
    );
    assert!(msg.contains("`Climate Coalition`"), "{msg}");
}

#[tokio::test]
async fn other_guild_cannot_see_or_join_the_coalition() {
    let w = World::new().await;
    let c = w.climate().await;
    let before = people_state(&w).await;
    user_err(
        coalitions::info(&w.store, &w.foreign(LEAD), w.now, Some("Climate Coalition")).await,
        "No coalition named",
    );
    user_err(
        coalitions::info(&w.store, &w.foreign(LEAD), w.now, None).await,
        "no coalition yet",
    );
    let r = coalitions::join(&w.store, &w.foreign(OUTSIDER), w.now, Some(c.name.clone()), None).await;
    user_err(r, "No coalition named");
    let r = coalitions::settings(
        &w.store,
        &w.foreign(ADMIN),
        w.now,
        UpdateSettings {
            timezone: Some("UTC".into()),
            ..settings_input(&c)
        },
    )
    .await;
    user_err(r, "No coalition named");
    user_err(
        coalitions::leave(&w.store, &w.foreign(MEMBER), w.now, Some(c.name.clone())).await,
        "No coalition named",
    );
    assert_eq!(people_state(&w).await, before);
}

// ---- settings ----

#[tokio::test]
async fn lead_moves_checkins_to_every_other_wednesday_in_new_york() {
    let w = World::new().await;
    let c = w.climate().await;
    let events = w.events(&c).await;
    let input = UpdateSettings {
        timezone: Some("america/new_york".into()),
        checkin_schedule: Some("every 2 weeks wed 15:00".into()),
        ..settings_input(&c)
    };
    let out = coalitions::settings(&w.store, &w.actor(LEAD), w.now, input)
        .await
        .unwrap();

    let changed: Vec<&str> = out.changes.iter().map(|ch| ch.setting).collect();
    assert_eq!(changed, ["timezone", "checkin_schedule"]);
    assert_eq!(out.next_checkins.len(), 3);
    let ny = chrono_tz::America::New_York;
    for (i, at) in out.next_checkins.iter().enumerate() {
        let local = Utc.timestamp_opt(*at, 0).unwrap().with_timezone(&ny);
        assert_eq!(
            (local.weekday(), local.hour(), local.minute()),
            (Weekday::Wed, 15, 0),
            "occurrence {i}: {local}"
        );
    }
    assert!(
        out.next_checkins
            .windows(2)
            .all(|p| p[1] - p[0] == Duration::weeks(2).num_seconds())
    );
    assert_eq!(out.next_digests.len(), 3);

    let stored = store::coalitions::get(w.store.pool(), GUILD, c.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.timezone, "America/New_York");
    assert_eq!(stored.checkin_schedule, "every 2 weeks wed 15:00");
    assert_eq!(stored.next_checkin_at, Some(out.next_checkins[0]));
    // The zone moved the digest too: Monday 09:00 New York is later today, 14:00 UTC.
    assert_eq!(
        stored.next_digest_at,
        Some(Utc.with_ymd_and_hms(2026, 11, 23, 14, 0, 0).unwrap().timestamp())
    );
    assert_eq!(out.coalition.timezone, "America/New_York");
    assert_eq!(w.events(&c).await, events + 1);
}

#[tokio::test]
async fn new_ping_offsets_reschedule_open_tasks_and_deadlines() {
    let w = World::new().await;
    let c = w.climate().await;
    let due = w.now.timestamp() + 3 * 86_400;
    let (open, _) = w
        .raw_task(
            &c,
            RawTask {
                title: "Flyers",
                due_at: Some(due),
                ..Default::default()
            },
        )
        .await;
    let (done, _) = w
        .raw_task(
            &c,
            RawTask {
                title: "Old",
                due_at: Some(due),
                status: "done",
                ..Default::default()
            },
        )
        .await;
    let deadline = w.raw_deadline(&c, "Report", due, "open").await;
    let input = UpdateSettings {
        ping_offsets: Some(" 48h, 2h ".into()),
        ..settings_input(&c)
    };
    let out = coalitions::settings(&w.store, &w.actor(LEAD), w.now, input)
        .await
        .unwrap();
    assert_eq!(out.coalition.ping_offsets, "48h,2h");
    assert_eq!(
        out.coalition.next_checkin_at, c.next_checkin_at,
        "schedules did not change"
    );

    let next_ping = |table: &'static str, id: i64| {
        let sql = if table == "tasks" {
            "SELECT next_ping_at FROM tasks WHERE id = ?"
        } else {
            "SELECT next_ping_at FROM deadlines WHERE id = ?"
        };
        let pool = w.store.pool().clone();
        async move {
            backbone::store::sql::query_scalar::<Option<i64>>(sql)
                .bind(id)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    assert_eq!(next_ping("tasks", open.0).await, Some(due - 48 * 3600));
    assert_eq!(next_ping("tasks", done.0).await, None);
    assert_eq!(next_ping("deadlines", deadline.0).await, Some(due - 48 * 3600));
}

#[tokio::test]
async fn settings_without_options_lists_the_options() {
    let w = World::new().await;
    let c = w.climate().await;
    let before = people_state(&w).await;
    let msg = user_err(
        coalitions::settings(&w.store, &w.actor(LEAD), w.now, settings_input(&c)).await,
        "Nothing to change",
    );
    for option in [
        "channel",
        "timezone",
        "checkin_schedule",
        "digest_schedule",
        "ping_offsets",
    ] {
        assert!(msg.contains(option), "{msg}");
    }
    assert_eq!(people_state(&w).await, before);
}

#[tokio::test]
async fn member_cannot_change_settings() {
    let w = World::new().await;
    let c = w.climate().await;
    let before = people_state(&w).await;
    let input = UpdateSettings {
        timezone: Some("UTC".into()),
        ..settings_input(&c)
    };
    user_err(
        coalitions::settings(&w.store, &w.actor(MEMBER), w.now, input).await,
        "Only leads",
    );
    assert_eq!(people_state(&w).await, before);
}

#[tokio::test]
async fn bad_settings_are_refused_and_change_nothing() {
    let w = World::new().await;
    let c = w.climate().await;
    let before = people_state(&w).await;
    let ok_tz = || Some("America/New_York".to_string());
    let cases = [
        (
            UpdateSettings {
                timezone: Some("Mars/Base".into()),
                ..settings_input(&c)
            },
            "Unknown time zone",
        ),
        (
            UpdateSettings {
                timezone: ok_tz(),
                checkin_schedule: Some("0 0 99 * * Mon".into()),
                ..settings_input(&c)
            },
            "Couldn't read",
        ),
        (
            UpdateSettings {
                timezone: ok_tz(),
                digest_schedule: Some("whenever".into()),
                ..settings_input(&c)
            },
            "Couldn't read",
        ),
        (
            UpdateSettings {
                checkin_schedule: Some("0 * * * * *".into()),
                ..settings_input(&c)
            },
            "more than once an hour",
        ),
        (
            UpdateSettings {
                timezone: ok_tz(),
                ping_offsets: Some("soon".into()),
                ..settings_input(&c)
            },
            "Couldn't read `soon`",
        ),
        (
            UpdateSettings {
                ping_offsets: Some("1m".into()),
                ..settings_input(&c)
            },
            "out of range",
        ),
    ];
    for (input, needle) in cases {
        user_err(
            coalitions::settings(&w.store, &w.actor(LEAD), w.now, input).await,
            needle,
        );
        assert_eq!(people_state(&w).await, before, "after `{needle}`");
    }
}

#[tokio::test]
async fn home_channel_of_another_coalition_is_refused() {
    let w = World::new().await;
    let (climate, housing) = two_coalitions(&w).await;
    let before = people_state(&w).await;
    let input = UpdateSettings {
        channel: Some(climate.home_channel_id),
        ..settings_input(&housing)
    };
    user_err(
        coalitions::settings(&w.store, &w.actor(ADMIN), w.now, input).await,
        "already the home channel of **Climate Coalition**",
    );
    assert_eq!(people_state(&w).await, before);
}

// ---- join and leave ----

#[tokio::test]
async fn anyone_can_join_with_an_org() {
    let w = World::new().await;
    let c = w.climate().await;
    orgs::add(
        &w.store,
        &w.actor(LEAD),
        w.now,
        orgs::AddOrg {
            coalition: None,
            name: "Sunrise".into(),
        },
    )
    .await
    .unwrap();
    let events = w.events(&c).await;
    let joined = coalitions::join(&w.store, &w.actor(OUTSIDER), w.now, None, Some("sunrise".into()))
        .await
        .unwrap();
    assert_eq!(
        (joined.coalition.as_str(), joined.org.as_deref(), joined.updated),
        ("Climate Coalition", Some("Sunrise"), false)
    );
    let m = member_row(&w, &c, OUTSIDER).await.unwrap();
    assert_eq!((m.role, m.display_name.as_str()), (Role::Member, "user5"));
    assert!(m.org_id.is_some());
    assert_eq!(w.events(&c).await, events + 1);
}

#[tokio::test]
async fn joining_with_an_unknown_org_points_to_org_list() {
    let w = World::new().await;
    w.climate().await;
    let before = people_state(&w).await;
    let r = coalitions::join(&w.store, &w.actor(OUTSIDER), w.now, None, Some("Nobody".into())).await;
    user_err(r, "`/org list`");
    assert_eq!(people_state(&w).await, before);
}

#[tokio::test]
async fn joining_twice_is_refused_but_can_set_an_org() {
    let w = World::new().await;
    let c = w.climate().await;
    let before = people_state(&w).await;
    let r = coalitions::join(&w.store, &w.actor(MEMBER), w.now, None, None).await;
    user_err(r, "You're already a member of **Climate Coalition**.");
    assert_eq!(people_state(&w).await, before);

    orgs::add(
        &w.store,
        &w.actor(LEAD),
        w.now,
        orgs::AddOrg {
            coalition: None,
            name: "Sunrise".into(),
        },
    )
    .await
    .unwrap();
    let events = w.events(&c).await;
    let joined = coalitions::join(&w.store, &w.actor(LEAD), w.now, None, Some("Sunrise".into()))
        .await
        .unwrap();
    assert!(joined.updated);
    let m = member_row(&w, &c, LEAD).await.unwrap();
    assert_eq!(m.role, Role::Lead, "joining with an org keeps the role");
    assert!(m.org_id.is_some());
    assert_eq!(w.events(&c).await, events + 1);
}

#[tokio::test]
async fn leaving_unassigns_open_tasks_and_drops_responsibilities() {
    let w = World::new().await;
    let c = w.climate().await;
    let (open, _) = w
        .raw_task(
            &c,
            RawTask {
                title: "Flyers",
                assignee: Some(MEMBER),
                ..Default::default()
            },
        )
        .await;
    let (done, _) = w
        .raw_task(
            &c,
            RawTask {
                title: "Old",
                assignee: Some(MEMBER),
                status: "done",
                ..Default::default()
            },
        )
        .await;
    let blocked = RawTask {
        title: "Permit",
        assignee: Some(MEMBER),
        status: "blocked",
        blocked_reason: Some("city"),
        ..Default::default()
    };
    let (blocked, _) = w.raw_task(&c, blocked).await;
    let duty = roles::AssignRole {
        coalition: None,
        user: MEMBER,
        responsibility: "comms".into(),
    };
    roles::assign(&w.store, &w.actor(LEAD), w.now, duty)
        .await
        .unwrap();
    let events = w.events(&c).await;

    let left = coalitions::leave(&w.store, &w.actor(MEMBER), w.now, None)
        .await
        .unwrap();
    let listed: Vec<(i64, &str)> = left
        .unassigned
        .iter()
        .map(|t| (t.number, t.title.as_str()))
        .collect();
    assert_eq!(listed, [(1, "Flyers"), (3, "Permit")]);
    assert!(member_row(&w, &c, MEMBER).await.is_none());
    assert_eq!(assignee_of(&w, open).await, None);
    assert_eq!(assignee_of(&w, blocked).await, None);
    assert_eq!(
        assignee_of(&w, done).await,
        Some(MEMBER),
        "finished work keeps its author"
    );
    assert_eq!(w.rows_in("responsibilities", &c).await, 0);
    assert_eq!(w.events(&c).await, events + 1);
}

#[tokio::test]
async fn last_lead_cannot_leave() {
    let w = World::new().await;
    let c = w.coalition("Solo Coalition").await;
    let before = people_state(&w).await;
    let msg = user_err(
        coalitions::leave(&w.store, &w.actor(ADMIN), w.now, Some(c.name.clone())).await,
        "last lead",
    );
    assert!(msg.contains("`/member add user role:lead`"), "{msg}");
    assert_eq!(people_state(&w).await, before);
}

#[tokio::test]
async fn a_lead_can_leave_while_another_lead_remains() {
    let w = World::new().await;
    let c = w.climate().await;
    coalitions::leave(&w.store, &w.actor(LEAD), w.now, None)
        .await
        .unwrap();
    assert!(member_row(&w, &c, LEAD).await.is_none());
}

#[tokio::test]
async fn non_member_cannot_leave() {
    let w = World::new().await;
    w.climate().await;
    let before = people_state(&w).await;
    user_err(
        coalitions::leave(&w.store, &w.actor(OUTSIDER), w.now, None).await,
        "You're not a member",
    );
    assert_eq!(people_state(&w).await, before);
}

// ---- autocomplete ----

#[tokio::test]
async fn coalition_names_are_suggested_prefix_first() {
    let w = World::new().await;
    for name in ["Climate Coalition", "Housing Alliance", "Clean Air"] {
        w.coalition(name).await;
    }
    let values = |v: Vec<(String, String)>| v.into_iter().map(|(_, value)| value).collect::<Vec<_>>();
    assert_eq!(
        values(coalitions::suggest(&w.store, GUILD, "cl").await.unwrap()),
        ["Clean Air", "Climate Coalition"]
    );
    assert_eq!(
        values(coalitions::suggest(&w.store, GUILD, "alli").await.unwrap()),
        ["Housing Alliance"]
    );
    assert_eq!(coalitions::suggest(&w.store, GUILD, "").await.unwrap().len(), 3);
    assert_eq!(coalitions::suggest(&w.store, GUILD, "%").await.unwrap().len(), 0);
    assert!(
        coalitions::suggest(&w.store, OTHER_GUILD, "cl")
            .await
            .unwrap()
            .is_empty()
    );
}
