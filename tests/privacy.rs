//! What is said in confidence stays there (issue 16): every message has an audience, and nothing
//! above public lands in a public channel on any path — the digest in `leads` report mode, a lead
//! with DMs off or closed, a removed member, someone who left the server. Real SQLite, manual clock.

mod harness;
use harness::*;

use backbone::actions::{
    checkin_posts, checkins, coalitions, deadlines, digest, feedback, me, members, tasks, wins,
};
use backbone::domain::hours::DmPolicy;
use backbone::domain::*;
use backbone::scheduler;
use backbone::store::deliveries::{DeliveryKind, Target};
use chrono::{DateTime, Duration, Utc};

/// The leads' private channel.
const LEADS_CH: ChannelId = ChannelId(1190);

const TASK_REASON: &str = "SECRET-TASK-REASON";
const CHECKIN_BLOCKER: &str = "SECRET-CHECKIN-BLOCKER";
const FEEDBACK_NAMED: &str = "SECRET-FEEDBACK-NAMED";
const FEEDBACK_ANON: &str = "SECRET-FEEDBACK-ANON";
const AWAY_NOTE: &str = "SECRET-AWAY-NOTE";

async fn run(w: &World, n: &RecordingNotifier, at: DateTime<Utc>) {
    scheduler::tick(&w.store, &settings(), at).await.unwrap();
    scheduler::deliver(&w.store, n, &settings(), at).await.unwrap();
}

fn text(m: &backbone::domain::message::Message) -> String {
    let mut s = m.content.clone();
    for e in &m.embeds {
        s += &format!("{}\n{}\n{}\n", e.title, e.description, e.footer);
        for f in &e.fields {
            s += &format!("{}\n{}\n", f.name, f.value);
        }
    }
    s
}

async fn report_mode(w: &World, c: &Coalition, mode: &str) {
    checkin_posts::settings(
        &w.store,
        &w.actor(LEAD),
        w.now,
        Some(&c.name),
        Some(mode),
        None,
        86_400,
    )
    .await
    .unwrap();
}

async fn leads_channel(w: &World, c: &Coalition) {
    coalitions::settings(
        &w.store,
        &w.actor(LEAD),
        w.now,
        coalitions::UpdateSettings {
            coalition: Some(c.name.clone()),
            leads_channel: Some(LEADS_CH),
            ..Default::default()
        },
    )
    .await
    .unwrap();
}

async fn dms(w: &World, user: UserId, policy: DmPolicy) {
    me::settings(
        &w.store,
        &w.actor(user),
        w.now,
        me::ChangeSettings {
            dms: Some(policy),
            ..Default::default()
        },
    )
    .await
    .unwrap();
}

async fn answer_with_blocker(w: &World, c: &Coalition, user: UserId, at: DateTime<Utc>, blocker: &str) {
    let round = backbone::store::checkins::current_round(&w.store, c.id, at.timestamp())
        .await
        .unwrap()
        .expect("a round is open")
        .id;
    checkins::submit(
        &w.store,
        &w.actor(user),
        at,
        checkins::SubmitCheckin {
            round,
            answers: vec!["did things".into(), "more things".into(), blocker.into()],
        },
    )
    .await
    .unwrap();
}

/// Every public-channel message (posts and edits) the notifier saw, with its audience.
fn public_messages(n: &RecordingNotifier) -> Vec<(String, Audience, String)> {
    let mut out = Vec::new();
    for s in n.calls() {
        if let Target::Channel(ch) = s.target
            && ch != LEADS_CH
        {
            out.push((format!("post in {ch}"), s.msg.audience, text(&s.msg)));
        }
    }
    for c in n.changes() {
        if let Some(m) = c.msg
            && c.channel != LEADS_CH
        {
            out.push((format!("edit in {}", c.channel), m.audience, text(&m)));
        }
    }
    out
}

