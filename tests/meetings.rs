//! Meetings with a structured agenda (issue 18), on a real SQLite database and a manual clock:
//! scheduling with a Discord event and an announcement edited in place as people answer, the
//! agenda from the coalition's data (public without blocked reasons or feedback), running one
//! (thread, attendance, covered toggles, minutes, actions as tasks), carry-over into the series'
//! next occurrence with its local time kept across DST, refusals that change nothing, and two
//! leads ending one meeting at once.

mod harness;
use harness::*;

use backbone::actions::Actor;
use backbone::actions::feedback::{self, AnonLimiter, SendFeedback};
use backbone::actions::meetings::{self, AddAction, CancelMeeting, ScheduleMeeting};
use backbone::domain::meeting::{EventStatus, MeetingStatus, MinuteKind, Rsvp};
use backbone::domain::message::Message;
use backbone::domain::*;
use backbone::render::meetings as render;
use backbone::scheduler::{self, SchedulerSettings, SendError};
use backbone::store::deliveries::Target;
use chrono::{DateTime, Duration, TimeZone, Utc};

fn settings() -> SchedulerSettings {
    SchedulerSettings {
        max_sends_per_second: 0,
        ..SchedulerSettings::default()
    }
}

async fn run(w: &World, n: &RecordingNotifier, at: DateTime<Utc>) {
    scheduler::tick(&w.store, &settings(), at).await.unwrap();
    scheduler::deliver(&w.store, n, &settings(), at).await.unwrap();
}

fn text(m: &Message) -> String {
    let mut s = m.content.clone();
    for e in &m.embeds {
        s += &format!("\n{}\n{}\n{}\n", e.title, e.description, e.footer);
        for f in &e.fields {
            s += &format!("{}\n{}\n", f.name, f.value);
        }
    }
    for b in &m.buttons {
        s += &format!("[{} {}]", b.label, b.custom_id);
    }
    s
}

fn berlin(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    chrono_tz::Europe::Berlin
        .with_ymd_and_hms(y, mo, d, h, mi, 0)
        .unwrap()
        .with_timezone(&Utc)
}

fn plan(title: &str, when: &str) -> ScheduleMeeting {
    ScheduleMeeting {
        coalition: None,
        title: title.into(),
        when: when.into(),
        ..Default::default()
    }
}

async fn schedule(w: &World, input: ScheduleMeeting) -> meetings::MeetingScheduled {
    meetings::schedule(&w.store, &w.actor(LEAD), w.now, input)
        .await
        .expect("schedule")
}

async fn status_of(w: &World, kind: &str) -> Vec<(String, String)> {
    backbone::store::sql::query_as(
        "SELECT status, COALESCE(last_error, '') FROM deliveries WHERE kind = ? ORDER BY id",
    )
    .bind(kind)
    .fetch_all(w.store.pool())
    .await
    .unwrap()
}

