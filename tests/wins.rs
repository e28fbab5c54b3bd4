mod harness;
use harness::*;

use backbone::domain::*;

use backbone::actions::goals::{self, AddGoal, CloseGoal};
use backbone::actions::tasks::{self, AssignTask, TaskSel};
use backbone::actions::wins::{self, ListWins, LogWin};
use backbone::actions::{members, orgs};
use chrono::Duration;

fn input(text: &str) -> LogWin {
    LogWin {
        text: text.into(),
        ..Default::default()
    }
}

async fn goal(w: &World, title: &str, target: f64) -> Goal {
    let add = AddGoal {
        title: title.into(),
        target: Some(target),
        ..Default::default()
    };
    goals::add(&w.store, &w.actor(LEAD), w.now, add)
        .await
        .unwrap()
        .goal
}

async fn wins_in(w: &World, c: &Coalition) -> i64 {
    backbone::store::sql::query_scalar("SELECT COUNT(*) FROM wins WHERE coalition_id = ?")
        .bind(c.id)
        .fetch_one(w.store.pool())
        .await
        .unwrap()
}

async fn current(w: &World, g: &Goal) -> f64 {
    backbone::store::sql::query_scalar("SELECT current FROM goals WHERE id = ?")
        .bind(g.id)
        .fetch_one(w.store.pool())
        .await
        .unwrap()
}

async fn celebrations(w: &World) -> Vec<(String, i64, String)> {
    backbone::store::sql::query_as("SELECT dedupe_key, target_id, target_kind FROM deliveries WHERE kind = 'win_celebration' ORDER BY id")
        .fetch_all(w.store.pool())
        .await
        .unwrap()
}

async fn done_task(w: &World, c: &Coalition, assignee: UserId) -> Task {
    let assign = AssignTask {
        coalition: Some(c.name.clone()),
        title: "Print flyers".into(),
        assignee,
        assignee_name: String::new(),
        due: None,
        goal: Some("#1".into()),
    };
    let t = tasks::assign(&w.store, &w.actor(LEAD), w.now, assign)
        .await
        .unwrap()
        .task;
    tasks::done(&w.store, &w.actor(assignee), w.now, None, TaskSel::Id(t.id))
        .await
        .unwrap()
        .task
}

#[tokio::test]
async fn member_logs_win_and_it_is_celebrated_in_the_home_channel() {
    let w = World::new().await;
    let c = w.climate().await;
    let before = w.events(&c).await;
    let out = wins::log(
        &w.store,
        &w.actor(MEMBER),
        w.now,
        input("  City council said yes!\nMore soon  "),
    )
    .await
    .unwrap();
    assert_eq!(out.win.text, "City council said yes!\nMore soon");
    assert_eq!(out.win.user_id, MEMBER);
    assert_eq!(out.coalition_name, "Climate Coalition");
    assert!(out.celebrated);
    assert_eq!(wins_in(&w, &c).await, 1);
    assert_eq!(
        celebrations(&w).await,
        vec![(format!("win:{}", out.win.id.0), HOME.0, "channel".into())]
    );
    assert_eq!(w.events(&c).await, before + 1);
}

#[tokio::test]
async fn win_amount_adds_to_goal_progress() {
    let w = World::new().await;
    let c = w.climate().await;
    let g = goal(&w, "Signatures", 500.0).await;
    let log = LogWin {
        goal: Some("sign".into()),
        amount: Some(120.0),
        ..input("Street stall")
    };
    let out = wins::log(&w.store, &w.actor(MEMBER), w.now, log).await.unwrap();
    assert_eq!(out.win.amount, Some(120.0));
    assert_eq!(out.goal.as_ref().map(|g| g.current), Some(120.0));
    let log = LogWin {
        goal: Some("#1".into()),
        amount: Some(30.5),
        ..input("Online")
    };
    wins::log(&w.store, &w.actor(MEMBER2), w.now, log).await.unwrap();
    assert_eq!(current(&w, &g).await, 150.5);
    assert_eq!(wins_in(&w, &c).await, 2);
}

