//! `/coalition info` in one statement: leads, partner organizations, member count and active
//! goals, aggregated as JSON by SQLite.

use serde::Deserialize;

use super::Store;
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

/// The leads, orgs, member count and active goals of `coalition`.
pub async fn overview(store: &Store, coalition: CoalitionId) -> Result<Overview> {
    let (leads, orgs, member_count, goals): (String, String, i64, String) = sqlx::query_as(
        "SELECT
           (SELECT json_group_array(json_object('user_id', user_id, 'name', display_name))
              FROM (SELECT user_id, display_name FROM members
                     WHERE coalition_id = ?1 AND role = 'lead' ORDER BY joined_at)),
           (SELECT json_group_array(name)
              FROM (SELECT name FROM orgs WHERE coalition_id = ?1 ORDER BY name)),
           (SELECT COUNT(*) FROM members WHERE coalition_id = ?1),
           (SELECT json_group_array(json_object('number', number, 'title', title, 'current', current,
                                                'target', target, 'unit', unit))
              FROM (SELECT number, title, current, target, unit FROM goals
                     WHERE coalition_id = ?1 AND status = 'active' ORDER BY number))",
    )
    .bind(coalition)
    .fetch_one(store.pool())
    .await?;
    let parse =
        |what: &str, e: serde_json::Error| Error::internal(format!("reading the {what} of a coalition: {e}"));
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
