//! The simulation: an agenda of what each simulated person does when, drawn from the seed, played
//! through the real actions while the real scheduler plans and sends on the simulated clock.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write;

use chrono::{DateTime, Datelike, Duration, Timelike, Utc, Weekday};
use chrono_tz::Tz;

use super::DemoSummary;
use super::cast::{self, PEOPLE, Person};
use super::rng::Rng;
use super::show::{self, Names, PrintNotifier};
use crate::actions::{Actor, checkins, coalitions, deadlines, goals, members, orgs, tasks, wins};
use crate::domain::message::Message;
use crate::domain::*;
use crate::error::{Error, Result};
use crate::render;
use crate::scheduler::{self, SchedulerSettings};
use crate::store::{self, Store};

mod advocacy;

/// Simulated minutes between scheduler ticks.
const STEP_MINUTES: i64 = 15;

/// Something a simulated person does.
#[derive(Debug, Clone)]
enum Act {
    Start(TaskId, Person),
    Block(TaskId, Person, &'static str),
    Unblock(TaskId, Person),
    Done(TaskId, Person),
    Win(Person, usize),
    Assign(Person, Person, i64),
    Answer(RoundId, Person, bool),
    DeadlineMet(Person),
    /// The `n`th planned outreach (`advocacy::OUTREACH`).
    Outreach(usize),
    /// Someone shares talking points in the library.
    Share,
}

/// The simulation's state.
pub struct Sim<'a> {
    store: Store,
    rng: Rng,
    out: &'a mut dyn Write,
    names: Names,
    tz: Tz,
    now: DateTime<Utc>,
    /// When the simulation began (a Monday morning).
    start: DateTime<Utc>,
    notifier: PrintNotifier,
    settings: SchedulerSettings,
    /// What happens when: (time, sequence) → act.
    agenda: BTreeMap<(i64, u64), Act>,
    seq: u64,
    rounds: HashSet<RoundId>,
    goal_of_task: HashMap<TaskId, Option<String>>,
    next_task: usize,
    summary: DemoSummary,
}

