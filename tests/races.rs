//! Real concurrency: several tokio tasks (on several worker threads) hit one SQLite file at the
//! same moment, released together by a barrier, many rounds in a row. Every state change is
//! compare-and-set, so each race has exactly one winner, one event and one side effect.

mod harness;
use harness::*;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use backbone::actions::coalitions::{self, UpdateSettings};
use backbone::actions::tasks::{self, ReassignTask, SetDue, TaskSel, UpdateTask};
use backbone::actions::{Actor, members};
use backbone::domain::*;
use backbone::store::Store;
use chrono::{DateTime, Utc};
use tokio::sync::Barrier;

/// Rounds per race: enough that both orders (and true overlap) happen many times.
const ROUNDS: usize = 25;

/// One racer: an action run on its own tokio task.
type Job<T> = Pin<Box<dyn Future<Output = backbone::Result<T>> + Send>>;

fn job<T>(f: impl Future<Output = backbone::Result<T>> + Send + 'static) -> Job<T> {
    Box::pin(f)
}

/// Runs every job at the same moment on its own tokio task; returns their results in job order.
async fn all_at_once<T: Send + 'static>(jobs: Vec<Job<T>>) -> Vec<backbone::Result<T>> {
    let barrier = Arc::new(Barrier::new(jobs.len()));
    let handles: Vec<_> = jobs
        .into_iter()
        .map(|job| {
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                job.await
            })
        })
        .collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.expect("job panicked"));
    }
    out
}

fn update_job(
    store: &Store,
    actor: Actor,
    now: DateTime<Utc>,
    task: TaskId,
    status: TaskStatus,
    note: Option<&str>,
) -> Job<tasks::TaskUpdated> {
    let store = store.clone();
    let input = UpdateTask {
        coalition: None,
        task: TaskSel::Id(task),
        status,
        note: note.map(Into::into),
    };
    job(async move { tasks::update(&store, &actor, now, input).await })
}

async fn count(w: &World, sql: &str, task: TaskId) -> i64 {
    backbone::store::sql::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
        .bind(task)
        .fetch_one(w.store.pool())
        .await
        .unwrap()
}

