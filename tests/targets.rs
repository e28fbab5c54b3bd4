//! Advocacy targets on a real database with a fixed clock: adding them (leads only), logging
//! outreach that moves a stance, the append-only stance history, follow-up tasks, private notes,
//! goals that count targets, and bad input that changes nothing.

mod harness;
use harness::*;

use backbone::actions::outreach::{self, LogOutreach};
use backbone::actions::target_views::{self, ListTargets};
use backbone::actions::targets::{self, AddTarget, EditTarget};
use backbone::actions::{self, goals::AddGoal};
use backbone::domain::targets::Stance;
use backbone::domain::*;
use backbone::render;
use backbone::store::targets::TimelineEntry;

fn add(name: &str) -> AddTarget {
    AddTarget {
        name: name.into(),
        ..Default::default()
    }
}

fn log(target: &str, stance: Option<&str>) -> LogOutreach {
    LogOutreach {
        target: target.into(),
        kind: "meeting".into(),
        outcome: "Listened, asked for data on evictions".into(),
        stance: stance.map(str::to_string),
        user_name: "user3".into(),
        ..Default::default()
    }
}

async fn history(w: &World, c: &Coalition, name: &str) -> Vec<(Option<Stance>, Stance, bool)> {
    let t = backbone::store::targets::by_name(&w.store, c.id, name)
        .await
        .unwrap()
        .unwrap();
    backbone::store::targets::history(&w.store, c.id, t.id)
        .await
        .unwrap()
        .into_iter()
        .map(|s| (s.from_stance, s.to_stance, s.outreach_id.is_some()))
        .collect()
}