/// A week of a coalition that produces every kind of message, with private material in every
/// place it can be: a task's blocker reason, a check-in blocker, named and anonymous feedback,
/// an away note, deadline and task pings, and the digest. Returns what the notifier saw.
async fn week(
    mode: &str,
    policy: DmPolicy,
    refused: bool,
    with_leads_channel: bool,
) -> (World, RecordingNotifier) {
    let mut w = World::new().await;
    let c = w.climate().await;
    report_mode(&w, &c, mode).await;
    if with_leads_channel {
        leads_channel(&w, &c).await;
    }
    let n = RecordingNotifier::new();
    for user in [ADMIN, LEAD, MEMBER, MEMBER2] {
        dms(&w, user, policy).await;
        if refused {
            n.close_dms(user);
        }
    }
    // A task, blocked with a reason; a win; a deadline; feedback, named and anonymous.
    let task = assign(&w, MEMBER, &c, "Print the flyers", MEMBER2, Some("in 2 days")).await;
    set(&w, MEMBER2, &task, TaskStatus::Blocked, Some(TASK_REASON))
        .await
        .unwrap();
    wins::log(
        &w.store,
        &w.actor(MEMBER),
        w.now,
        wins::LogWin {
            coalition: None,
            text: "Venue booked".into(),
            goal: None,
            amount: None,
            org: None,
        },
    )
    .await
    .unwrap();
    deadlines::add(
        &w.store,
        &w.actor(LEAD),
        w.now,
        deadlines::AddDeadline {
            coalition: None,
            title: "Grant report".into(),
            due: "in 3 days".into(),
            goal: None,
        },
    )
    .await
    .unwrap();
    let limiter = feedback::AnonLimiter::default();
    let named = feedback::send(
        &w.store,
        &limiter,
        &w.actor(MEMBER2),
        w.now,
        feedback::SendFeedback {
            coalition: None,
            text: FEEDBACK_NAMED.into(),
            anonymous: false,
        },
    )
    .await
    .unwrap();
    feedback::send(
        &w.store,
        &limiter,
        &w.actor(MEMBER),
        w.now,
        feedback::SendFeedback {
            coalition: None,
            text: FEEDBACK_ANON.into(),
            anonymous: true,
        },
    )
    .await
    .unwrap();
    feedback::acknowledge(&w.store, &w.actor(LEAD), w.now, named.id)
        .await
        .unwrap();
    me::away(
        &w.store,
        &w.actor(MEMBER),
        w.now,
        me::GoAway {
            until: "in 3 days".into(),
            note: Some(AWAY_NOTE.into()),
        },
    )
    .await
    .unwrap();
    // A week of the scheduler: the Friday check-in (answered with a blocker), nudges, pings, the
    // Monday digest; and a digest sent by hand.
    // Twelve days: the next Friday's round closes the first (its closing summary).
    let end = w.now + Duration::days(12);
    while w.now < end {
        run(&w, &n, w.now).await;
        let round = backbone::store::checkins::current_round(&w.store, c.id, w.now.timestamp())
            .await
            .unwrap();
        if let Some(round) = round
            && backbone::store::checkins::answer(&w.store, round.id, MEMBER2)
                .await
                .unwrap()
                .is_none()
        {
            answer_with_blocker(&w, &c, MEMBER2, w.now, CHECKIN_BLOCKER).await;
        }
        w.advance(Duration::hours(4));
    }
    digest::send(&w.store, &w.actor(LEAD), w.now, None).await.unwrap();
    run(&w, &n, w.now).await;
    (w, n)
}

