//! The demo coalition works a few targets: a lead adds three decision-makers and a goal that
//! counts council supporters, members log outreach that moves stances (one with a follow-up
//! task), and someone shares talking points. A fixed plan, not drawn from the seed, so the rest
//! of a seed's demo stays as it was.

use chrono::Duration;

use super::{Act, Sim};
use crate::actions::{goals, outreach, resources, targets};
use crate::demo::cast::PEOPLE;
use crate::error::Result;
use crate::render;

/// (name, role, office, stance, influence).
const TARGETS: [(&str, &str, &str, &str, &str); 3] = [
    (
        "Cllr Reyes",
        "council member, Ward 3",
        "City Council",
        "neutral",
        "high",
    ),
    (
        "Cllr Park",
        "council member, Ward 5",
        "City Council",
        "opposed",
        "medium",
    ),
    (
        "Dir. Okafor",
        "director of school food",
        "School District",
        "neutral",
        "high",
    ),
];

/// An outreach the demo's people make.
pub(super) struct Planned {
    /// Days after the start.
    day: i64,
    /// Index into [`PEOPLE`].
    who: usize,
    target: &'static str,
    kind: &'static str,
    outcome: &'static str,
    stance: Option<&'static str>,
    ask: &'static str,
    follow_up: Option<&'static str>,
}

/// The outreach, in the order it happens.
pub(super) const OUTREACH: [Planned; 4] = [
    Planned {
        day: 2,
        who: 2,
        target: "Cllr Reyes",
        kind: "meeting",
        outcome: "Toured the pantry; will back the food-access ordinance if the budget office signs off",
        stance: Some("supportive"),
        ask: "Co-sponsor the food-access ordinance",
        follow_up: Some("in 5 days"),
    },
    Planned {
        day: 4,
        who: 3,
        target: "Cllr Park",
        kind: "call",
        outcome: "Worried about cost; open to a pilot in Ward 5",
        stance: Some("neutral"),
        ask: "Support a one-year pilot",
        follow_up: None,
    },
    Planned {
        day: 6,
        who: 4,
        target: "Dir. Okafor",
        kind: "email",
        outcome: "Asked for our summer-meals numbers before deciding",
        stance: None,
        ask: "Open school kitchens in July",
        follow_up: None,
    },
    Planned {
        day: 9,
        who: 2,
        target: "Cllr Reyes",
        kind: "testimony",
        outcome: "Spoke for the ordinance at the hearing and named our coalition",
        stance: Some("champion"),
        ask: "Testify at the budget hearing",
        follow_up: None,
    },
];

impl Sim<'_> {
    /// Adds the targets and a goal that counts council supporters, and plans the outreach.
    pub(super) async fn advocacy(&mut self) -> Result<()> {
        let sam = PEOPLE[1];
        for (name, role, office, stance, influence) in TARGETS {
            let input = targets::AddTarget {
                coalition: None,
                name: name.into(),
                role: Some(role.into()),
                office: Some(office.into()),
                jurisdiction: None,
                stance: Some(stance.into()),
                influence: Some(influence.into()),
            };
            let r = targets::add(&self.store, &self.actor(sam), self.now, input).await;
            let line = format!(
                "/target add name:{name} role:{role} office:{office} stance:{stance} influence:{influence}"
            );
            self.command(sam, &line, r.map(|t| render::targets::target_saved(&t, true)))?;
        }
        let input = goals::AddGoal {
            coalition: None,
            title: "2 council supporters".into(),
            target: Some(2.0),
            metric: Some("targets office:City Council".into()),
            unit: Some("council members".into()),
            due: Some("in 8 weeks".into()),
        };
        let r = goals::add(&self.store, &self.actor(sam), self.now, input).await;
        let line = "/goal add title:2 council supporters target:2 metric:targets office:City Council unit:council members due:in 8 weeks";
        self.command(sam, line, r.map(|g| render::goals::goal_added(&g)))?;
        for (i, o) in OUTREACH.iter().enumerate() {
            let at = self.work_time(self.now + Duration::days(o.day) + Duration::hours(2));
            self.plan(at, Act::Outreach(i));
        }
        let at = self.work_time(self.now + Duration::days(3) + Duration::hours(3));
        self.plan(at, Act::Share);
        Ok(())
    }

    /// One planned outreach, logged as the member would with `/target log`.
    pub(super) async fn log_outreach(&mut self, i: usize) -> Result<()> {
        let Planned {
            who,
            target,
            kind,
            outcome,
            stance,
            ask,
            follow_up,
            ..
        } = OUTREACH[i];
        let p = PEOPLE[who];
        let input = outreach::LogOutreach {
            coalition: None,
            target: target.into(),
            kind: kind.into(),
            outcome: outcome.into(),
            stance: stance.map(str::to_string),
            ask: Some(ask.into()),
            org: None,
            follow_up: follow_up.map(str::to_string),
            user_name: p.name.into(),
        };
        let mut line = format!("/target log target:{target} kind:{kind} outcome:{outcome} ask:{ask}");
        if let Some(s) = stance {
            line += &format!(" stance:{s}");
        }
        if let Some(f) = follow_up {
            line += &format!(" follow_up:{f}");
        }
        let r = outreach::log(&self.store, &self.actor(p), self.now, input).await;
        self.command(p, &line, r.map(|o| render::targets::outreach_logged(&o)))
    }

    /// Talking points for the library.
    pub(super) async fn share(&mut self) -> Result<()> {
        let p = PEOPLE[3];
        let input = resources::AddResource {
            coalition: None,
            url: "https://example.org/riverside/food-access-talking-points".into(),
            title: "Food-access ordinance: talking points".into(),
            tags: Some("talking-points, ordinance".into()),
            goal: None,
            target: Some("Cllr Reyes".into()),
        };
        let r = resources::add(&self.store, &self.actor(p), self.now, input).await;
        let line = "/resource add url:https://example.org/riverside/food-access-talking-points title:Food-access ordinance: talking points tags:talking-points, ordinance target:Cllr Reyes";
        self.command(p, line, r.map(|a| render::resources::resource_added(&a)))
    }
}