#[tokio::test]
async fn win_org_defaults_to_the_members_org() {
    let w = World::new().await;
    let c = w.climate().await;
    let a = w.actor(ADMIN);
    let green = orgs::add(
        &w.store,
        &a,
        w.now,
        orgs::AddOrg {
            coalition: None,
            name: "Green Org".into(),
        },
    )
    .await
    .unwrap()
    .org;
    let blue = orgs::add(
        &w.store,
        &a,
        w.now,
        orgs::AddOrg {
            coalition: None,
            name: "Blue Org".into(),
        },
    )
    .await
    .unwrap()
    .org;
    let join = members::AddMember {
        coalition: None,
        user: MEMBER,
        user_name: String::new(),
        role: None,
        org: Some("Green Org".into()),
    };
    members::add(&w.store, &a, w.now, join).await.unwrap();
    let own = wins::log(&w.store, &w.actor(MEMBER), w.now, input("Ours"))
        .await
        .unwrap();
    assert_eq!(
        (own.win.org_id, own.org_name.as_deref()),
        (Some(green.id), Some("Green Org"))
    );
    let other = wins::log(
        &w.store,
        &w.actor(MEMBER),
        w.now,
        LogWin {
            org: Some("blue org".into()),
            ..input("Theirs")
        },
    )
    .await
    .unwrap();
    assert_eq!(other.win.org_id, Some(blue.id));

    let before = w.events(&c).await;
    let r = wins::log(
        &w.store,
        &w.actor(MEMBER),
        w.now,
        LogWin {
            org: Some("Red".into()),
            ..input("Nope")
        },
    )
    .await;
    user_err(r, "/org list");
    assert_eq!(w.events(&c).await, before);
}

#[tokio::test]
async fn bad_win_inputs_are_refused() {
    let w = World::new().await;
    let c = w.climate().await;
    let g = goal(&w, "Signatures", 500.0).await;
    let before = w.events(&c).await;
    let m = w.actor(MEMBER);
    user_err(
        wins::log(&w.store, &w.actor(OUTSIDER), w.now, input("Hi")).await,
        "not a member",
    );
    user_err(wins::log(&w.store, &m, w.now, input("   ")).await, "empty");
    user_err(
        wins::log(&w.store, &m, w.now, input(&"w".repeat(1001))).await,
        "limit is 1000",
    );
    user_err(
        wins::log(
            &w.store,
            &m,
            w.now,
            LogWin {
                amount: Some(5.0),
                ..input("No goal")
            },
        )
        .await,
        "add `goal:`",
    );
    for bad in [0.0, -3.0, f64::NAN] {
        let log = LogWin {
            goal: Some("#1".into()),
            amount: Some(bad),
            ..input("Bad amount")
        };
        user_err(wins::log(&w.store, &m, w.now, log).await, "above 0");
    }
    let close = CloseGoal {
        coalition: None,
        goal: "#1".into(),
        outcome: GoalStatus::Achieved,
    };
    goals::close(&w.store, &w.actor(LEAD), w.now, close)
        .await
        .unwrap();
    let before_closed = w.events(&c).await;
    let log = LogWin {
        goal: Some("#1".into()),
        amount: Some(5.0),
        ..input("Late")
    };
    user_err(wins::log(&w.store, &m, w.now, log).await, "is closed");
    assert_eq!(w.events(&c).await, before_closed);
    assert_eq!(before_closed, before + 1);
    assert_eq!(wins_in(&w, &c).await, 0);
    assert_eq!(current(&w, &g).await, 0.0);
    assert!(celebrations(&w).await.is_empty());
}