#[tokio::test]
async fn nothing_above_public_lands_in_a_public_channel_on_any_path() {
    let mut seen_kinds = std::collections::BTreeSet::new();
    for mode in ["thread", "summary", "leads"] {
        for policy in [DmPolicy::All, DmPolicy::PingsOnly, DmPolicy::None] {
            for refused in [false, true] {
                for with_leads_channel in [false, true] {
                    let case = format!(
                        "report:{mode} dms:{policy:?} refused:{refused} leads_channel:{with_leads_channel}"
                    );
                    let (w, n) = week(mode, policy, refused, with_leads_channel).await;
                    let public = public_messages(&n);
                    assert!(!public.is_empty(), "{case}: the week posts in public");
                    for (what, audience, body) in &public {
                        assert_eq!(
                            *audience,
                            Audience::Public,
                            "{case}: {what} is for {audience:?}:\n{body}"
                        );
                        for secret in [TASK_REASON, FEEDBACK_NAMED, FEEDBACK_ANON, AWAY_NOTE] {
                            assert!(!body.contains(secret), "{case}: {what} shows {secret}:\n{body}");
                        }
                        if mode == "leads" {
                            assert!(
                                !body.contains(CHECKIN_BLOCKER),
                                "{case}: {what} shows a leads-only answer:\n{body}"
                            );
                        }
                    }
                    // Whatever reached the leads' channel was for the leads, never one person's.
                    for s in n.calls().iter().filter(|s| s.target == Target::Channel(LEADS_CH)) {
                        assert!(
                            matches!(
                                s.msg.audience,
                                Audience::Public | Audience::Leads | Audience::Members
                            ),
                            "{case}: {:?} in the leads' channel",
                            s.msg.audience
                        );
                    }
                    let c = backbone::store::coalitions::list_in_guild(&w.store, GUILD)
                        .await
                        .unwrap();
                    for d in backbone::store::deliveries::of_coalition(&w.store, c[0].id)
                        .await
                        .unwrap()
                    {
                        seen_kinds.insert(d.kind.clone());
                    }
                }
            }
        }
    }
    // The matrix went through every kind of message the scheduler sends, bar the channel warning
    // (its own tests break a channel) and the repeat (work, not a message).
    for kind in DeliveryKind::ALL {
        // Meetings' posts are public by kind; tests/meetings.rs covers what they show.
        if matches!(kind, DeliveryKind::ChannelWarning | DeliveryKind::TaskRepeat)
            || kind.as_str().starts_with("meeting_")
        {
            continue;
        }
        assert!(
            seen_kinds.contains(kind.as_str()),
            "the matrix never made a {kind:?}"
        );
    }
}

#[tokio::test]
async fn leads_only_answers_stay_out_of_the_public_digest_and_reach_the_leads() {
    let w = World::new().await;
    let c = w.climate().await;
    report_mode(&w, &c, "leads").await;
    let n = RecordingNotifier::new();
    // Friday's round opens; a member answers with a blocker.
    let friday = chrono::TimeZone::with_ymd_and_hms(&chrono_tz::Europe::Berlin, 2026, 11, 27, 10, 0, 0)
        .unwrap()
        .with_timezone(&Utc);
    run(&w, &n, friday).await;
    answer_with_blocker(&w, &c, MEMBER, friday + Duration::hours(1), CHECKIN_BLOCKER).await;
    let later = friday + Duration::hours(2);
    digest::send(&w.store, &w.actor(LEAD), later, None).await.unwrap();
    run(&w, &n, later).await;

    let home = n.posted_to(Target::Channel(HOME));
    let digest_post = home
        .iter()
        .find(|s| text(&s.msg).contains("Digest ·"))
        .expect("the digest is posted");
    let body = text(&digest_post.msg);
    assert!(
        !body.contains(CHECKIN_BLOCKER) && !body.contains("user3"),
        "{body}"
    );
    assert!(
        body.contains("1 open blocker from check-ins; leads see details"),
        "{body}"
    );
    // Each lead gets the details by DM.
    for lead in [ADMIN, LEAD] {
        let dm = n
            .posted_to(Target::User(lead))
            .into_iter()
            .find(|s| text(&s.msg).contains("for the leads"))
            .expect("the leads' part of the digest");
        assert!(text(&dm.msg).contains(CHECKIN_BLOCKER), "{}", text(&dm.msg));
        assert_eq!(dm.msg.audience, Audience::Leads);
    }
    // `/digest preview`: public for someone outside the coalition and for a member, the details
    // for a lead.
    for who in [OUTSIDER, MEMBER2] {
        let d = digest::preview(&w.store, &w.actor(who), later, None)
            .await
            .unwrap();
        let m = backbone::render::digest::digest(&d);
        assert!(!text(&m).contains(CHECKIN_BLOCKER), "{}", text(&m));
        assert_eq!(m.audience, Audience::Public);
        assert_eq!(d.blockers_for_leads, 1);
    }
    let d = digest::preview(&w.store, &w.actor(LEAD), later, None)
        .await
        .unwrap();
    let m = backbone::render::digest::digest(&d);
    assert!(text(&m).contains(CHECKIN_BLOCKER), "{}", text(&m));
    assert_eq!(m.audience, Audience::Leads, "the leads' view is for leads");
}