async fn task_events(w: &World, number: i64) -> i64 {
    backbone::store::sql::query_scalar("SELECT COUNT(*) FROM events WHERE subject = ? AND kind LIKE 'task.%'")
        .bind(format!("task #{number}"))
        .fetch_one(w.store.pool())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn done_twice_by_two_people_is_one_change() {
    let w = World::new().await;
    let c = w.climate().await;
    for round in 0..ROUNDS {
        let t = assign(
            &w,
            LEAD,
            &c,
            &format!("Flyers {round}"),
            MEMBER,
            Some("in 5 days"),
        )
        .await;
        let results = all_at_once(vec![
            update_job(&w.store, w.actor(MEMBER), w.now, t.id, TaskStatus::Done, None),
            update_job(&w.store, w.actor(LEAD), w.now, t.id, TaskStatus::Done, None),
        ])
        .await;
        let winners: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
        assert_eq!(
            winners.len(),
            1,
            "round {round}: exactly one click wins: {results:?}"
        );
        assert!(winners[0].offer_win, "the winner is offered to log a win");
        let winner = if results[0].is_ok() { MEMBER } else { LEAD };
        let loser = results.into_iter().find(|r| r.is_err()).unwrap();
        let msg = user_err(loser, "already marked done");
        assert!(
            msg.contains(&format!("#{} was already marked done by <@{winner}>", t.number)),
            "{msg}"
        );

        assert_eq!(task_events(&w, t.number).await, 2, "assign + one done event");
        let stored = row(&w, &t).await;
        assert_eq!((stored.status, stored.next_ping_at), (TaskStatus::Done, None));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn done_and_blocked_at_once_is_one_change_with_at_most_one_alert() {
    let w = World::new().await;
    let c = w.climate().await;
    let (mut done_won, mut blocked_won) = (0, 0);
    for round in 0..ROUNDS {
        let t = assign(&w, LEAD, &c, &format!("Venue {round}"), MEMBER, Some("in 5 days")).await;
        let jobs = vec![
            update_job(&w.store, w.actor(MEMBER), w.now, t.id, TaskStatus::Done, None),
            update_job(
                &w.store,
                w.actor(LEAD),
                w.now,
                t.id,
                TaskStatus::Blocked,
                Some("no venue"),
            ),
        ];
        // Which job reaches the barrier last decides which runs first when the two don't truly
        // overlap: on a loaded machine the last one usually goes on while the other waits to be
        // woken. Swapping them every other round makes both orders happen there too (this
        // assertion below once failed under load, every round having gone block-first).
        let results = if round % 2 == 0 {
            all_at_once(jobs).await
        } else {
            let mut r = all_at_once(jobs.into_iter().rev().collect()).await;
            r.reverse();
            r
        };
        let alerts = count(
            &w,
            "SELECT COUNT(*) FROM deliveries WHERE kind = 'blocker_alert' AND subject_id = ?",
            t.id,
        )
        .await;
        let stored = row(&w, &t).await;
        let events = task_events(&w, t.number).await;
        match (&results[0], &results[1]) {
            (Ok(done), Err(backbone::Error::User(msg))) => {
                done_won += 1;
                assert!(done.offer_win);
                assert!(
                    msg.contains("was just marked done by <@") || msg.contains("is done — reopen it first"),
                    "{msg}"
                );
                assert_eq!(alerts, 0, "round {round}: no blocker alert for a done task");
                assert_eq!((stored.status, stored.next_ping_at), (TaskStatus::Done, None));
                assert_eq!(events, 2, "round {round}: assign + one status event");
            }
            (Err(backbone::Error::User(msg)), Ok(blocked)) => {
                blocked_won += 1;
                assert!(msg.contains("was just marked blocked by <@"), "{msg}");
                // The lead who blocked it needs no alert about it: the admin gets one.
                assert_eq!(blocked.leads_alerted, 1, "the admin, not the lead who blocked it");
                assert_eq!(alerts, 1, "round {round}: one alert per other lead, once");
                assert_eq!(stored.status, TaskStatus::Blocked);
                assert_eq!(
                    stored.next_ping_at, t.next_ping_at,
                    "a blocked task keeps its pings"
                );
                assert_eq!(events, 2, "round {round}: assign + one status event");
            }
            // Not a race: the block committed before the done click was even read, and done is a
            // fine move from blocked. Two changes, each once.
            (Ok(done), Ok(blocked)) => {
                assert_eq!(
                    (done.previous, blocked.previous),
                    (TaskStatus::Blocked, TaskStatus::Open)
                );
                assert!(done.offer_win);
                assert_eq!(alerts, 1, "the admin, not the lead who blocked it");
                assert_eq!((stored.status, stored.next_ping_at), (TaskStatus::Done, None));
                assert_eq!(events, 3, "round {round}: assign + block + done");
            }
            other => panic!("round {round}: expected one winner per race, got {other:?}"),
        }
    }
    assert!(
        done_won + blocked_won > 0,
        "no round had one winner: the block always went first"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_status_change_never_overwrites_a_due_date_moved_at_the_same_time() {
    let w = World::new().await;
    let c = w.climate().await;
    for round in 0..ROUNDS {
        let t = assign(&w, LEAD, &c, &format!("Print {round}"), MEMBER, Some("in 5 days")).await;
        let store = w.store.clone();
        let (lead, now, id) = (w.actor(LEAD), w.now, t.id);
        let due = job(async move {
            let input = SetDue {
                coalition: None,
                task: TaskSel::Id(id),
                due: "in 20 days".into(),
            };
            tasks::set_due(&store, &lead, now, input).await.map(|_| ())
        });
        let status = {
            let f = update_job(
                &w.store,
                w.actor(MEMBER),
                w.now,
                t.id,
                TaskStatus::InProgress,
                None,
            );
            job(async move { f.await.map(|_| ()) })
        };
        let results = all_at_once(vec![due, status]).await;
        assert!(
            results.iter().all(Result::is_ok),
            "round {round}: different fields, both win: {results:?}"
        );
        let stored = row(&w, &t).await;
        assert_eq!(stored.status, TaskStatus::InProgress);
        assert!(stored.due_at > t.due_at, "the new due date stays");
        // Pings follow the new due date (72h before it is still ahead), never the old one.
        assert_eq!(
            stored.next_ping_at,
            stored.due_at.map(|d| d - 72 * 3600),
            "round {round}: next_ping_at must follow the new due date"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_reassignments_at_once_have_one_winner() {
    let w = World::new().await;
    let c = w.climate().await;
    for round in 0..ROUNDS {
        let t = assign(&w, LEAD, &c, &format!("Budget {round}"), MEMBER, None).await;
        let jobs = [MEMBER2, LEAD]
            .into_iter()
            .map(|to| {
                let store = w.store.clone();
                let (actor, now, id) = (w.actor(ADMIN), w.now, t.id);
                job(async move {
                    let input = ReassignTask {
                        coalition: None,
                        task: TaskSel::Id(id),
                        assignee: to,
                        assignee_name: format!("user{}", to.0),
                    };
                    tasks::reassign(&store, &actor, now, input)
                        .await
                        .map(|o| (o.previous_assignee, o.task.assignee_id))
                })
            })
            .collect();
        let results = all_at_once(jobs).await;
        let won: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
        match won.as_slice() {
            [(_, now)] => {
                let loser = results.iter().find(|r| r.is_err()).unwrap();
                let Err(backbone::Error::User(msg)) = loser else {
                    panic!("expected a user error, got {loser:?}")
                };
                assert!(msg.contains("was just reassigned to <@"), "{msg}");
                assert_eq!(row(&w, &t).await.assignee_id, *now);
            }
            // Not a race: one finished before the other read the task, so the second moved it on
            // from the first's assignee — a chain, never two moves from the same starting point.
            [(from_a, to_a), (from_b, to_b)] => {
                assert!(from_b == to_a || from_a == to_b, "round {round}: {won:?}");
            }
            _ => panic!("round {round}: {results:?}"),
        }
        let changes = won.len() as i64;
        assert_eq!(
            task_events(&w, t.number).await,
            1 + changes,
            "one event per change"
        );
        let dms = count(
            &w,
            "SELECT COUNT(*) FROM deliveries WHERE kind = 'task_assigned' AND subject_id = ?",
            t.id,
        )
        .await;
        assert_eq!(dms, 1 + changes, "round {round}: one DM per assignment, no more");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn moving_a_due_date_while_it_is_marked_done_keeps_a_done_task_silent() {
    let w = World::new().await;
    let c = w.climate().await;
    for round in 0..ROUNDS {
        let t = assign(
            &w,
            LEAD,
            &c,
            &format!("Posters {round}"),
            MEMBER,
            Some("in 5 days"),
        )
        .await;
        let store = w.store.clone();
        let (lead, now, id) = (w.actor(LEAD), w.now, t.id);
        let due = job(async move {
            let input = SetDue {
                coalition: None,
                task: TaskSel::Id(id),
                due: "in 20 days".into(),
            };
            tasks::set_due(&store, &lead, now, input).await.map(|_| ())
        });
        let done = {
            let f = update_job(&w.store, w.actor(MEMBER), w.now, t.id, TaskStatus::Done, None);
            job(async move { f.await.map(|_| ()) })
        };
        let results = all_at_once(vec![due, done]).await;
        assert!(results[1].is_ok(), "done never loses to a due date: {results:?}");
        let stored = row(&w, &t).await;
        assert_eq!(
            (stored.status, stored.next_ping_at),
            (TaskStatus::Done, None),
            "round {round}: a done task is never pinged"
        );
        if let Err(e) = &results[0] {
            let msg = e.to_string();
            assert!(
                e.is_user()
                    && (msg.contains("was just marked done") || msg.contains("is done — reopen it first")),
                "{msg}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_leads_changing_different_settings_both_win() {
    let w = World::new().await;
    let c = w.climate().await;
    let zones = ["Europe/Paris", "America/New_York"];
    let times = ["tuesdays 9:00", "thursdays 16:00"];
    for round in 0..ROUNDS {
        let (zone, time) = (zones[round % 2], times[round % 2]);
        let jobs = [
            UpdateSettings {
                timezone: Some(zone.into()),
                ..Default::default()
            },
            UpdateSettings {
                checkin_schedule: Some(time.into()),
                ..Default::default()
            },
        ]
        .into_iter()
        .zip([LEAD, ADMIN])
        .map(|(input, by)| {
            let store = w.store.clone();
            let (actor, now) = (w.actor(by), w.now);
            job(async move { coalitions::settings(&store, &actor, now, input).await.map(|_| ()) })
        })
        .collect();
        let results = all_at_once(jobs).await;
        assert!(results.iter().all(Result::is_ok), "{results:?}");
        let stored = backbone::store::coalitions::get(w.store.pool(), GUILD, c.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            stored.timezone, zone,
            "round {round}: the time zone change is kept"
        );
        let expected = backbone::domain::schedule::Schedule::parse(time).unwrap();
        assert_eq!(
            stored.checkin_schedule,
            expected.source(),
            "round {round}: the schedule change is kept"
        );
        // The next check-in is computed from both changes, whichever committed first.
        let tz: chrono_tz::Tz = zone.parse().unwrap();
        assert_eq!(
            stored.next_checkin_at,
            expected.next_after(w.now, tz).map(|t| t.timestamp())
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_coalitions_never_end_up_sharing_a_home_channel() {
    let w = World::new().await;
    let a = w.coalition("Alpha").await;
    let b = w.coalition("Beta").await;
    for round in 0..ROUNDS {
        let target = ChannelId(7_000 + round as i64);
        let jobs = [&a, &b]
            .into_iter()
            .map(|c| {
                let store = w.store.clone();
                let (actor, now) = (w.actor(ADMIN), w.now);
                let input = UpdateSettings {
                    coalition: Some(c.name.clone()),
                    channel: Some(target),
                    ..Default::default()
                };
                job(async move { coalitions::settings(&store, &actor, now, input).await.map(|_| ()) })
            })
            .collect();
        let results = all_at_once(jobs).await;
        assert_eq!(
            results.iter().filter(|r| r.is_ok()).count(),
            1,
            "round {round}: {results:?}"
        );
        let loser = results.into_iter().find(Result::is_err).unwrap();
        user_err(loser, "is already the home channel of");
        let homes: i64 =
            backbone::store::sql::query_scalar("SELECT COUNT(*) FROM coalitions WHERE home_channel_id = ?")
                .bind(target)
                .fetch_one(w.store.pool())
                .await
                .unwrap();
        assert_eq!(homes, 1, "round {round}: one coalition per home channel");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_coalitions_created_at_once_in_one_channel_get_one_home() {
    let w = World::new().await;
    for round in 0..ROUNDS {
        let channel = ChannelId(8_000 + round as i64);
        let jobs = ["One", "Two"]
            .into_iter()
            .map(|name| {
                let store = w.store.clone();
                let (actor, now) = (w.actor(ADMIN), w.now);
                let input = coalitions::CreateCoalition {
                    name: format!("{name} {round}"),
                    channel: Some(channel),
                    ..Default::default()
                };
                job(async move { coalitions::create(&store, &actor, now, input).await.map(|_| ()) })
            })
            .collect();
        let results = all_at_once(jobs).await;
        assert_eq!(
            results.iter().filter(|r| r.is_ok()).count(),
            1,
            "round {round}: {results:?}"
        );
        user_err(
            results.into_iter().find(Result::is_err).unwrap(),
            "is already the home channel of",
        );
    }
}

/// Used by the membership race below: a member removed while their task is reassigned to them.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_task_is_never_reassigned_to_someone_removed_at_the_same_time() {
    let w = World::new().await;
    let c = w.climate().await;
    for round in 0..ROUNDS {
        let newcomer = UserId(500 + round as i64);
        w.add_member(&c, newcomer, Role::Member).await;
        let t = assign(&w, LEAD, &c, &format!("Chairs {round}"), MEMBER, None).await;
        let store = w.store.clone();
        let (actor, now, id) = (w.actor(LEAD), w.now, t.id);
        let reassign = job(async move {
            let input = ReassignTask {
                coalition: None,
                task: TaskSel::Id(id),
                assignee: newcomer,
                assignee_name: "newcomer".into(),
            };
            tasks::reassign(&store, &actor, now, input).await.map(|_| ())
        });
        let store = w.store.clone();
        let (admin, now) = (w.actor(ADMIN), w.now);
        let remove = job(async move {
            let input = members::RemoveMember {
                coalition: None,
                user: newcomer,
            };
            members::remove(&store, &admin, now, input).await.map(|_| ())
        });
        let results = all_at_once(vec![reassign, remove]).await;
        assert!(results[1].is_ok(), "{results:?}");
        assert_ne!(
            row(&w, &t).await.assignee_id,
            Some(newcomer),
            "round {round}: a removed member holds no task"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_assignee_marking_done_while_the_task_is_reassigned_is_one_change() {
    let w = World::new().await;
    let c = w.climate().await;
    for round in 0..ROUNDS {
        let t = assign(&w, LEAD, &c, &format!("Tables {round}"), MEMBER, None).await;
        let done = {
            let f = update_job(&w.store, w.actor(MEMBER), w.now, t.id, TaskStatus::Done, None);
            job(async move { f.await.map(|_| ()) })
        };
        let store = w.store.clone();
        let (lead, now, id) = (w.actor(LEAD), w.now, t.id);
        let reassign = job(async move {
            let input = ReassignTask {
                coalition: None,
                task: TaskSel::Id(id),
                assignee: MEMBER2,
                assignee_name: "Bea".into(),
            };
            tasks::reassign(&store, &lead, now, input).await.map(|_| ())
        });
        let results = all_at_once(vec![done, reassign]).await;
        assert_eq!(
            results.iter().filter(|r| r.is_ok()).count(),
            1,
            "round {round}: the old assignee can't finish a task that just moved: {results:?}"
        );
        assert!(
            results
                .iter()
                .all(|r| r.as_ref().err().is_none_or(backbone::Error::is_user))
        );
        let stored = row(&w, &t).await;
        if results[0].is_ok() {
            assert_eq!(
                (stored.status, stored.assignee_id),
                (TaskStatus::Done, Some(MEMBER))
            );
        } else {
            assert_eq!(
                (stored.status, stored.assignee_id),
                (TaskStatus::Open, Some(MEMBER2))
            );
        }
        assert_eq!(task_events(&w, t.number).await, 2, "assign + one change");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_leads_changing_a_members_role_and_org_at_once_both_win() {
    let w = World::new().await;
    let c = w.climate().await;
    for name in ["Green Org", "Blue Org"] {
        let input = backbone::actions::orgs::AddOrg {
            coalition: None,
            name: name.into(),
        };
        backbone::actions::orgs::add(&w.store, &w.actor(LEAD), w.now, input)
            .await
            .unwrap();
    }
    for round in 0..ROUNDS {
        let (role, org) = if round % 2 == 0 {
            (Role::Lead, "Green Org")
        } else {
            (Role::Member, "Blue Org")
        };
        let changes = [(Some(role), None), (None, Some(org.to_string()))];
        let jobs = changes
            .into_iter()
            .zip([LEAD, ADMIN])
            .map(|((role, org), by)| {
                let store = w.store.clone();
                let (actor, now) = (w.actor(by), w.now);
                job(async move {
                    let input = members::AddMember {
                        coalition: None,
                        user: MEMBER,
                        user_name: String::new(),
                        role,
                        org,
                    };
                    members::add(&store, &actor, now, input).await.map(|_| ())
                })
            })
            .collect();
        let results = all_at_once(jobs).await;
        assert!(results.iter().all(Result::is_ok), "{results:?}");
        let m = backbone::store::members::get(&w.store, c.id, MEMBER)
            .await
            .unwrap()
            .unwrap();
        let org_name = backbone::store::tasks::org_name(w.store.pool(), c.id, m.org_id.unwrap())
            .await
            .unwrap();
        assert_eq!(
            (m.role, org_name.as_deref()),
            (role, Some(org)),
            "round {round}: both changes are kept"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn logging_a_win_while_the_task_is_reopened_never_logs_a_win_for_an_open_task() {
    let w = World::new().await;
    let c = w.climate().await;
    for round in 0..ROUNDS {
        let t = assign(&w, LEAD, &c, &format!("Banner {round}"), MEMBER, None).await;
        set(&w, MEMBER, &t, TaskStatus::Done, None).await.unwrap();
        let store = w.store.clone();
        let (member, now, id) = (w.actor(MEMBER), w.now, t.id);
        let log = job(async move {
            backbone::actions::wins::log_task_win(&store, &member, now, id)
                .await
                .map(|_| ())
        });
        let reopen = {
            let f = update_job(&w.store, w.actor(LEAD), w.now, t.id, TaskStatus::Open, None);
            job(async move { f.await.map(|_| ()) })
        };
        let results = all_at_once(vec![log, reopen]).await;
        assert!(results[1].is_ok(), "{results:?}");
        let wins = count(&w, "SELECT COUNT(*) FROM wins WHERE task_id = ?", t.id).await;
        match &results[0] {
            // Logged first, then reopened: a win for work that was done at the time.
            Ok(()) => assert_eq!(wins, 1),
            Err(e) => {
                assert!(e.is_user(), "{e:?}");
                assert_eq!(wins, 0, "round {round}: no win for a reopened task");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_task_is_never_assigned_to_someone_removed_at_the_same_time() {
    let w = World::new().await;
    let c = w.climate().await;
    for round in 0..ROUNDS {
        let newcomer = UserId(700 + round as i64);
        w.add_member(&c, newcomer, Role::Member).await;
        let store = w.store.clone();
        let (lead, now, name) = (w.actor(LEAD), w.now, c.name.clone());
        let create = job(async move {
            let input = tasks::AssignTask {
                coalition: Some(name),
                title: format!("Stage {round}"),
                assignee: newcomer,
                assignee_name: "newcomer".into(),
                due: None,
                goal: None,
            };
            tasks::assign(&store, &lead, now, input).await.map(|_| ())
        });
        let store = w.store.clone();
        let (admin, now) = (w.actor(ADMIN), w.now);
        let remove = job(async move {
            let input = members::RemoveMember {
                coalition: None,
                user: newcomer,
            };
            members::remove(&store, &admin, now, input).await.map(|_| ())
        });
        let results = all_at_once(vec![create, remove]).await;
        assert!(results[1].is_ok(), "{results:?}");
        let held: i64 =
            backbone::store::sql::query_scalar("SELECT COUNT(*) FROM tasks WHERE assignee_id = ?")
                .bind(newcomer)
                .fetch_one(w.store.pool())
                .await
                .unwrap();
        assert_eq!(
            held, 0,
            "round {round}: a removed member holds no task: {results:?}"
        );
        if let Err(e) = &results[0] {
            assert!(e.is_user(), "{e:?}");
        }
    }
}