impl<'a> Sim<'a> {
    /// A simulation on a fresh migrated store.
    pub fn new(store: Store, seed: u64, out: &'a mut dyn Write, start: DateTime<Utc>) -> Sim<'a> {
        let tz: Tz = cast::TIMEZONE.parse().unwrap_or(chrono_tz::UTC);
        let names = Names {
            users: PEOPLE.iter().map(|p| (p.id.0, p.name.to_string())).collect(),
            channels: HashMap::from([(cast::HOME.0, cast::HOME_NAME.to_string())]),
            tz,
        };
        Sim {
            store,
            rng: Rng::new(seed),
            out,
            names,
            tz,
            now: start,
            start,
            notifier: PrintNotifier::default(),
            settings: SchedulerSettings {
                send_concurrency: 1,
                max_sends_per_second: 0,
                ..SchedulerSettings::default()
            },
            agenda: BTreeMap::new(),
            seq: 0,
            rounds: HashSet::new(),
            goal_of_task: HashMap::new(),
            next_task: 0,
            summary: DemoSummary::default(),
        }
    }

    /// Sets the coalition up, then plays `days` days.
    pub async fn run(mut self, days: u32) -> Result<DemoSummary> {
        writeln!(
            self.out,
            "Backbone demo: {} for {days} simulated days, from {}.\nEvery message is shown as Discord would show it: [simulated time] → where it goes.\n",
            cast::COALITION,
            self.names.time(self.now)
        )?;
        self.setup().await?;
        self.advocacy().await?;
        let end = self.start + Duration::days(i64::from(days));
        while self.now <= end {
            scheduler::tick(&self.store, &self.settings, self.now).await?;
            self.deliver().await?;
            self.watch_rounds().await?;
            let mut acted = false;
            while let Some((&(at, seq), _)) = self.agenda.first_key_value() {
                if at > self.now.timestamp() {
                    break;
                }
                let act = self.agenda.remove(&(at, seq)).expect("first entry");
                self.play(act).await?;
                acted = true;
            }
            // A command wakes the scheduler at once (celebrations, alerts, assignment DMs).
            if acted {
                self.deliver().await?;
            }
            self.now += Duration::minutes(STEP_MINUTES);
        }
        self.print_summary(days)?;
        Ok(self.summary)
    }

    fn actor(&self, p: Person) -> Actor {
        Actor {
            user: p.id,
            guild: cast::GUILD,
            manage_server: p.id == cast::ADMIN.id,
            name: p.name.to_string(),
            channel: Some(cast::HOME),
        }
    }

    async fn setup(&mut self) -> Result<()> {
        let dana = cast::ADMIN;
        let create = coalitions::CreateCoalition {
            name: cast::COALITION.into(),
            channel: Some(cast::HOME),
            timezone: Some(cast::TIMEZONE.into()),
        };
        let r = coalitions::create(&self.store, &self.actor(dana), self.now, create).await;
        let line = format!(
            "/coalition create name:{} timezone:{}",
            cast::COALITION,
            cast::TIMEZONE
        );
        self.command(dana, &line, r.map(|c| render::coalitions::created(&c)))?;
        for org in cast::ORGS {
            let input = orgs::AddOrg {
                coalition: None,
                name: org.into(),
            };
            let r = orgs::add(&self.store, &self.actor(dana), self.now, input).await;
            self.command(
                dana,
                &format!("/org add name:{org}"),
                r.map(|o| render::people::org_added(&o)),
            )?;
        }
        for p in PEOPLE {
            let role = if p.lead { Role::Lead } else { Role::Member };
            let input = members::AddMember {
                coalition: None,
                user: p.id,
                user_name: p.name.into(),
                role: Some(role),
                org: Some(cast::ORGS[p.org].into()),
            };
            let r = members::add(&self.store, &self.actor(dana), self.now, input).await;
            let line = format!(
                "/member add user:@{} role:{} org:{}",
                p.name,
                role.as_str(),
                cast::ORGS[p.org]
            );
            self.command(dana, &line, r.map(|m| render::people::member_added(&m)))?;
        }
        for (title, metric, unit, target, due) in cast::GOALS {
            let input = goals::AddGoal {
                coalition: None,
                title: title.into(),
                target: Some(target),
                metric: Some(metric.into()),
                unit: Some(unit.into()),
                due: Some(due.into()),
            };
            let r = goals::add(&self.store, &self.actor(dana), self.now, input).await;
            let line =
                format!("/goal add title:{title} target:{target} metric:{metric} unit:{unit} due:{due}");
            self.command(dana, &line, r.map(|g| render::goals::goal_added(&g)))?;
        }
        let sam = PEOPLE[1];
        let input = deadlines::AddDeadline {
            coalition: None,
            title: "Grant report to the city".into(),
            due: "in 9 days".into(),
            goal: None,
        };
        let r = deadlines::add(&self.store, &self.actor(sam), self.now, input).await;
        let line = "/deadline add title:Grant report to the city due:in 9 days";
        self.command(sam, line, r.map(|d| render::goals::deadline_added(&d)))?;
        // Met on its last afternoon in most runs; otherwise the leads get the overdue ping.
        if self.rng.chance(0.5) {
            let at = self.now + Duration::days(9) - Duration::hours(3);
            self.plan(at, Act::DeadlineMet(sam));
        }
        for n in 0..6 {
            let by = PEOPLE[n % 2];
            let to = PEOPLE[2 + (self.rng.range(0, 3) as usize)];
            let due_days = self.rng.range(2, 12);
            // The first task always gets blocked, the fourth is always forgotten (overdue pings).
            self.assign(by, to, due_days, n).await?;
        }
        let mut day = 1;
        while day < 90 {
            let minutes = self.rng.range(0, 240);
            let at = self.work_time(self.now + Duration::days(day) + Duration::minutes(minutes));
            if self.rng.chance(0.5) {
                let who = *self.rng.pick(&PEOPLE);
                let idx = self.rng.range(0, cast::WINS.len() as i64 - 1) as usize;
                self.plan(at, Act::Win(who, idx));
            }
            if self.rng.chance(0.3) {
                let by = PEOPLE[self.rng.range(0, 1) as usize];
                let to = PEOPLE[self.rng.range(2, 5) as usize];
                let due = self.rng.range(2, 7);
                self.plan(at + Duration::minutes(30), Act::Assign(by, to, due));
            }
            day += 1;
        }
        Ok(())
    }

    /// Assigns the next sample task and plans its life: start, maybe a blocker, done, a win.
    async fn assign(&mut self, by: Person, to: Person, due_days: i64, fate: usize) -> Result<()> {
        let (title, goal) = cast::TASKS[self.next_task % cast::TASKS.len()];
        self.next_task += 1;
        let due = (self.now + Duration::days(due_days))
            .with_timezone(&self.tz)
            .format("%Y-%m-%d 17:00");
        let goal_ref = (goal > 0).then(|| format!("#{goal}"));
        let input = tasks::AssignTask {
            coalition: None,
            title: title.into(),
            assignee: to.id,
            assignee_name: to.name.into(),
            due: Some(due.to_string()),
            goal: goal_ref.clone(),
        };
        let r = tasks::assign(&self.store, &self.actor(by), self.now, input).await;
        let now_s = self.now.timestamp();
        let task = r.as_ref().ok().map(|t| (t.task.id, t.goal_title.clone()));
        let goal_text = goal_ref.map(|g| format!(" goal:{g}")).unwrap_or_default();
        let line = format!(
            "/task assign title:{title} assignee:@{} due:{due}{goal_text}",
            to.name
        );
        self.command(by, &line, r.map(|t| render::tasks::assigned(&t, now_s)))?;
        let Some((id, goal_title)) = task else {
            return Ok(());
        };
        self.goal_of_task.insert(id, goal_title);
        let hours = self.rng.range(2, 30);
        let started = self.work_time(self.now + Duration::hours(hours));
        self.plan(started, Act::Start(id, to));
        if fate == 3 || (fate > 5 && self.rng.chance(0.1)) {
            return Ok(());
        }
        let mut t = started;
        if fate == 0 || (fate > 5 && self.rng.chance(0.25)) {
            let hours = self.rng.range(4, 30);
            t = self.work_time(t + Duration::hours(hours));
            let note = *self.rng.pick(&cast::BLOCKERS);
            self.plan(t, Act::Block(id, to, note));
            let hours = self.rng.range(20, 50);
            t = self.work_time(t + Duration::hours(hours));
            self.plan(t, Act::Unblock(id, to));
        }
        let hours = self.rng.range(4, 60);
        t = self.work_time(t + Duration::hours(hours));
        self.plan(t, Act::Done(id, to));
        if goal > 0 && self.rng.chance(0.5) {
            let wins: Vec<usize> = (0..cast::WINS.len())
                .filter(|&i| cast::WINS[i].1 == goal)
                .collect();
            let idx = *self.rng.pick(&wins);
            self.plan(t + Duration::minutes(45), Act::Win(to, idx));
        }
        Ok(())
    }

    /// When a check-in round opens, plan everyone's answer: most within the day, some only after
    /// their nudge (at least one per round), a few never; now and then a blocker.
    async fn watch_rounds(&mut self) -> Result<()> {
        let coalition = store::coalitions::list_in_guild(&self.store, cast::GUILD).await?;
        let Some(c) = coalition.first() else { return Ok(()) };
        let Some(round) = store::checkins::current_round(&self.store, c.id, self.now.timestamp()).await?
        else {
            return Ok(());
        };
        if !self.rounds.insert(round.id) {
            return Ok(());
        }
        let late = self.rng.range(0, PEOPLE.len() as i64 - 1) as usize;
        let blocked = if self.rounds.len() == 1 {
            self.rng.range(0, PEOPLE.len() as i64 - 1) as usize
        } else {
            usize::MAX
        };
        let opens = self.now;
        let nudge = Duration::seconds(self.settings.nudge_after);
        for (i, p) in PEOPLE.iter().enumerate() {
            let roll = self.rng.range(0, 99);
            // People answer when awake, weekends too (a nudge is a DM on their phone).
            let at = if i == late || (60..85).contains(&roll) {
                opens + nudge + Duration::minutes(self.rng.range(30, 8 * 60))
            } else if roll >= 85 {
                continue;
            } else {
                opens + Duration::minutes(self.rng.range(20, 8 * 60))
            };
            let with_blocker = i == blocked || self.rng.chance(0.1);
            let at = awake_time(at, self.tz);
            self.plan(at, Act::Answer(round.id, *p, with_blocker));
        }
        Ok(())
    }

    async fn play(&mut self, act: Act) -> Result<()> {
        let (s, now) = (self.store.clone(), self.now);
        match act {
            Act::Start(id, p) | Act::Unblock(id, p) => self.update(id, p, TaskStatus::InProgress, None).await,
            Act::Block(id, p, note) => self.update(id, p, TaskStatus::Blocked, Some(note)).await,
            Act::Done(id, p) => self.update(id, p, TaskStatus::Done, None).await,
            Act::Win(p, idx) => {
                let (text, goal, amount) = cast::WINS[idx];
                let input = wins::LogWin {
                    text: text.into(),
                    goal: (goal > 0).then(|| format!("#{goal}")),
                    amount: (goal > 0).then_some(amount),
                    ..Default::default()
                };
                let extra = if goal > 0 {
                    format!(" goal:#{goal} amount:{amount}")
                } else {
                    String::new()
                };
                let r = wins::log(&s, &self.actor(p), now, input).await;
                self.command(
                    p,
                    &format!("/win log text:{text}{extra}"),
                    r.map(|w| render::wins::win_logged(&w)),
                )
            }
            Act::Assign(by, to, due_days) => {
                let fate = 6 + self.next_task;
                self.assign(by, to, due_days, fate).await
            }
            Act::Answer(round, p, with_blocker) => {
                let blockers = if with_blocker {
                    *self.rng.pick(&cast::CHECKIN_BLOCKERS)
                } else {
                    ""
                };
                let (done, next) = (*self.rng.pick(&cast::DONE), *self.rng.pick(&cast::NEXT));
                let input = checkins::SubmitCheckin {
                    round,
                    answers: vec![done.into(), next.into(), blockers.into()],
                };
                let line = format!(
                    "check-in form — done: {done} · next: {next} · blockers: {}",
                    if blockers.is_empty() { "none" } else { blockers }
                );
                let r = checkins::submit(&s, &self.actor(p), now, input).await;
                self.command(p, &line, r.map(|c| render::checkins::submitted(&c)))
            }
            Act::Outreach(i) => self.log_outreach(i).await,
            Act::Share => self.share().await,
            Act::DeadlineMet(p) => {
                let input = deadlines::DeadlineDone {
                    coalition: None,
                    deadline: "#1".into(),
                };
                let r = deadlines::done(&s, &self.actor(p), now, input).await;
                self.command(
                    p,
                    "/deadline done deadline:#1",
                    r.map(|d| render::goals::deadline_met(&d)),
                )
            }
        }
    }

    async fn update(&mut self, id: TaskId, p: Person, status: TaskStatus, note: Option<&str>) -> Result<()> {
        let input = tasks::UpdateTask {
            coalition: None,
            task: tasks::TaskSel::Id(id),
            status,
            note: note.map(str::to_string),
        };
        let r = tasks::update(&self.store, &self.actor(p), self.now, input).await;
        let number = r.as_ref().map(|u| u.task.number).unwrap_or(0);
        let goal = self.goal_of_task.get(&id).cloned().flatten();
        let now_s = self.now.timestamp();
        let note = note.map(|n| format!(" note:{n}")).unwrap_or_default();
        let line = format!("/task update task:#{number} status:{}{note}", status.as_str());
        self.command(
            p,
            &line,
            r.map(|u| render::tasks::updated(&u, goal.as_deref(), now_s)),
        )
    }

    fn plan(&mut self, at: DateTime<Utc>, act: Act) {
        self.seq += 1;
        // Acts happen on the scheduler's grid, as the loop only looks at those instants.
        let step = STEP_MINUTES * 60;
        let t = (at.timestamp() + step - 1) / step * step;
        self.agenda.insert((t, self.seq), act);
    }

    /// `t`, or the next working time (Mon–Fri 09:00–18:00 in the coalition's time zone).
    fn work_time(&self, t: DateTime<Utc>) -> DateTime<Utc> {
        work_time(t, self.tz)
    }

    /// Prints a command someone ran and Backbone's reply (or the error only they see).
    fn command(&mut self, who: Person, line: &str, reply: Result<Message>) -> Result<()> {
        self.summary.commands += 1;
        let msg = match reply {
            Ok(m) => m,
            Err(Error::User(e)) => {
                self.summary.refused += 1;
                Message::text(format!("⚠️ {e}")).ephemeral()
            }
            Err(e) => return Err(e),
        };
        let place = format!(
            "{} in {}: {line}",
            self.names.user(who.id),
            self.names.channel(cast::HOME)
        );
        let note = if msg.ephemeral {
            format!("reply only {} sees", self.names.user(who.id))
        } else {
            "reply in the channel".to_string()
        };
        write!(self.out, "{}", show::header(&self.names, self.now, &place, &note))?;
        write!(self.out, "{}", show::message(&self.names, self.now, &msg.fit()))?;
        writeln!(self.out)?;
        Ok(())
    }

    /// Runs the real sender and prints what it sent.
    async fn deliver(&mut self) -> Result<()> {
        scheduler::deliver(&self.store, &self.notifier, &self.settings, self.now).await?;
        for (thread, name) in self.notifier.take_threads() {
            self.names.channels.insert(thread.0, format!("🧵 {name}"));
        }
        for sent in self.notifier.take() {
            let id: i64 = sent
                .nonce
                .trim_start_matches("bb")
                .trim_end_matches('d')
                .parse()
                .unwrap_or(0);
            let kind = match store::deliveries::get(&self.store, DeliveryId(id)).await? {
                Some(d) => d.kind,
                None => "message".into(),
            };
            let kind = if sent.edited.is_some() {
                format!("{kind}, edited in place")
            } else {
                kind
            };
            *self.summary.sent.entry(kind.clone()).or_default() += 1;
            let label = kind.replace('_', " ");
            let place = self.names.target(sent.target);
            write!(
                self.out,
                "{}",
                show::header(&self.names, self.now, &place, &label)
            )?;
            write!(self.out, "{}", show::message(&self.names, self.now, &sent.msg))?;
            writeln!(self.out)?;
        }
        Ok(())
    }

    fn print_summary(&mut self, days: u32) -> Result<()> {
        writeln!(
            self.out,
            "── {days} simulated days: {} commands ({} refused), scheduled messages sent:",
            self.summary.commands, self.summary.refused
        )?;
        for (kind, n) in &self.summary.sent {
            writeln!(self.out, "   {n:>4}  {}", kind.replace('_', " "))?;
        }
        Ok(())
    }
}

/// `t`, or the next working time (Mon–Fri 09:00–18:00 in `tz`).
fn work_time(t: DateTime<Utc>, tz: Tz) -> DateTime<Utc> {
    let mut local = t.with_timezone(&tz);
    for _ in 0..10 {
        let weekend = matches!(local.weekday(), Weekday::Sat | Weekday::Sun);
        if !weekend && (9..18).contains(&local.hour()) {
            break;
        }
        let next_day = local.date_naive() + Duration::days(if local.hour() < 9 && !weekend { 0 } else { 1 });
        let nine = next_day.and_hms_opt(9, local.minute(), 0).unwrap_or_default();
        local = nine.and_local_timezone(tz).earliest().unwrap_or(local);
    }
    local.with_timezone(&Utc)
}

/// `t`, or 08:00 the next morning when it falls between 21:00 and 08:00 in `tz`.
fn awake_time(t: DateTime<Utc>, tz: Tz) -> DateTime<Utc> {
    let local = t.with_timezone(&tz);
    if (8..21).contains(&local.hour()) {
        return t;
    }
    let day = local.date_naive() + Duration::days(if local.hour() >= 21 { 1 } else { 0 });
    let eight = day.and_hms_opt(8, local.minute(), 0).unwrap_or_default();
    eight
        .and_local_timezone(tz)
        .earliest()
        .map_or(t, |l| l.with_timezone(&Utc))
}