#[tokio::test]
async fn a_lead_schedules_a_meeting_with_an_event_an_announcement_and_a_reminder() {
    let w = World::new().await;
    let c = w.climate().await;
    let n = RecordingNotifier::new();
    let out = schedule(
        &w,
        ScheduleMeeting {
            duration: Some("1h30".into()),
            place: Some("Town hall, room 2".into()),
            ..plan("Monthly strategy", "2026-11-26 15:00")
        },
    )
    .await;
    let start = berlin(2026, 11, 26, 15, 0).timestamp();
    assert_eq!(out.meeting.starts_at, start);
    assert_eq!(out.meeting.ends_at, start + 90 * 60);
    run(&w, &n, w.now).await;

    // One EXTERNAL event at the place, with its end.
    let events = n.events();
    assert_eq!(events.len(), 1, "{events:?}");
    let (guild, _, e, status) = &events[0];
    assert_eq!((*guild, *status), (GUILD, EventStatus::Scheduled));
    assert_eq!(e.name, "Monthly strategy");
    assert_eq!((e.start, e.end), (start, start + 90 * 60));
    assert_eq!(
        (e.voice_channel, e.location.as_str()),
        (None, "Town hall, room 2")
    );

    // The announcement in the home channel, in each reader's zone, with the three buttons.
    let posts = n.posted_to(Target::Channel(HOME));
    assert_eq!(posts.len(), 1);
    let post = text(&posts[0].msg);
    assert!(post.contains(&format!("<t:{start}:F>")), "{post}");
    let id = out.meeting.id;
    for answer in ["yes", "maybe", "no"] {
        assert!(post.contains(&format!("meeting:rsvp:{id}:{answer}")), "{post}");
    }

    // The reminder goes out 24 h before, once, with the agenda.
    let remind = DateTime::from_timestamp(start - 24 * 3600, 0).unwrap();
    run(&w, &n, remind - Duration::minutes(1)).await;
    assert_eq!(n.posted_to(Target::Channel(HOME)).len(), 1, "not yet");
    run(&w, &n, remind).await;
    run(&w, &n, remind + Duration::minutes(5)).await;
    let posts = n.posted_to(Target::Channel(HOME));
    assert_eq!(posts.len(), 2, "the reminder, once");
    assert!(
        text(&posts[1].msg).contains("Coming up"),
        "{}",
        text(&posts[1].msg)
    );
    assert!(w.events(&c).await > 0);
}

#[tokio::test]
async fn answers_are_counted_in_place_and_a_cancelled_meeting_tells_those_coming() {
    let mut w = World::new().await;
    let c = w.climate().await;
    let n = RecordingNotifier::new();
    let m = schedule(&w, plan("Weekly call", "2026-11-26 15:00"))
        .await
        .meeting;
    run(&w, &n, w.now).await;
    async fn rsvp(
        w: &World,
        user: UserId,
        id: backbone::domain::meeting::MeetingId,
        answer: Rsvp,
    ) -> backbone::Result<meetings::Announcement> {
        meetings::rsvp(&w.store, &w.actor(user), w.now, id, answer).await
    }
    rsvp(&w, MEMBER, m.id, Rsvp::Yes).await.unwrap();
    rsvp(&w, MEMBER2, m.id, Rsvp::No).await.unwrap();
    let a = rsvp(&w, MEMBER2, m.id, Rsvp::Maybe).await.unwrap();
    let shown = text(&render::announcement(&a));
    assert!(
        shown.contains("Going (1)") && shown.contains("Maybe (1)") && shown.contains("Can't (0)"),
        "{shown}"
    );
    assert!(shown.contains("user3") && shown.contains("user4"), "{shown}");
    let list = meetings::list(&w.store, &w.actor(OUTSIDER), None).await.unwrap();
    assert!(text(&render::list(&list)).contains("1 going, 1 maybe"));

    // A member can't cancel; a lead can.
    async fn cancel(
        w: &World,
        user: UserId,
        id: backbone::domain::meeting::MeetingId,
    ) -> backbone::Result<meetings::MeetingCancelled> {
        let input = CancelMeeting {
            meeting: format!("#{id}"),
            ..Default::default()
        };
        meetings::cancel(&w.store, &w.actor(user), w.now, input).await
    }
    user_err(cancel(&w, MEMBER, m.id).await, "Only leads");
    let out = cancel(&w, LEAD, m.id).await.unwrap();
    assert_eq!(out.told, 2);
    w.advance(Duration::minutes(1));
    run(&w, &n, w.now).await;
    assert_eq!(n.events()[0].3, EventStatus::Canceled);
    let announce = n.posted_to(Target::Channel(HOME))[0].message_id.unwrap();
    let edits = n.edits_of(announce);
    assert!(text(edits.last().unwrap()).contains("Cancelled"), "{edits:?}");
    assert!(
        edits.last().unwrap().buttons.is_empty(),
        "no answers to a cancelled meeting"
    );
    let notice = n
        .posted_to(Target::Channel(HOME))
        .into_iter()
        .find(|s| text(&s.msg).contains("is cancelled"))
        .expect("those coming are told");
    assert_eq!(notice.msg.ping_users, vec![MEMBER, MEMBER2]);

    // An answer to a cancelled meeting changes nothing and says why.
    let before = w.events(&c).await;
    user_err(rsvp(&w, MEMBER, m.id, Rsvp::Yes).await, "cancelled");
    assert_eq!(w.events(&c).await, before);
}