#[tokio::test]
async fn who_is_away_is_for_the_leads_not_the_public_digest() {
    let w = World::new().await;
    let c = w.climate().await;
    me::away(
        &w.store,
        &w.actor(MEMBER2),
        w.now,
        me::GoAway {
            until: "in 5 days".into(),
            note: Some(AWAY_NOTE.into()),
        },
    )
    .await
    .unwrap();
    let n = RecordingNotifier::new();
    digest::send(&w.store, &w.actor(LEAD), w.now, Some(&c.name))
        .await
        .unwrap();
    run(&w, &n, w.now).await;
    let public = text(&n.posted_to(Target::Channel(HOME))[0].msg);
    assert!(
        !public.contains("away until") && !public.contains("user4"),
        "{public}"
    );
    let leads = text(&n.posted_to(Target::User(LEAD))[0].msg);
    assert!(leads.contains("away until") && leads.contains("user4"), "{leads}");
    assert!(
        !leads.contains(AWAY_NOTE),
        "the note itself stays with /member list: {leads}"
    );
}

#[tokio::test]
async fn a_lead_with_dms_off_gets_a_pointer_not_the_blocker_reason_in_public() {
    let w = World::new().await;
    let c = w.climate().await;
    dms(&w, LEAD, DmPolicy::None).await;
    let task = assign(&w, MEMBER, &c, "Print the flyers", MEMBER2, None).await;
    set(&w, MEMBER2, &task, TaskStatus::Blocked, Some(TASK_REASON))
        .await
        .unwrap();
    let n = RecordingNotifier::new();
    run(&w, &n, w.now).await;
    let home: Vec<String> = n
        .posted_to(Target::Channel(HOME))
        .iter()
        .map(|s| text(&s.msg))
        .collect();
    assert!(home.iter().all(|t| !t.contains(TASK_REASON)), "{home:?}");
    let pointer = home
        .iter()
        .find(|t| t.contains(&format!("<@{LEAD}>")))
        .expect("a pointer for the lead");
    assert!(
        pointer.contains("no DMs") && pointer.contains("/task list status:blocked"),
        "{pointer}"
    );
    // With a leads' channel, the alert itself goes there.
    leads_channel(&w, &c).await;
    let task = assign(&w, MEMBER, &c, "Book the hall", MEMBER2, None).await;
    set(
        &w,
        MEMBER2,
        &task,
        TaskStatus::Blocked,
        Some("hall double-booked"),
    )
    .await
    .unwrap();
    run(&w, &n, w.now).await;
    let alert = n.posted_to(Target::Channel(LEADS_CH));
    assert_eq!(alert.len(), 1, "{alert:?}");
    assert!(text(&alert[0].msg).contains("hall double-booked"));
    assert!(text(&alert[0].msg).contains(&format!("<@{LEAD}>")));
}

#[tokio::test]
async fn a_closed_dm_of_a_named_feedback_ack_is_dropped_not_pointed_to() {
    let w = World::new().await;
    w.climate().await;
    let limiter = feedback::AnonLimiter::default();
    let sent = feedback::send(
        &w.store,
        &limiter,
        &w.actor(MEMBER),
        w.now,
        feedback::SendFeedback {
            coalition: None,
            text: FEEDBACK_NAMED.into(),
            anonymous: false,
        },
    )
    .await
    .unwrap();
    feedback::acknowledge(&w.store, &w.actor(LEAD), w.now, sent.id)
        .await
        .unwrap();
    let n = RecordingNotifier::new();
    n.close_dms(MEMBER);
    run(&w, &n, w.now).await;
    let home: Vec<String> = n
        .posted_to(Target::Channel(HOME))
        .iter()
        .map(|s| text(&s.msg))
        .collect();
    assert!(
        home.iter().all(|t| !t.contains(&format!("<@{MEMBER}>"))),
        "a public ping would say who sent feedback: {home:?}"
    );
    let ack = deliveries(&w, "feedback_ack").await;
    assert_eq!(ack.len(), 1);
}

