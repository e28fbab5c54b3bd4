//! What `/coalition info` shows besides the coalition's settings: leads, partner organizations,
//! member count and active goals, aggregated as JSON by SQLite in the scope's own statement.

use serde::Deserialize;

use super::coalitions::GoalProgress;
use crate::domain::*;
use crate::error::{Error, Result};

/// What `/coalition info` shows besides the coalition's own settings.
#[derive(Debug, Clone)]
pub struct Overview {
    /// Leads as (user, display name), by joining date.
    pub leads: Vec<(UserId, String)>,
    /// Partner organizations' names, by name.
    pub orgs: Vec<String>,
    pub member_count: i64,
    /// Active goals, by number.
    pub goals: Vec<GoalProgress>,
}

#[derive(Deserialize)]
struct Lead {
    user_id: i64,
    name: String,
}

#[derive(Deserialize)]
struct Goal {
    number: i64,
    title: String,
    current: f64,
    target: Option<f64>,
    unit: Option<String>,
}

/// The leads, orgs, member count and active goals of the coalition `c.id`, as four columns
/// (`ov_leads`, `ov_orgs`, `ov_members`, `ov_goals`) to add to a statement over `coalitions c`,
/// spelled for `sqlite` or `postgres` (JSON aggregates differ):
/// [`super::scope::with_overview`] reads them in the same statement as the command's scope, so
/// `/coalition info` is one round trip to SQLite. Aggregated as JSON, read by [`Overview::read`].
macro_rules! overview_columns {
    (sqlite) => {
        ",
        (SELECT json_group_array(json_object('user_id', user_id, 'name', display_name))
           FROM (SELECT user_id, display_name FROM members
                  WHERE coalition_id = c.id AND role = 'lead' ORDER BY joined_at)) AS ov_leads,
        (SELECT json_group_array(name)
           FROM (SELECT name FROM orgs WHERE coalition_id = c.id ORDER BY name)) AS ov_orgs,
        (SELECT COUNT(*) FROM members WHERE coalition_id = c.id) AS ov_members,
        (SELECT json_group_array(json_object('number', number, 'title', title, 'current', current,
                                             'target', target, 'unit', unit))
           FROM (SELECT number, title, current, target, unit FROM goals
                  WHERE coalition_id = c.id AND status = 'active' ORDER BY number)) AS ov_goals"
    };
    (postgres) => {
        ",
        (SELECT CAST(COALESCE(json_agg(json_build_object('user_id', user_id, 'name', display_name)
                                       ORDER BY joined_at), '[]') AS TEXT)
           FROM members WHERE coalition_id = c.id AND role = 'lead') AS ov_leads,
        (SELECT CAST(COALESCE(json_agg(name ORDER BY name), '[]') AS TEXT)
           FROM orgs WHERE coalition_id = c.id) AS ov_orgs,
        (SELECT COUNT(*) FROM members WHERE coalition_id = c.id) AS ov_members,
        (SELECT CAST(COALESCE(json_agg(json_build_object('number', number, 'title', title,
                                       'current', current, 'target', target, 'unit', unit)
                                       ORDER BY number), '[]') AS TEXT)
           FROM goals WHERE coalition_id = c.id AND status = 'active') AS ov_goals"
    };
}
pub(crate) use overview_columns;

impl Overview {
    /// The overview in a row that has [`overview_columns!`].
    pub(crate) fn read(row: &super::sql::Row) -> Result<Overview> {
        let leads: String = row.try_get("ov_leads")?;
        let orgs: String = row.try_get("ov_orgs")?;
        let member_count: i64 = row.try_get("ov_members")?;
        let goals: String = row.try_get("ov_goals")?;
        let parse = |what: &str, e: serde_json::Error| {
            Error::internal(format!("reading the {what} of a coalition: {e}"))
        };
        let leads: Vec<Lead> = serde_json::from_str(&leads).map_err(|e| parse("leads", e))?;
        let orgs: Vec<String> = serde_json::from_str(&orgs).map_err(|e| parse("orgs", e))?;
        let goals: Vec<Goal> = serde_json::from_str(&goals).map_err(|e| parse("goals", e))?;
        Ok(Overview {
            leads: leads.into_iter().map(|l| (UserId(l.user_id), l.name)).collect(),
            orgs,
            member_count,
            goals: goals
                .into_iter()
                .map(|g| GoalProgress {
                    number: g.number,
                    title: g.title,
                    current: g.current,
                    target: g.target,
                    unit: g.unit,
                })
                .collect(),
        })
    }
}