#[tokio::test]
async fn bad_input_changes_nothing_and_names_the_fix() {
    let w = World::new().await;
    let c = w.climate().await;
    let before = w.events(&c).await;
    async fn by(
        w: &World,
        user: UserId,
        input: ScheduleMeeting,
    ) -> backbone::Result<meetings::MeetingScheduled> {
        meetings::schedule(&w.store, &w.actor(user), w.now, input).await
    }
    user_err(by(&w, MEMBER, plan("Call", "tomorrow 5pm")).await, "Only leads");
    user_err(
        by(&w, LEAD, plan("Call", "2026-11-01 10:00")).await,
        "in the past",
    );
    user_err(
        by(&w, LEAD, plan(&"x".repeat(101), "tomorrow 5pm")).await,
        "the limit is 100",
    );
    user_err(
        by(
            &w,
            LEAD,
            ScheduleMeeting {
                duration: Some("forever".into()),
                ..plan("Call", "tomorrow 5pm")
            },
        )
        .await,
        "duration",
    );
    user_err(
        meetings::end(&w.store, &w.actor(LEAD), w.now, None).await,
        "No meeting is running",
    );
    user_err(
        meetings::add_minute(&w.store, &w.actor(LEAD), w.now, None, MinuteKind::Decision, "Go").await,
        "`/meeting start`",
    );
    let action = AddAction {
        coalition: None,
        title: "Call the mayor".into(),
        assignee: MEMBER,
        assignee_name: "user3".into(),
        due: None,
    };
    user_err(
        meetings::action(&w.store, &w.actor(MEMBER), w.now, action).await,
        "No meeting is running",
    );
    user_err(
        meetings::agenda(&w.store, &w.actor(MEMBER), w.now, None, Some("#99")).await,
        "No meeting #99",
    );
    user_err(
        meetings::start(&w.store, &w.actor(LEAD), w.now, None, None).await,
        "no upcoming meeting",
    );
    assert_eq!(w.events(&c).await, before);
    assert_eq!(w.rows_in("meetings", &c).await, 0);
    assert_eq!(w.rows_in("tasks", &c).await, 0);

    // Another guild's meeting is unknown here.
    let m = schedule(&w, plan("Call", "tomorrow 5pm")).await.meeting;
    user_err(
        meetings::rsvp(&w.store, &w.foreign(MEMBER), w.now, m.id, Rsvp::Yes).await,
        "no longer exists",
    );
}