#[tokio::test]
async fn the_leads_channel_must_not_be_the_home_channel() {
    let w = World::new().await;
    let c = w.climate().await;
    let r = coalitions::settings(
        &w.store,
        &w.actor(LEAD),
        w.now,
        coalitions::UpdateSettings {
            coalition: Some(c.name.clone()),
            leads_channel: Some(HOME),
            ..Default::default()
        },
    )
    .await;
    user_err(r, "everyone reads");
    leads_channel(&w, &c).await;
    let c2 = backbone::store::coalitions::list_in_guild(&w.store, GUILD)
        .await
        .unwrap();
    assert_eq!(c2[0].leads_channel_id, Some(LEADS_CH));
}

#[tokio::test]
async fn a_removed_creator_loses_every_right_over_their_tasks() {
    let w = World::new().await;
    let c = w.climate().await;
    let task = assign(&w, MEMBER, &c, "Print the flyers", MEMBER2, None).await;
    let win = wins::log(
        &w.store,
        &w.actor(MEMBER),
        w.now,
        wins::LogWin {
            coalition: None,
            text: "Venue booked".into(),
            goal: None,
            amount: None,
            org: None,
        },
    )
    .await
    .unwrap();
    members::remove(
        &w.store,
        &w.actor(LEAD),
        w.now,
        members::RemoveMember {
            coalition: None,
            user: MEMBER,
        },
    )
    .await
    .unwrap();
    let before = w.events(&c).await;
    let sel = || tasks::TaskSel::Id(task.id);
    let cancel = tasks::cancel(
        &w.store,
        &w.actor(MEMBER),
        w.now,
        tasks::CancelTask {
            coalition: None,
            task: sel(),
            reason: None,
        },
    )
    .await;
    user_err(cancel, "no longer a member");
    let edit = tasks::edit(
        &w.store,
        &w.actor(MEMBER),
        w.now,
        tasks::EditTask {
            coalition: None,
            task: sel(),
            title: Some("Mine now".into()),
            goal: None,
        },
    )
    .await;
    user_err(edit, "no longer a member");
    let repeat = tasks::set_repeat(
        &w.store,
        &w.actor(MEMBER),
        w.now,
        tasks::RepeatTask {
            coalition: None,
            task: sel(),
            every: "every monday".into(),
        },
    )
    .await;
    user_err(repeat, "no longer a member");
    let remove = backbone::actions::win_edits::remove(
        &w.store,
        &w.actor(MEMBER),
        w.now,
        backbone::actions::win_edits::RemoveWin {
            coalition: None,
            win: win.win.id.0.to_string(),
        },
    )
    .await;
    user_err(remove, "no longer a member");
    assert_eq!(w.events(&c).await, before, "nothing changed");
    assert_eq!(row(&w, &task).await.status, TaskStatus::Open);
}