#[tokio::test]
async fn done_task_is_logged_as_a_win_once() {
    let w = World::new().await;
    let c = w.climate().await;
    let g = goal(&w, "Outreach", 10.0).await;
    let t = done_task(&w, &c, MEMBER2).await;
    let before = w.events(&c).await;
    let out = wins::log_task_win(&w.store, &w.actor(MEMBER2), w.now, t.id)
        .await
        .unwrap();
    assert_eq!(out.win.text, "Completed task #1: Print flyers");
    assert_eq!(
        (out.win.task_id, out.win.goal_id, out.win.amount),
        (Some(t.id), Some(g.id), None)
    );
    assert_eq!(out.win.user_id, MEMBER2);
    assert_eq!(w.events(&c).await, before + 1);
    assert_eq!(celebrations(&w).await.len(), 1);

    user_err(
        wins::log_task_win(&w.store, &w.actor(LEAD), w.now, t.id).await,
        "already logged",
    );
    assert_eq!(wins_in(&w, &c).await, 1);
    assert_eq!(w.events(&c).await, before + 1);

    // Reopen and finish again: the win is already there, so no offer.
    let reopen = tasks::UpdateTask {
        coalition: None,
        task: TaskSel::Id(t.id),
        status: TaskStatus::Open,
        note: None,
    };
    tasks::update(&w.store, &w.actor(MEMBER2), w.now, reopen)
        .await
        .unwrap();
    let again = tasks::done(&w.store, &w.actor(MEMBER2), w.now, None, TaskSel::Id(t.id))
        .await
        .unwrap();
    assert!(!again.offer_win);
}

#[tokio::test]
async fn task_win_needs_a_done_task_its_assignee_or_a_lead_and_the_same_guild() {
    let w = World::new().await;
    let c = w.climate().await;
    goal(&w, "Outreach", 10.0).await;
    let t = done_task(&w, &c, MEMBER2).await;
    let assign = AssignTask {
        coalition: None,
        title: "Still open".into(),
        assignee: MEMBER2,
        assignee_name: String::new(),
        due: None,
        goal: None,
    };
    let open = tasks::assign(&w.store, &w.actor(LEAD), w.now, assign)
        .await
        .unwrap()
        .task;
    let before = w.events(&c).await;
    user_err(
        wins::log_task_win(&w.store, &w.actor(MEMBER), w.now, t.id).await,
        "assignee or a lead",
    );
    user_err(
        wins::log_task_win(&w.store, &w.actor(MEMBER2), w.now, open.id).await,
        "isn't done yet",
    );
    user_err(
        wins::log_task_win(&w.store, &w.foreign(MEMBER2), w.now, t.id).await,
        "no longer exists",
    );
    user_err(
        wins::log_task_win(&w.store, &w.actor(LEAD), w.now, TaskId(9999)).await,
        "no longer exists",
    );
    assert_eq!(wins_in(&w, &c).await, 0);
    assert_eq!(w.events(&c).await, before);
    // A lead may log it for the assignee; the win is still theirs.
    let out = wins::log_task_win(&w.store, &w.actor(LEAD), w.now, t.id)
        .await
        .unwrap();
    assert_eq!(out.win.user_id, MEMBER2);
}