#[tokio::test]
async fn a_whole_meeting_agenda_minutes_actions_and_carry_over_into_the_next_occurrence() {
    let mut w = World::new().await;
    let c = w.climate().await;
    let n = RecordingNotifier::new();
    let now = w.now.timestamp();
    // What the coalition's data puts on the agenda.
    w.raw_task(
        &c,
        RawTask {
            title: "Print flyers",
            assignee: Some(MEMBER),
            due_at: Some(now - 86_400),
            ..Default::default()
        },
    )
    .await;
    w.raw_task(
        &c,
        RawTask {
            title: "Book the hall",
            assignee: Some(MEMBER2),
            status: "blocked",
            blocked_reason: Some("SECRET-LANDLORD-REASON"),
            ..Default::default()
        },
    )
    .await;
    let goal = w
        .raw_goal(&c, "Sign 500 petitions", 50.0, Some(500.0), None, "active")
        .await;
    backbone::store::sql::query("UPDATE goals SET created_at = ?, due_at = ? WHERE id = ?")
        .bind(now - 50 * 86_400)
        .bind(now + 50 * 86_400)
        .bind(goal)
        .execute(w.store.pool())
        .await
        .unwrap();
    w.raw_deadline(&c, "Grant report", now + 2 * 86_400, "open").await;
    w.raw_win(&c, MEMBER, "Met the council", now - 3600).await;
    feedback::send(
        &w.store,
        &AnonLimiter::new(3),
        &w.actor(MEMBER),
        w.now,
        SendFeedback {
            coalition: None,
            text: "SECRET-FEEDBACK".into(),
            anonymous: false,
        },
    )
    .await
    .unwrap();

    let m = schedule(
        &w,
        ScheduleMeeting {
            every: Some("weekly".into()),
            ..plan("Weekly call", "2026-11-24 18:00")
        },
    )
    .await
    .meeting;
    run(&w, &n, w.now).await;
    for item in ["Budget for the rally", "Press release"] {
        meetings::propose(&w.store, &w.actor(MEMBER), w.now, None, None, item)
            .await
            .unwrap();
    }

    // The agenda: proposed items first, then the data; no private reason, no feedback for members.
    let member_view = meetings::agenda(&w.store, &w.actor(MEMBER), w.now, None, None)
        .await
        .unwrap();
    let shown = text(&render::agenda(&member_view));
    for needle in [
        "Budget for the rally",
        "Overdue: task #1 Print flyers",
        "Blocked: task #2 Book the hall",
        "Deadline: #1 Grant report",
        "Behind pace: goal #1 Sign 500 petitions",
        "Celebrate: user3 — Met the council",
    ] {
        assert!(shown.contains(needle), "{needle} in {shown}");
    }
    assert!(shown.find("Budget").unwrap() < shown.find("Overdue").unwrap());
    assert!(
        !shown.contains("SECRET") && !shown.contains("feedback"),
        "{shown}"
    );
    let lead_view = meetings::agenda(&w.store, &w.actor(LEAD), w.now, None, None)
        .await
        .unwrap();
    let lead_msg = render::agenda(&lead_view);
    assert!(text(&lead_msg).contains("1 feedback item awaiting acknowledgement"));
    assert!(!text(&lead_msg).contains("SECRET"));
    assert_eq!(lead_msg.audience, Audience::Leads);

    // Start: the thread on the announcement, the agenda in it with toggles and a Here button.
    w.now = berlin(2026, 11, 24, 18, 0);
    user_err(
        meetings::start(&w.store, &w.actor(MEMBER), w.now, None, None).await,
        "Only leads",
    );
    let started = meetings::start(&w.store, &w.actor(LEAD), w.now, None, None)
        .await
        .unwrap();
    assert_eq!(started.items, 7);
    user_err(
        meetings::start(&w.store, &w.actor(LEAD), w.now, None, Some(&format!("#{}", m.id))).await,
        "already running",
    );
    run(&w, &n, w.now).await;
    let announce = n.posted_to(Target::Channel(HOME))[0].message_id.unwrap();
    let threads = n.threads();
    assert_eq!(threads.len(), 1);
    assert_eq!((threads[0].0, threads[0].1), (HOME, announce));
    let thread = ChannelId(announce.0);
    let agenda_post = n.posted_to(Target::Channel(thread));
    assert_eq!(agenda_post.len(), 1);
    let buttons: Vec<String> = agenda_post[0]
        .msg
        .buttons
        .iter()
        .map(|b| b.custom_id.clone())
        .collect();
    assert_eq!(buttons[0], format!("meeting:here:{}", m.id));
    assert_eq!(buttons.len(), 8, "Here and a toggle per item: {buttons:?}");
    assert!(!text(&agenda_post[0].msg).contains("SECRET"));
    assert_eq!(n.events()[0].3, EventStatus::Active);

    // Attendance, one covered item, minutes, an action that is a task.
    for user in [MEMBER, LEAD, MEMBER] {
        meetings::here(&w.store, &w.actor(user), w.now, m.id)
            .await
            .unwrap();
    }
    let first_item = buttons[1].rsplit(':').next().unwrap().parse().unwrap();
    let toggled = meetings::toggle_covered(
        &w.store,
        &w.actor(MEMBER),
        w.now,
        backbone::domain::meeting::ItemId(first_item),
    )
    .await
    .unwrap();
    assert!(toggled.lines[0].covered);
    meetings::add_minute(
        &w.store,
        &w.actor(MEMBER),
        w.now,
        None,
        MinuteKind::Note,
        "Turnout was good",
    )
    .await
    .unwrap();
    user_err(
        meetings::add_minute(
            &w.store,
            &w.actor(MEMBER),
            w.now,
            None,
            MinuteKind::Decision,
            "Rally on 12 Dec",
        )
        .await,
        "Only leads",
    );
    meetings::add_minute(
        &w.store,
        &w.actor(LEAD),
        w.now,
        None,
        MinuteKind::Decision,
        "Rally on 12 Dec @everyone",
    )
    .await
    .unwrap();
    let action = meetings::action(
        &w.store,
        &w.actor(LEAD),
        w.now,
        AddAction {
            coalition: None,
            title: "Call the mayor".into(),
            assignee: MEMBER2,
            assignee_name: "user4".into(),
            due: Some("friday".into()),
        },
    )
    .await
    .unwrap();
    assert_eq!(action.task.task.number, 3);
    assert_eq!(
        deliveries(&w, "task_assigned").await.len(),
        1,
        "the assignee's DM"
    );

    // End: minutes once, in the thread; the uncovered proposed item carries over.
    w.advance(Duration::minutes(50));
    let ended = meetings::end(&w.store, &w.actor(LEAD), w.now, None)
        .await
        .unwrap();
    assert_eq!(ended.carried, 1);
    let next = ended.next.clone().expect("the series' next occurrence");
    assert_eq!(next.starts_at, berlin(2026, 12, 1, 18, 0).timestamp());
    user_err(
        meetings::end(&w.store, &w.actor(LEAD), w.now, None).await,
        "No meeting is running",
    );
    run(&w, &n, w.now).await;
    let minutes = n.posted_to(Target::Channel(thread));
    assert_eq!(minutes.len(), 2, "agenda, then minutes");
    let mins = text(&minutes[1].msg);
    for needle in [
        "Attendance (2)",
        "No organization",
        "Rally on 12 Dec",
        "#3 Call the mayor",
        "Turnout was good",
        "Press release",
    ] {
        assert!(mins.contains(needle), "{needle} in {mins}");
    }
    assert!(!mins.contains("@everyone"), "defused: {mins}");
    assert!(minutes[1].msg.ping_users.is_empty());
    assert_eq!(n.events()[0].3, EventStatus::Completed);
    assert_eq!(n.events().len(), 2, "the next occurrence's event");
    assert!(n.event_moves().iter().all(|(_, _, _, ok)| *ok));

    // The digest: the last meeting's decisions, how many of its actions are done, the next one.
    let digest = backbone::actions::digest::build(&w.store, &c, w.now)
        .await
        .unwrap();
    let shown = text(&backbone::render::digest::digest(&digest));
    assert!(
        shown.contains("Last: **Weekly call**") && shown.contains("0 of 1 action done"),
        "{shown}"
    );
    assert!(
        shown.contains("Rally on 12 Dec") && !shown.contains("@everyone"),
        "{shown}"
    );
    assert!(
        shown.contains(&format!("Next: **Weekly call** <t:{}:F>", next.starts_at)),
        "{shown}"
    );

    // The impact report: meetings held, attendance by org (no org here: 2 of 4 members), decisions.
    let report = backbone::actions::report::report(
        &w.store,
        &w.actor(MEMBER),
        w.now,
        backbone::actions::report::ReportInput::default(),
    )
    .await
    .unwrap();
    assert_eq!(report.meetings.held, 1);
    assert_eq!(report.meetings.attendance, vec![(None, 2, 4)]);
    let html = backbone::render::report::html(&report).unwrap();
    assert!(
        html.contains("<strong>1</strong> held") && html.contains("2 of 4 (50%)"),
        "{html}"
    );
    assert!(html.contains("Rally on 12 Dec"));

    // The next occurrence's agenda shows what carried over, and from when.
    let next_agenda = meetings::agenda(&w.store, &w.actor(MEMBER), w.now, None, None)
        .await
        .unwrap();
    assert_eq!(next_agenda.meeting.id, next.id);
    let shown = text(&render::agenda(&next_agenda));
    assert!(
        shown.contains("Press release") && shown.contains("carried from Tue 24 Nov"),
        "{shown}"
    );
    assert!(
        !shown.contains("Budget for the rally"),
        "covered items don't carry: {shown}"
    );
    let got: MeetingStatus = backbone::store::sql::query_scalar("SELECT status FROM meetings WHERE id = ?")
        .bind(m.id)
        .fetch_one(w.store.pool())
        .await
        .unwrap();
    assert_eq!(got, MeetingStatus::Ended);
    user_err(
        meetings::here(&w.store, &w.actor(MEMBER2), w.now, m.id).await,
        "isn't running",
    );
}

