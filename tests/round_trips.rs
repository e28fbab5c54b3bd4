//! Round trips per command: a read runs at most 2 SQL statements before it answers (the scope, then
//! what it shows), and 1 once its scope is kept in memory (`store::scope`; `/coalition info` none,
//! `/task list` none while its coalition's live tasks are kept unchanged); a write runs one short
//! write transaction, after its scope read when the scope is not kept. Counted from sqlx's own statement log
//! (`sqlx::query` debug events) and the store's "write transaction" event, through a tracing
//! layer installed for this test binary (one test, so nothing else runs statements meanwhile).

mod harness;

use std::fmt::Debug;
use std::future::Future;
use std::sync::Mutex;

use backbone::actions::{coalitions, deadlines, goals, members, orgs, roles, tasks, wins};
use backbone::domain::Role;
use backbone::store::{Store, WRITE_TARGET};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, SubscriberExt};

use harness::*;

/// Every statement and write transaction, in order.
static LOG: Mutex<Vec<String>> = Mutex::new(Vec::new());

struct Statements;

#[derive(Default)]
struct Summary(String);

impl Visit for Summary {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "summary" {
            self.0 = value.to_string();
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        if field.name() == "summary" && self.0.is_empty() {
            self.0 = format!("{value:?}");
        }
    }
}

impl<S: Subscriber> Layer<S> for Statements {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let target = event.metadata().target();
        let line = if target == "sqlx::query" {
            let mut s = Summary::default();
            event.record(&mut s);
            s.0
        } else if target == WRITE_TARGET {
            "BEGIN IMMEDIATE (write transaction)".to_string()
        } else {
            return;
        };
        LOG.lock().unwrap_or_else(|e| e.into_inner()).push(line);
    }
}

/// What a command ran: (statements, write transactions, the log).
type Ran = (usize, usize, Vec<String>);

/// The statement [`all_logged`] runs on each connection (left out of the log).
const MARKER: &str = "SELECT 'round-trips-marker'";

/// Returns once every statement run so far is in the log. sqlx logs a statement on its
/// connection's worker thread as the statement finishes, which can be after the caller has its
/// rows; but a worker does one thing at a time, in order, so once a marker statement has run on
/// every connection of the pool, everything before it on that connection has been logged.
async fn all_logged(store: &Store) {
    let pool = store.pool().pool();
    // Connections go back to the pool asynchronously: wait until they are all idle, so that the
    // markers below (and the command measured next) take them rather than open new ones.
    let all_idle = || async {
        while pool.num_idle() < pool.size() as usize {
            tokio::task::yield_now().await;
        }
    };
    all_idle().await;
    let mut held = Vec::new();
    for _ in 0..pool.size() {
        let mut conn = pool.acquire().await.expect("a connection");
        sqlx::query(MARKER).execute(&mut *conn).await.expect("the marker");
        held.push(conn);
    }
    drop(held);
    all_idle().await;
}

/// What ran while `work` did: (statements, write transactions, the log).
async fn counted<T>(store: &Store, work: impl Future<Output = T>) -> (T, usize, usize, Vec<String>) {
    all_logged(store).await;
    LOG.lock().unwrap().clear();
    let out = work.await;
    all_logged(store).await;
    let log: Vec<String> = std::mem::take(&mut *LOG.lock().unwrap())
        .into_iter()
        .filter(|line| line != MARKER)
        .collect();
    let writes = log.iter().filter(|l| l.starts_with("BEGIN IMMEDIATE")).count();
    (out, log.len() - writes, writes, log)
}