#[tokio::test]
async fn list_shows_recent_wins_newest_first() {
    let mut w = World::new().await;
    let c = w.climate().await;
    wins::log(&w.store, &w.actor(MEMBER), w.now, input("Old news"))
        .await
        .unwrap();
    w.advance(Duration::days(10));
    wins::log(&w.store, &w.actor(MEMBER), w.now, input("First"))
        .await
        .unwrap();
    w.advance(Duration::hours(1));
    wins::log(&w.store, &w.actor(MEMBER2), w.now, input("Second"))
        .await
        .unwrap();

    let out = wins::list(&w.store, &w.actor(OUTSIDER), w.now, ListWins::default())
        .await
        .unwrap();
    assert_eq!(out.days, 7);
    assert_eq!(out.total, 2);
    assert_eq!(
        out.wins.iter().map(|r| r.win.text.as_str()).collect::<Vec<_>>(),
        vec!["Second", "First"]
    );
    assert_eq!(out.wins[0].user_name.as_deref(), Some("user4"));
    assert_eq!(out.coalition_name, c.name);

    let month = wins::list(
        &w.store,
        &w.actor(OUTSIDER),
        w.now,
        ListWins {
            days: Some(30),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(month.total, 3);
    for bad in [0, 366, -1] {
        let r = wins::list(
            &w.store,
            &w.actor(OUTSIDER),
            w.now,
            ListWins {
                days: Some(bad),
                ..Default::default()
            },
        )
        .await;
        user_err(r, "between 1 and 365");
    }
    let foreign = ListWins {
        coalition: Some("Climate Coalition".into()),
        days: None,
        page: 1,
    };
    user_err(
        wins::list(&w.store, &w.foreign(MEMBER), w.now, foreign).await,
        "No coalition named",
    );
}

/// Whether Discord would render a masked link (`[text](url)`) in `s`: a `[` and its `]` that no
/// backslash escapes, with `(` right after the `]`.
fn renders_masked_link(s: &str) -> bool {
    let chars: Vec<char> = s.chars().collect();
    let escaped = |i: usize| chars[..i].iter().rev().take_while(|c| **c == '\\').count() % 2 == 1;
    (0..chars.len()).any(|open| {
        chars[open] == '['
            && !escaped(open)
            && (open + 1..chars.len())
                .find(|&close| chars[close] == ']' && !escaped(close))
                .is_some_and(|close| chars.get(close + 1) == Some(&'('))
    })
}

/// Whether a line of `s` starts (after indentation) with a header, subtext, list or quote marker
/// that no backslash escapes.
fn renders_a_block(s: &str) -> bool {
    s.lines().any(|l| {
        let l = l.trim_start();
        ["# ", "## ", "### ", "-# ", "- ", "* ", "> ", "1. "]
            .iter()
            .any(|m| l.starts_with(m))
    })
}

#[tokio::test]
async fn a_win_with_markdown_is_celebrated_as_typed_with_no_masked_link() {
    let w = World::new().await;
    w.climate().await;
    let text = "# We won!\n[read the council minutes](https://evil.example/login)\n- 12 letters\n1. first vote\n-# small print";
    let out = wins::log(&w.store, &w.actor(MEMBER), w.now, input(text))
        .await
        .unwrap();
    // Just as typed in the database; escaped where it is shown.
    assert_eq!(out.win.text, text);
    assert!(
        renders_masked_link(text) && renders_a_block(text),
        "the check itself works"
    );

    // The reply to `/win log`.
    let reply = backbone::render::wins::win_logged(&out);
    let shown = &reply.embeds[0].description;
    assert!(
        shown.contains(r"\[read the council minutes\](https://evil.example/login)"),
        "{shown}"
    );
    assert!(!renders_masked_link(shown), "{shown}");
    assert!(!renders_a_block(shown), "{shown}");

    // The celebration post in the home channel, rendered by the scheduler when it sends it.
    let n = RecordingNotifier::new();
    let settings = backbone::scheduler::SchedulerSettings {
        max_sends_per_second: 0,
        ..Default::default()
    };
    backbone::scheduler::deliver(&w.store, &n, &settings, w.now)
        .await
        .unwrap();
    let posted = n.posted_to(backbone::store::deliveries::Target::Channel(HOME));
    assert_eq!(posted.len(), 1, "{posted:?}");
    let post = &posted[0].msg.embeds[0].description;
    assert!(post.contains("read the council minutes"), "{post}");
    assert!(
        post.contains("\\# We won!") && post.contains("1\\. first vote"),
        "{post}"
    );
    assert!(!renders_masked_link(post), "{post}");
    assert!(!renders_a_block(post), "{post}");
}