#[tokio::test]
async fn a_series_keeps_its_local_time_across_dst_in_berlin_and_new_york() {
    let mut w = World::new().await;
    let berlin_c = w.climate().await;
    let ny = backbone::actions::coalitions::create(
        &w.store,
        &w.actor(ADMIN),
        w.now,
        backbone::actions::coalitions::CreateCoalition {
            name: "Hudson Alliance".into(),
            channel: Some(ChannelId(3300)),
            timezone: Some("America/New_York".into()),
        },
    )
    .await
    .unwrap()
    .coalition;
    for (c, when, tz) in [
        (&berlin_c, "2027-03-25 18:00", chrono_tz::Europe::Berlin),
        (&ny, "2027-03-11 18:00", chrono_tz::America::New_York),
    ] {
        w.now = Utc.with_ymd_and_hms(2027, 3, 1, 12, 0, 0).unwrap();
        let mut m = meetings::schedule(
            &w.store,
            &w.actor(ADMIN),
            w.now,
            ScheduleMeeting {
                coalition: Some(c.name.clone()),
                every: Some("weekly".into()),
                ..plan("Weekly call", when)
            },
        )
        .await
        .unwrap()
        .meeting;
        // Cancelling one occurrence plans the next, a week later at the same local time, over
        // the change to summer time.
        for step in 0..2 {
            let out = meetings::cancel(
                &w.store,
                &w.actor(ADMIN),
                w.now,
                CancelMeeting {
                    coalition: Some(c.name.clone()),
                    meeting: format!("#{}", m.id),
                    series: false,
                },
            )
            .await
            .unwrap();
            let next = out.next.expect("next occurrence");
            // The week that crosses into summer time is an hour shorter.
            let week = if step == 0 { 7 * 86_400 - 3600 } else { 7 * 86_400 };
            assert_eq!(next.starts_at - m.starts_at, week, "{tz} step {step}");
            let local = DateTime::from_timestamp(next.starts_at, 0)
                .unwrap()
                .with_timezone(&tz);
            assert_eq!(local.format("%a %H:%M").to_string(), "Thu 18:00", "{tz}");
            m = next;
        }
        // The whole series, cancelled: nothing next.
        let out = meetings::cancel(
            &w.store,
            &w.actor(ADMIN),
            w.now,
            CancelMeeting {
                coalition: Some(c.name.clone()),
                meeting: format!("#{}", m.id),
                series: true,
            },
        )
        .await
        .unwrap();
        assert!(out.next.is_none() && out.series);
    }
}