#[tokio::test]
async fn reads_take_one_statement_once_their_scope_is_kept_and_writes_one_transaction() {
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(Statements))
        .expect("the only subscriber of this test binary");
    let w = World::new().await;
    let c = w.climate().await;
    w.add_member(&c, OUTSIDER, Role::Member).await;
    let (member, lead) = (w.actor(MEMBER), w.actor(LEAD));

    // A goal and a few tasks, so the reads have something to show.
    tasks::assign(
        &w.store,
        &lead,
        w.now,
        tasks::AssignTask {
            coalition: None,
            title: "Book the hall".into(),
            assignee: MEMBER,
            assignee_name: "Milo".into(),
            due: Some("friday".into()),
            goal: None,
        },
    )
    .await
    .expect("assign");

    // /coalition info: the scope and everything it shows, in one statement.
    let (info, statements, writes, log) =
        counted(&w.store, coalitions::info(&w.store, &member, w.now, None)).await;
    let info = info.expect("info");
    assert_eq!(info.member_count, 5);
    assert_eq!(info.leads.len(), 2, "{info:?}");
    assert!(statements == 1 && writes == 0, "/coalition info ran {log:#?}");
    eprintln!("/coalition info: {statements} statements");
    // Asked again with nothing changed: all from memory.
    let (again, statements, _, log) =
        counted(&w.store, coalitions::info(&w.store, &member, w.now, None)).await;
    assert_eq!(again.expect("info").member_count, 5);
    assert!(statements == 0, "/coalition info again ran {log:#?}");

    // /task list: the scope (kept by /coalition info), then the coalition's live tasks (kept).
    let (list, statements, writes, log) = counted(
        &w.store,
        tasks::list(&w.store, &member, w.now, tasks::ListTasks::default()),
    )
    .await;
    let list = list.expect("list");
    assert_eq!((list.tasks.len(), list.total), (1, 1));
    assert!(statements == 1 && writes == 0, "/task list ran {log:#?}");
    eprintln!("/task list: {statements} statements");

    // Someone else asks: their scope is read (and kept); the list is kept.
    let (_, statements, _, log) = counted(
        &w.store,
        tasks::list(&w.store, &w.actor(MEMBER2), w.now, tasks::ListTasks::default()),
    )
    .await;
    assert!(statements == 1, "/task list by another ran {log:#?}");
    // Asked again with nothing changed: no statement.
    let (_, statements, _, log) = counted(
        &w.store,
        tasks::list(&w.store, &member, w.now, tasks::ListTasks::default()),
    )
    .await;
    assert!(statements == 0, "/task list again ran {log:#?}");

    // /task assign: the scope (with the assignee's membership) outside, one write transaction.
    let input = tasks::AssignTask {
        coalition: None,
        title: "Print flyers".into(),
        assignee: MEMBER2,
        assignee_name: "Nora".into(),
        due: Some("tomorrow 5pm".into()),
        goal: None,
    };
    let (assigned, statements, writes, log) =
        counted(&w.store, tasks::assign(&w.store, &member, w.now, input)).await;
    assert_eq!(assigned.expect("assign").task.number, 2);
    assert_eq!(writes, 1, "/task assign ran {log:#?}");
    assert!(log[0].starts_with("BEGIN"), "the scope is kept: {log:#?}");
    assert!(statements <= 4, "/task assign ran {log:#?}");
    eprintln!("/task assign: {statements} statements, {writes} write transaction");

    // /task list after the change: one statement (the changed task alone).
    let (list, statements, _, log) = counted(
        &w.store,
        tasks::list(&w.store, &member, w.now, tasks::ListTasks::default()),
    )
    .await;
    assert_eq!(list.expect("list").total, 2);
    assert!(statements == 1, "/task list after /task assign ran {log:#?}");

    // /win log: the scope, one write transaction.
    let input = wins::LogWin {
        coalition: None,
        text: "The council said yes".into(),
        goal: None,
        amount: None,
        org: None,
    };
    let (logged, statements, writes, log) =
        counted(&w.store, wins::log(&w.store, &member, w.now, input)).await;
    assert!(logged.expect("win").celebrated);
    assert_eq!(writes, 1, "/win log ran {log:#?}");
    assert!(log[0].starts_with("BEGIN"), "the scope is kept: {log:#?}");
    assert!(statements <= 3, "/win log ran {log:#?}");
    eprintln!("/win log: {statements} statements, {writes} write transaction");

    // Every other list answers in one statement once the scope is kept: the page with its total.
    let lists: Vec<(&str, Ran)> = vec![
        ("/task mine", {
            let input = tasks::MyTasks {
                coalition: None,
                page: 1,
            };
            let (r, s, wr, l) = counted(&w.store, tasks::mine(&w.store, &member, w.now, input)).await;
            r.expect("/task mine");
            (s, wr, l)
        }),
        ("/goal list", {
            let (r, s, wr, l) = counted(
                &w.store,
                goals::list(&w.store, &member, w.now, Default::default()),
            )
            .await;
            r.expect("/goal list");
            (s, wr, l)
        }),
        ("/deadline list", {
            let (r, s, wr, l) = counted(
                &w.store,
                deadlines::list(&w.store, &member, w.now, Default::default()),
            )
            .await;
            r.expect("/deadline list");
            (s, wr, l)
        }),
        ("/win list", {
            let input = wins::ListWins {
                coalition: None,
                days: None,
                page: 1,
            };
            let (r, s, wr, l) = counted(&w.store, wins::list(&w.store, &member, w.now, input)).await;
            r.expect("/win list");
            (s, wr, l)
        }),
        ("/member list", {
            let (r, s, wr, l) = counted(&w.store, members::list(&w.store, &member, w.now, None, None)).await;
            r.expect("/member list");
            (s, wr, l)
        }),
        ("/org list", {
            let (r, s, wr, l) = counted(&w.store, orgs::list(&w.store, &member, w.now, None)).await;
            r.expect("/org list");
            (s, wr, l)
        }),
        ("/role list", {
            let (r, s, wr, l) = counted(&w.store, roles::list(&w.store, &member, None)).await;
            r.expect("/role list");
            (s, wr, l)
        }),
    ];
    let over: Vec<String> = lists
        .iter()
        .filter(|(_, (statements, writes, _))| *statements > 1 || *writes > 0)
        .map(|(name, (_, _, log))| format!("{name} ran {log:#?}"))
        .collect();
    for (name, (statements, _, _)) in &lists {
        eprintln!("{name}: {statements} statements");
    }
    assert!(over.is_empty(), "reads over 1 statement:\n{}", over.join("\n"));
}