#[tokio::test]
async fn someone_who_left_the_server_leaves_its_coalitions_and_gets_no_lead_dms() {
    let w = World::new().await;
    let c = w.climate().await;
    let task = assign(&w, MEMBER, &c, "Print the flyers", MEMBER2, None).await;
    set(&w, MEMBER2, &task, TaskStatus::Blocked, Some(TASK_REASON))
        .await
        .unwrap();
    let n = RecordingNotifier::new();
    n.leave_server(LEAD);
    run(&w, &n, w.now).await;
    assert!(n.membership_checks() > 0, "the sender asked Discord");
    assert!(
        n.posted_to(Target::User(LEAD)).is_empty(),
        "no lead DM for someone who left the server"
    );
    assert_eq!(
        n.posted_to(Target::User(ADMIN)).len(),
        1,
        "the other lead is told"
    );
    let role = backbone::store::schedule::role_of(&w.store, c.id, LEAD)
        .await
        .unwrap();
    assert_eq!(role, None, "their membership ended");
    // Leaving the server is what `/coalition leave` does: their open tasks stay, unassigned.
    let mine = assign(&w, ADMIN, &c, "Call the council", MEMBER, None).await;
    let left = members::left_server(&w.store, GUILD, MEMBER, w.now)
        .await
        .unwrap();
    assert_eq!(left, vec![c.name.clone()]);
    assert_eq!(row(&w, &mine).await.assignee_id, None);
}

#[tokio::test]
async fn one_servers_flood_does_not_hold_back_another_servers_digest() {
    use backbone::store::deliveries::{self as outbox, NewDelivery};
    let w = World::new().await;
    let a = w.climate().await;
    let task = assign(&w, MEMBER, &a, "Print the flyers", MEMBER2, None).await;
    // Server A queues 1,000 DMs, all due before server B's digest.
    let mut tx = w.store.write().await.unwrap();
    for i in 0..1000 {
        let d = NewDelivery {
            coalition: a.id,
            dedupe_key: format!("flood:{i}"),
            target: Target::User(MEMBER2),
            subject_id: Some(task.id.0),
            payload: backbone::store::payload::Payload::TaskAssigned(backbone::store::payload::AssignedBy {
                by: MEMBER,
                by_name: "user3".into(),
            }),
            due_at: w.now.timestamp() - 600 + i64::from(i % 500),
        };
        outbox::enqueue(&mut tx, &d, w.now.timestamp()).await.unwrap();
    }
    tx.commit().await.unwrap();
    let b = coalitions::create(
        &w.store,
        &w.foreign(ADMIN),
        w.now,
        coalitions::CreateCoalition {
            name: "Other Server Coalition".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .coalition;
    digest::send(&w.store, &w.foreign(ADMIN), w.now, Some(&b.name))
        .await
        .unwrap();
    let n = RecordingNotifier::new();
    let report = scheduler::deliver(&w.store, &n, &settings(), w.now)
        .await
        .unwrap();
    assert!(report.sent >= 1001, "{report:?}");
    let calls = n.calls();
    let at = calls
        .iter()
        .position(|s| s.target == Target::Channel(b.home_channel_id))
        .expect("B's digest went out");
    // At Discord's pace (40 sends/s) the first claims go out within a second; B's digest is among
    // them, not behind A's thousand.
    assert!(at < 40, "B's digest was send #{at} of {}", calls.len());
}

#[tokio::test]
async fn why_a_task_is_blocked_shows_in_lists_only_to_leads_and_its_assignee() {
    let w = World::new().await;
    let c = w.climate().await;
    let task = assign(&w, MEMBER, &c, "Print the flyers", MEMBER2, None).await;
    set(&w, MEMBER2, &task, TaskStatus::Blocked, Some(TASK_REASON))
        .await
        .unwrap();
    let list_for = |who: UserId| {
        let w = &w;
        async move {
            let l = tasks::list(&w.store, &w.actor(who), w.now, tasks::ListTasks::default())
                .await
                .unwrap();
            text(&backbone::render::tasks::task_list(&l, false))
        }
    };
    assert!(list_for(LEAD).await.contains(TASK_REASON));
    assert!(
        list_for(MEMBER2).await.contains(TASK_REASON),
        "the assignee's own"
    );
    assert!(!list_for(MEMBER).await.contains(TASK_REASON));
    assert!(!list_for(OUTSIDER).await.contains(TASK_REASON));
    // The public card says it is blocked, never why.
    let card = backbone::render::tasks::task_card(
        &row(&w, &task).await,
        &c.name,
        chrono_tz::UTC,
        None,
        None,
        w.now.timestamp(),
    );
    assert!(!text(&card).contains(TASK_REASON));
    assert_eq!(card.audience, Audience::Public);
}