#[tokio::test]
async fn without_the_create_events_permission_the_meeting_still_works() {
    let mut w = World::new().await;
    let _c = w.climate().await;
    let n = RecordingNotifier::new();
    n.refuse_events(SendError::NoAccess {
        code: 50013,
        message: "Missing Permissions".into(),
    });
    schedule(&w, plan("Weekly call", "tomorrow 5pm")).await;
    run(&w, &n, w.now).await;
    assert_eq!(n.posted_to(Target::Channel(HOME)).len(), 1, "announced anyway");
    let events = status_of(&w, "meeting_event").await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].0, "dead");
    assert!(events[0].1.contains("Create Events"), "{events:?}");
    w.advance(Duration::hours(31));
    meetings::start(&w.store, &w.actor(LEAD), w.now, None, None)
        .await
        .unwrap();
    run(&w, &n, w.now).await;
    meetings::end(&w.store, &w.actor(LEAD), w.now, None)
        .await
        .unwrap();
    run(&w, &n, w.now).await;
    let all = n.posted();
    assert!(
        all.iter().any(|s| text(&s.msg).contains("Minutes")),
        "minutes posted"
    );
    // The status changes of an event that doesn't exist are dropped, not retried forever.
    let events = status_of(&w, "meeting_event").await;
    assert!(events.iter().skip(1).all(|(s, _)| s == "cancelled"), "{events:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_leads_ending_the_same_meeting_at_once_post_the_minutes_once() {
    for round in 0..5 {
        let w = World::new().await;
        let c = w.climate().await;
        let n = RecordingNotifier::new();
        let start = w.now + Duration::hours(2);
        schedule(&w, plan("Weekly call", "in 2 hours")).await;
        meetings::start(&w.store, &w.actor(LEAD), start, None, None)
            .await
            .unwrap();
        let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(2));
        let mut handles = Vec::new();
        for user in [LEAD, ADMIN] {
            let store = w.store.clone();
            let actor = w.actor(user);
            let barrier = barrier.clone();
            let at = start + Duration::minutes(30);
            handles.push(tokio::spawn(async move {
                barrier.wait().await;
                meetings::end(&store, &actor, at, None).await
            }));
        }
        let mut ok = 0;
        for h in handles {
            match h.await.unwrap() {
                Ok(_) => ok += 1,
                Err(e) => assert!(
                    e.to_string().contains("already ended")
                        || e.to_string().contains("No meeting is running"),
                    "{e}"
                ),
            }
        }
        assert_eq!(ok, 1, "round {round}: one lead ends it");
        let ends: i64 = backbone::store::sql::query_scalar(
            "SELECT COUNT(*) FROM events WHERE coalition_id = ? AND kind = 'meeting.end'",
        )
        .bind(c.id)
        .fetch_one(w.store.pool())
        .await
        .unwrap();
        assert_eq!(ends, 1);
        run(&w, &n, start + Duration::minutes(31)).await;
        run(&w, &n, start + Duration::minutes(32)).await;
        let minutes = n
            .posted()
            .into_iter()
            .filter(|s| text(&s.msg).contains("Minutes"))
            .count();
        assert_eq!(minutes, 1, "round {round}: minutes posted once");
    }
}