#[tokio::test]
async fn a_lead_adds_a_target_and_a_members_meeting_moves_its_stance() {
    let w = World::new().await;
    let c = w.climate().await;
    let added = targets::add(
        &w.store,
        &w.actor(LEAD),
        w.now,
        AddTarget {
            name: "Cllr Reyes".into(),
            office: Some("City Council".into()),
            influence: Some("high".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(added.target.stance, Stance::Neutral, "neutral by default");

    let out = outreach::log(
        &w.store,
        &w.actor(MEMBER),
        w.now,
        log("cllr reyes", Some("supportive")),
    )
    .await
    .unwrap();
    assert_eq!(out.moved_from, Some(Stance::Neutral));
    assert_eq!(out.target.stance, Stance::Supportive);
    let msg = render::targets::outreach_logged(&out);
    let field = &msg.embeds[0]
        .fields
        .iter()
        .find(|f| f.name == "Stance moved")
        .unwrap()
        .value;
    assert!(field.contains("neutral → 🟢 supportive"), "{field}");

    // The same stance seen again moves nothing and adds no history.
    let again = outreach::log(
        &w.store,
        &w.actor(MEMBER2),
        w.now,
        log("Cllr Reyes", Some("supportive")),
    )
    .await
    .unwrap();
    assert_eq!(again.moved_from, None);
    assert_eq!(
        history(&w, &c, "Cllr Reyes").await,
        [
            (None, Stance::Neutral, false),
            (Some(Stance::Neutral), Stance::Supportive, true)
        ]
    );

    // The timeline shows both outreach and both stance entries, newest first.
    let shown = target_views::show(&w.store, &w.actor(OUTSIDER), w.now, None, "Cllr Reyes")
        .await
        .unwrap();
    assert_eq!(shown.outreach_total, 2);
    assert_eq!(shown.timeline.len(), 4);
    assert!(matches!(shown.timeline[0], TimelineEntry::Outreach(_)));
    assert!(shown.notes.is_none(), "no notes for someone who isn't a lead");
}

#[tokio::test]
async fn stance_history_is_append_only_in_the_database() {
    let w = World::new().await;
    let c = w.climate().await;
    targets::add(&w.store, &w.actor(LEAD), w.now, add("Mayor Lin"))
        .await
        .unwrap();
    let rewrite = backbone::store::sql::query(
        "UPDATE stance_changes SET to_stance = 'champion' WHERE coalition_id = ?",
    )
    .bind(c.id)
    .execute(w.store.pool())
    .await;
    assert!(rewrite.unwrap_err().to_string().contains("append-only"));
}

#[tokio::test]
async fn only_leads_add_targets_and_names_are_unique_in_any_case() {
    let w = World::new().await;
    let c = w.climate().await;
    let before = w.events(&c).await;
    user_err(
        targets::add(&w.store, &w.actor(MEMBER), w.now, add("Cllr Reyes")).await,
        "Only leads",
    );
    targets::add(&w.store, &w.actor(LEAD), w.now, add("Cllr Reyes"))
        .await
        .unwrap();
    let dup = user_err(
        targets::add(&w.store, &w.actor(ADMIN), w.now, add("  CLLR   reyes ")).await,
        "already has a target named",
    );
    assert!(dup.contains("/target edit"), "{dup}");
    // One target, one event: the refusals changed nothing.
    assert_eq!(w.events(&c).await, before + 1);
    let list = target_views::list(&w.store, &w.actor(MEMBER), w.now, ListTargets::default())
        .await
        .unwrap();
    assert_eq!(list.paged.total, 1);
}

#[tokio::test]
async fn bad_input_is_refused_with_the_fix_and_changes_nothing() {
    let w = World::new().await;
    let c = w.climate().await;
    targets::add(&w.store, &w.actor(LEAD), w.now, add("Cllr Reyes"))
        .await
        .unwrap();
    let before = w.events(&c).await;
    let lead = w.actor(LEAD);
    user_err(
        targets::add(
            &w.store,
            &lead,
            w.now,
            AddTarget {
                stance: Some("ally".into()),
                ..add("X")
            },
        )
        .await,
        "choose one of: champion, supportive, neutral, opposed, hostile",
    );
    user_err(
        targets::add(
            &w.store,
            &lead,
            w.now,
            AddTarget {
                influence: Some("enormous".into()),
                ..add("X")
            },
        )
        .await,
        "high, medium, low",
    );
    user_err(
        targets::add(&w.store, &lead, w.now, add(&"n".repeat(101))).await,
        "the limit is 100",
    );
    user_err(
        outreach::log(&w.store, &w.actor(MEMBER), w.now, log("Senator Nobody", None)).await,
        "No target matching `Senator Nobody`",
    );
    user_err(
        outreach::log(
            &w.store,
            &w.actor(MEMBER),
            w.now,
            LogOutreach {
                outcome: "x".repeat(1001),
                ..log("Cllr Reyes", None)
            },
        )
        .await,
        "the limit is 1000",
    );
    user_err(
        outreach::log(
            &w.store,
            &w.actor(MEMBER),
            w.now,
            LogOutreach {
                follow_up: Some("yesterday".into()),
                ..log("Cllr Reyes", Some("champion"))
            },
        )
        .await,
        "",
    );
    user_err(
        outreach::log(&w.store, &w.actor(OUTSIDER), w.now, log("Cllr Reyes", None)).await,
        "not a member",
    );
    user_err(
        targets::edit(
            &w.store,
            &lead,
            w.now,
            EditTarget {
                target: "Cllr Reyes".into(),
                ..Default::default()
            },
        )
        .await,
        "Nothing to change",
    );
    assert_eq!(w.events(&c).await, before, "no refusal wrote anything");
    assert_eq!(
        history(&w, &c, "Cllr Reyes").await.len(),
        1,
        "the stance never moved"
    );
}

#[tokio::test]
async fn another_guilds_target_is_not_found() {
    let w = World::new().await;
    w.climate().await;
    targets::add(&w.store, &w.actor(LEAD), w.now, add("Cllr Reyes"))
        .await
        .unwrap();
    // The same people acting from another guild see nothing of this coalition.
    let r = target_views::show(&w.store, &w.foreign(ADMIN), w.now, None, "Cllr Reyes").await;
    user_err(r, "no coalition");
    let r = outreach::log(&w.store, &w.foreign(MEMBER), w.now, log("Cllr Reyes", None)).await;
    user_err(r, "no coalition");
    // And a note form carrying the target's id, submitted from another guild, finds nothing.
    let t = targets::resolve(
        &w.store,
        &actions::scope(&w.store, &w.actor(LEAD), None).await.unwrap(),
        "Cllr Reyes",
    )
    .await
    .unwrap();
    user_err(
        targets::add_note(&w.store, &w.foreign(ADMIN), w.now, t.id, "hello").await,
        "no longer there",
    );
}

#[tokio::test]
async fn a_follow_up_becomes_the_members_task_linked_through_the_outreach() {
    let w = World::new().await;
    let c = w.climate().await;
    targets::add(&w.store, &w.actor(LEAD), w.now, add("Cllr Reyes"))
        .await
        .unwrap();
    let out = outreach::log(
        &w.store,
        &w.actor(MEMBER),
        w.now,
        LogOutreach {
            follow_up: Some("friday".into()),
            ..log("Cllr Reyes", None)
        },
    )
    .await
    .unwrap();
    let task = out.follow_up.expect("a follow-up task");
    assert_eq!(task.task.assignee_id, Some(MEMBER));
    assert_eq!(task.task.title, "Follow up with Cllr Reyes (meeting)");
    assert!(task.task.due_at.is_some());
    assert_eq!(out.outreach.task_id, Some(task.task.id));
    let shown = target_views::show(&w.store, &w.actor(MEMBER), w.now, Some(&c.name), "Cllr Reyes")
        .await
        .unwrap();
    let TimelineEntry::Outreach(row) = &shown.timeline[0] else {
        panic!("outreach first");
    };
    assert_eq!(row.task_number, Some(task.task.number));
    let text = render::targets::target_shown(&shown).embeds[0].fields[0]
        .value
        .clone();
    assert!(
        text.contains(&format!("follow-up task #{}", task.task.number)),
        "{text}"
    );
}

#[tokio::test]
async fn private_notes_are_for_leads_only_and_go_with_the_target() {
    let w = World::new().await;
    let c = w.climate().await;
    let t = targets::add(&w.store, &w.actor(LEAD), w.now, add("Cllr Reyes"))
        .await
        .unwrap()
        .target;
    user_err(
        targets::add_note(&w.store, &w.actor(MEMBER), w.now, t.id, "gossip").await,
        "Only leads",
    );
    targets::add_note(
        &w.store,
        &w.actor(LEAD),
        w.now,
        t.id,
        "Prefers @everyone short briefings",
    )
    .await
    .unwrap();

    let lead_view = target_views::show(&w.store, &w.actor(LEAD), w.now, None, "Cllr Reyes")
        .await
        .unwrap();
    let msg = render::targets::target_shown(&lead_view);
    assert_eq!(msg.audience, Audience::Leads);
    assert!(msg.ephemeral);
    let all: String = msg.embeds[0].fields.iter().map(|f| f.value.clone()).collect();
    assert!(
        all.contains("short briefings") && !all.contains("@everyone"),
        "{all}"
    );
    assert_eq!(msg.buttons[0].custom_id, format!("target:note:{}", t.id));

    let member_view = target_views::show(&w.store, &w.actor(MEMBER), w.now, None, "Cllr Reyes")
        .await
        .unwrap();
    let msg = render::targets::target_shown(&member_view);
    let all: String = msg.embeds[0].fields.iter().map(|f| f.value.clone()).collect();
    assert!(!all.contains("briefings") && msg.buttons.is_empty());
    assert_ne!(msg.audience, Audience::Public);

    let removed = targets::remove(&w.store, &w.actor(LEAD), w.now, None, "Cllr Reyes")
        .await
        .unwrap();
    assert_eq!(removed.notes, 1);
    let left: i64 =
        backbone::store::sql::query_scalar("SELECT COUNT(*) FROM target_notes WHERE coalition_id = ?")
            .bind(c.id)
            .fetch_one(w.store.pool())
            .await
            .unwrap();
    assert_eq!(left, 0);
    user_err(
        targets::remove(&w.store, &w.actor(LEAD), w.now, None, "Cllr Reyes").await,
        "No target matching",
    );
}

#[tokio::test]
async fn an_edit_that_changes_the_stance_joins_the_history() {
    let w = World::new().await;
    let c = w.climate().await;
    targets::add(&w.store, &w.actor(LEAD), w.now, add("Cllr Reyes"))
        .await
        .unwrap();
    targets::add(&w.store, &w.actor(LEAD), w.now, add("Mayor Lin"))
        .await
        .unwrap();
    user_err(
        targets::edit(
            &w.store,
            &w.actor(LEAD),
            w.now,
            EditTarget {
                target: "Mayor".into(),
                name: Some("cllr REYES".into()),
                ..Default::default()
            },
        )
        .await,
        "already has a target named",
    );
    user_err(
        targets::edit(
            &w.store,
            &w.actor(MEMBER),
            w.now,
            EditTarget {
                target: "Mayor".into(),
                stance: Some("opposed".into()),
                ..Default::default()
            },
        )
        .await,
        "Only leads",
    );
    let out = targets::edit(
        &w.store,
        &w.actor(LEAD),
        w.now,
        EditTarget {
            target: "Mayor".into(),
            stance: Some("opposed".into()),
            jurisdiction: Some("Eastside".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(out.moved_from, Some(Stance::Neutral));
    assert_eq!(out.target.jurisdiction.as_deref(), Some("Eastside"));
    assert_eq!(
        history(&w, &c, "Mayor Lin").await,
        [
            (None, Stance::Neutral, false),
            (Some(Stance::Neutral), Stance::Opposed, false)
        ]
    );
}

#[tokio::test]
async fn a_goal_that_counts_targets_moves_when_a_stance_changes() {
    let w = World::new().await;
    let c = w.climate().await;
    let lead = w.actor(LEAD);
    for (name, office, stance) in [
        ("Cllr Reyes", "City Council", "neutral"),
        ("Cllr Okafor", "City Council", "supportive"),
        ("Rep. Hale", "State House", "champion"),
    ] {
        targets::add(
            &w.store,
            &lead,
            w.now,
            AddTarget {
                office: Some(office.into()),
                stance: Some(stance.into()),
                ..add(name)
            },
        )
        .await
        .unwrap();
    }
    let goal = actions::goals::add(
        &w.store,
        &lead,
        w.now,
        AddGoal {
            title: "7 council champions".into(),
            target: Some(7.0),
            metric: Some("targets office:city council".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .goal;
    assert_eq!(
        goal.current, 1.0,
        "counts supportive-or-better council targets from the start"
    );

    let out = outreach::log(
        &w.store,
        &w.actor(MEMBER),
        w.now,
        log("Cllr Reyes", Some("champion")),
    )
    .await
    .unwrap();
    assert_eq!(out.goals.len(), 1);
    assert_eq!(out.goals[0].current, 2.0);
    // A state target moving does not touch a council goal.
    let out = outreach::log(
        &w.store,
        &w.actor(MEMBER),
        w.now,
        log("Rep. Hale", Some("opposed")),
    )
    .await
    .unwrap();
    assert!(out.goals.is_empty());
    targets::remove(&w.store, &lead, w.now, None, "Cllr Okafor")
        .await
        .unwrap();

    let values: Vec<(f64, String)> =
        backbone::store::sql::query_as("SELECT value, cause FROM goal_values WHERE goal_id = ? ORDER BY id")
            .bind(goal.id)
            .fetch_all(w.store.pool())
            .await
            .unwrap();
    let causes: Vec<(f64, &str)> = values.iter().map(|(v, c)| (*v, c.as_str())).collect();
    assert_eq!(
        causes,
        [
            (0.0, "created"),
            (1.0, "targets"),
            (2.0, "targets"),
            (1.0, "targets")
        ]
    );
    user_err(
        actions::goals::progress(
            &w.store,
            &lead,
            w.now,
            actions::goals::SetProgress {
                goal: format!("#{}", goal.number),
                value: 5.0,
                ..Default::default()
            },
        )
        .await,
        "counts targets",
    );
    // A goal edited to count targets starts from today's count.
    let plain = actions::goals::add(
        &w.store,
        &lead,
        w.now,
        AddGoal {
            title: "Champions anywhere".into(),
            metric: Some("people".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .goal;
    let edited = actions::plan_edits::edit_goal(
        &w.store,
        &lead,
        w.now,
        actions::plan_edits::EditGoal {
            goal: format!("#{}", plain.number),
            metric: Some("targets".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        edited.goal.current, 1.0,
        "only Cllr Reyes is supportive or better now"
    );
    let _ = c;
}

#[tokio::test]
async fn the_list_filters_by_stance_and_influence_and_pages() {
    let w = World::new().await;
    w.climate().await;
    let lead = w.actor(LEAD);
    for i in 0..20 {
        targets::add(
            &w.store,
            &lead,
            w.now,
            AddTarget {
                stance: Some(if i % 2 == 0 { "supportive" } else { "opposed" }.into()),
                influence: Some(if i % 4 < 2 { "high" } else { "low" }.into()),
                ..add(&format!("Target {i:02}"))
            },
        )
        .await
        .unwrap();
    }
    let all = target_views::list(&w.store, &w.actor(MEMBER), w.now, ListTargets::default())
        .await
        .unwrap();
    assert_eq!(all.paged.total, 20);
    assert_eq!(all.targets.len(), 15);
    assert_eq!(
        all.targets[0].target.stance,
        Stance::Supportive,
        "most favourable first"
    );
    let m = render::targets::target_list(&all);
    assert!(m.limit_violations().is_empty());
    assert_eq!(m.buttons[0].custom_id, format!("page:targets:{}:c1:2", MEMBER.0));

    let filtered = target_views::list(
        &w.store,
        &w.actor(MEMBER),
        w.now,
        ListTargets {
            stance: Some("supportive".into()),
            influence: Some("high".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(filtered.paged.total, 5);
    let key = filtered.key.at(1);
    let page = actions::pages::turn(&w.store, &w.actor(MEMBER), w.now, &key)
        .await
        .unwrap();
    let again = render::paging::list_page(&page);
    assert!(
        again.embeds[0].title.contains("(supportive, high)"),
        "{}",
        again.embeds[0].title
    );
}

#[tokio::test]
async fn the_digest_says_who_moved_and_after_whose_outreach_and_lists_new_resources() {
    let mut w = World::new().await;
    let c = w.climate().await;
    actions::orgs::add(
        &w.store,
        &w.actor(LEAD),
        w.now,
        actions::orgs::AddOrg {
            name: "Eastside Pantry".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    targets::add(&w.store, &w.actor(LEAD), w.now, add("Cllr Reyes"))
        .await
        .unwrap();
    targets::add(&w.store, &w.actor(LEAD), w.now, add("Mayor Lin"))
        .await
        .unwrap();
    outreach::log(
        &w.store,
        &w.actor(MEMBER),
        w.now,
        LogOutreach {
            org: Some("Eastside Pantry".into()),
            ..log("Cllr Reyes", Some("supportive"))
        },
    )
    .await
    .unwrap();
    targets::add_note(
        &w.store,
        &w.actor(LEAD),
        w.now,
        targets::resolve(
            &w.store,
            &actions::scope(&w.store, &w.actor(LEAD), None).await.unwrap(),
            "Mayor",
        )
        .await
        .unwrap()
        .id,
        "SECRET: leaning our way privately",
    )
    .await
    .unwrap();
    actions::resources::add(
        &w.store,
        &w.actor(MEMBER2),
        w.now,
        actions::resources::AddResource {
            url: "https://example.org/points".into(),
            title: "Council talking points".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    w.advance(chrono::Duration::hours(1));

    let d = actions::digest::build(&w.store, &c, w.now).await.unwrap();
    assert_eq!(d.advocacy.moved_count, 1, "first stances are not moves");
    assert_eq!(
        d.advocacy.moved[0].line(),
        "Cllr Reyes: neutral → supportive, after Eastside Pantry's meeting"
    );
    assert_eq!(d.advocacy.resources_count, 1);
    let public = d.public(true);
    let msg = render::digest::digest(&public);
    let fields: Vec<(String, String)> = msg.embeds[0]
        .fields
        .iter()
        .map(|f| (f.name.clone(), f.value.clone()))
        .collect();
    let moved = fields
        .iter()
        .find(|(n, _)| n.starts_with("🗳️ Moved this week"))
        .expect("moved field");
    assert!(moved.1.contains("after Eastside Pantry's meeting"), "{}", moved.1);
    let lib = fields
        .iter()
        .find(|(n, _)| n.starts_with("📚 New in the library"))
        .expect("library field");
    assert!(lib.1.contains("Council talking points") && lib.1.contains("<https://example.org/points>"));
    let everything = format!("{fields:?}");
    assert!(
        !everything.contains("SECRET"),
        "private notes never reach the digest"
    );
    assert!(backbone::domain::digest::to_text(&public).contains("Moved this week: 1"));
}

#[tokio::test]
async fn the_report_shows_stances_at_start_and_end_who_moved_and_outreach_by_org() {
    let mut w = World::new().await;
    let c = w.climate().await;
    actions::orgs::add(
        &w.store,
        &w.actor(LEAD),
        w.now,
        actions::orgs::AddOrg {
            name: "Eastside <Pantry>".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    targets::add(&w.store, &w.actor(LEAD), w.now, add("Cllr Reyes"))
        .await
        .unwrap();
    targets::add(&w.store, &w.actor(LEAD), w.now, add("Mayor Lin"))
        .await
        .unwrap();
    w.advance(chrono::Duration::days(2));
    outreach::log(
        &w.store,
        &w.actor(MEMBER),
        w.now,
        LogOutreach {
            org: Some("Eastside <Pantry>".into()),
            ..log("Cllr Reyes", Some("champion"))
        },
    )
    .await
    .unwrap();
    outreach::log(&w.store, &w.actor(MEMBER2), w.now, log("Mayor Lin", None))
        .await
        .unwrap();
    w.advance(chrono::Duration::hours(1));

    let input = actions::report::ReportInput {
        coalition: None,
        period: backbone::domain::report::PeriodInput::period("month"),
    };
    let report = actions::report::report(&w.store, &w.actor(MEMBER), w.now, input)
        .await
        .unwrap();
    let t = &report.targets;
    assert_eq!(t.at_start, [0, 0, 0, 0, 0], "both were added during November");
    assert_eq!(t.at_end, [1, 0, 1, 0, 0]);
    assert_eq!(t.moved_count, 1);
    assert_eq!(t.outreach_total, 2);
    assert_eq!(
        t.outreach_by_org,
        [(Some("Eastside <Pantry>".to_string()), 1), (None, 1)]
    );
    let html = render::report::html(&report).unwrap();
    assert!(html.contains("<h2 id=\"targets\">Targets</h2>"));
    assert!(html.contains("Cllr Reyes: neutral → champion, after Eastside &#60;Pantry&#62;&#39;s meeting"));
    assert!(html.contains("Outreach per partner organization"));
    assert!(!html.contains("<Pantry>"), "escaped");
    let _ = c;
}