#[tokio::test]
async fn a_meeting_nobody_started_passes_and_its_series_and_agenda_move_on() {
    let mut w = World::new().await;
    let _c = w.climate().await;
    let n = RecordingNotifier::new();
    let m = schedule(
        &w,
        ScheduleMeeting {
            every: Some("weekly".into()),
            ..plan("Weekly call", "2026-11-24 18:00")
        },
    )
    .await
    .meeting;
    meetings::propose(&w.store, &w.actor(MEMBER), w.now, None, None, "Press release")
        .await
        .unwrap();
    run(&w, &n, w.now).await;
    // An hour after its end, still not started: it passed.
    w.now = berlin(2026, 11, 24, 19, 59);
    run(&w, &n, w.now).await;
    assert_eq!(n.events().len(), 1, "not yet");
    w.now = berlin(2026, 11, 24, 20, 1);
    run(&w, &n, w.now).await;
    run(&w, &n, w.now).await;
    let events = n.events();
    assert_eq!(events.len(), 2, "the next occurrence's event");
    assert_eq!(events[0].3, EventStatus::Canceled);
    assert_eq!(events[1].2.start, berlin(2026, 12, 1, 18, 0).timestamp());
    let announce = n.posted_to(Target::Channel(HOME))[0].message_id.unwrap();
    assert!(text(n.edits_of(announce).last().unwrap()).contains("Not held"));
    user_err(
        meetings::start(&w.store, &w.actor(LEAD), w.now, None, Some(&format!("#{}", m.id))).await,
        "over",
    );
    let next = meetings::agenda(&w.store, &w.actor(MEMBER), w.now, None, None)
        .await
        .unwrap();
    assert_ne!(next.meeting.id, m.id);
    assert!(text(&render::agenda(&next)).contains("Press release"));
}

#[tokio::test]
async fn in_a_meeting_thread_commands_act_on_that_meeting_s_coalition() {
    let w = World::new().await;
    let _c = w.climate().await;
    let _water = w.coalition("Water Coalition").await;
    let n = RecordingNotifier::new();
    schedule(
        &w,
        ScheduleMeeting {
            coalition: Some("Climate Coalition".into()),
            ..plan("Weekly call", "in 2 hours")
        },
    )
    .await;
    run(&w, &n, w.now).await;
    let at = w.now + Duration::hours(2);
    meetings::start(&w.store, &w.actor(LEAD), at, Some("Climate Coalition"), None)
        .await
        .unwrap();
    run(&w, &n, at).await;
    let thread = ChannelId(n.posted_to(Target::Channel(HOME))[0].message_id.unwrap().0);
    let in_thread = Actor {
        channel: Some(thread),
        ..w.actor(MEMBER)
    };
    let out = meetings::add_minute(
        &w.store,
        &in_thread,
        at,
        None,
        MinuteKind::Note,
        "From the thread",
    )
    .await
    .unwrap();
    assert_eq!(out.meeting.title, "Weekly call");
    // Elsewhere, with two coalitions and no name, the coalition must be named.
    let elsewhere = Actor {
        channel: Some(ChannelId(42)),
        ..w.actor(MEMBER)
    };
    user_err(
        meetings::add_minute(&w.store, &elsewhere, at, None, MinuteKind::Note, "Lost").await,
        "pick one with the `coalition` option",
    );
}

#[tokio::test]
async fn the_reminder_follows_the_setting_and_skips_a_meeting_planned_inside_it() {
    let w = World::new().await;
    let _c = w.climate().await;
    let n = RecordingNotifier::new();
    let s = SchedulerSettings {
        meeting_reminder: 2 * 3600,
        ..settings()
    };
    let go = |w: &World, at: DateTime<Utc>| {
        let (store, s) = (w.store.clone(), s.clone());
        let n = &n;
        async move {
            scheduler::tick(&store, &s, at).await.unwrap();
            scheduler::deliver(&store, n, &s, at).await.unwrap();
        }
    };
    schedule(&w, plan("Soon", "in 1 hour")).await;
    schedule(&w, plan("Later", "in 5 hours")).await;
    go(&w, w.now).await;
    let reminders = |n: &RecordingNotifier| {
        n.posted_to(Target::Channel(HOME))
            .into_iter()
            .filter(|p| text(&p.msg).contains("Coming up"))
            .map(|p| text(&p.msg))
            .collect::<Vec<_>>()
    };
    // "Later" starts at +5 h: its reminder is due at +3 h; "Soon" was planned inside the window.
    let t0 = w.now;
    for minutes in [30, 60, 119, 179] {
        go(&w, t0 + Duration::minutes(minutes)).await;
    }
    assert!(reminders(&n).is_empty(), "{:?}", reminders(&n));
    go(&w, t0 + Duration::minutes(181)).await;
    go(&w, t0 + Duration::minutes(182)).await;
    let sent = reminders(&n);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(sent[0].contains("Later"));
}
