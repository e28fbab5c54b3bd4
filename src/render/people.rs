//! People in a coalition: partner organizations, members and their named responsibilities.
//! Pure: outcome in, fitted [`Message`] out.

use super::{NAME, clip, joined_list, mention, plural, unassigned_field};
use crate::actions::members::{MemberAdded, MemberGroup, MemberList, MemberRemoved};
use crate::actions::orgs::{OrgAdded, OrgList, OrgRemoved};
use crate::actions::roles::{RoleChanged, RoleList};
use crate::domain::Role;
use crate::domain::message::{Embed, Message, bounded_list, colors, limits};
use crate::domain::text::truncate;
use crate::domain::when::{Shown, show};

/// Room for the fields of a list embed: the 6000 total less title, description and footer slack.
const LIST_BUDGET: usize = 5200;

/// Splits `budget` characters among `groups` fields, each at most one field value long.
fn per_group(budget: usize, groups: usize) -> usize {
    (budget / groups.max(1)).clamp(40, limits::FIELD_VALUE)
}

/// `/org add`.
pub fn org_added(o: &OrgAdded) -> Message {
    Message::text(format!(
        "🏢 **{}** joined **{}** as a partner organization. Members pick it with `/coalition join org:` (leads: `/member add`).",
        clip(&o.org.name, NAME),
        clip(&o.coalition, 200)
    ))
    .fit()
}

/// `/org list`: each org with its numbers, for the invoker.
pub fn org_list(l: &OrgList) -> Message {
    if l.orgs.is_empty() {
        return Message::text(format!(
            "**{}** has no partner organizations yet — a lead can add one with `/org add`.",
            clip(&l.coalition, 200)
        ))
        .ephemeral();
    }
    let lines: Vec<String> = l
        .orgs
        .iter()
        .map(|o| {
            format!(
                "**{}** — {} · {} · {} this month",
                clip(&o.name, NAME),
                plural(o.members, "member", "members"),
                plural(o.open_tasks, "open task", "open tasks"),
                plural(o.wins, "win", "wins")
            )
        })
        .collect();
    let e = Embed::new(
        format!("Organizations of {} ({})", clip(&l.coalition, 200), l.orgs.len()),
        colors::INFO,
    )
    .description(bounded_list(&lines, lines.len(), limits::DESCRIPTION))
    .footer("Wins count from the first of this month in the coalition's time zone.");
    Message::embed(e).ephemeral().fit()
}

/// `/org remove`.
pub fn org_removed(o: &OrgRemoved) -> Message {
    Message::text(format!(
        "Removed **{}** from **{}**.",
        clip(&o.org, NAME),
        clip(&o.coalition, 200)
    ))
    .fit()
}

/// `/member add`: added, or role/org updated.
pub fn member_added(m: &MemberAdded) -> Message {
    let role = match m.role {
        Role::Lead => "a lead",
        Role::Member => "a member",
    };
    let org = match (m.org.as_deref(), m.is_new) {
        (Some(o), _) => format!(" (org: **{}**)", clip(o, NAME)),
        (None, false) => " (no org)".to_string(),
        (None, true) => String::new(),
    };
    let verb = if m.is_new { "is now" } else { "is now set as" };
    Message::text(format!(
        "{} {verb} {role} of **{}**{org}.",
        mention(m.user_id),
        clip(&m.coalition, 200)
    ))
    .fit()
}

/// `/member remove`: public, so leads see which tasks need a new owner.
pub fn member_removed(m: &MemberRemoved) -> Message {
    let e = Embed::new(
        format!("Member removed from {}", clip(&m.coalition, 200)),
        colors::WARNING,
    )
    .description(format!(
        "{} ({}) is no longer a member.",
        clip(&m.name, NAME),
        mention(m.user_id)
    ));
    Message::embed(unassigned_field(e, &m.unassigned)).fit()
}

fn member_line(m: &crate::actions::members::MemberEntry, tz: chrono_tz::Tz) -> String {
    let mut line = clip(&m.name, NAME);
    if m.role == Role::Lead {
        line.push_str(" · **lead**");
    }
    if let Some(until) = m.away_until {
        line.push_str(&format!(" · *away until {}*", show(until, tz, Shown::Full)));
    }
    if !m.responsibilities.is_empty() {
        let duties: Vec<String> = m.responsibilities.iter().map(|r| clip(r, 40)).collect();
        line.push_str(&format!(" — {}", truncate(&duties.join(", "), 100)));
    }
    line
}

fn group_name(g: &MemberGroup) -> String {
    let org = g
        .org
        .as_deref()
        .map(|o| clip(o, NAME))
        .unwrap_or_else(|| "No org".into());
    format!("{org} ({})", g.members.len())
}

/// `/member list`: members by org with role and responsibilities, for the invoker.
pub fn member_list(l: &MemberList) -> Message {
    let total: usize = l.groups.iter().map(|g| g.members.len()).sum();
    let title = format!("Members of {}", clip(&l.coalition, 200));
    if total == 0 {
        return Message::text(format!(
            "**{}** has no members here yet — people join with `/coalition join`.",
            clip(&l.coalition, 200)
        ))
        .ephemeral();
    }
    let summary = format!(
        "{} in {}",
        plural(total as i64, "member", "members"),
        plural(l.groups.len() as i64, "group", "groups")
    );
    let tz: chrono_tz::Tz = l.timezone.parse().unwrap_or(chrono_tz::UTC);
    let member_line = |m: &crate::actions::members::MemberEntry| member_line(m, tz);
    let mut e = Embed::new(title, colors::INFO);
    if let [only] = l.groups.as_slice() {
        let lines: Vec<String> = only.members.iter().map(&member_line).collect();
        let head = format!("**{}**\n", group_name(only));
        e = e.description(format!(
            "{head}{}",
            bounded_list(&lines, lines.len(), limits::DESCRIPTION - head.len())
        ));
    } else {
        // Each org gets an equal share of the embed; a list that overflows it ends "… and N more".
        let shown = l.groups.len().min(limits::FIELDS - 1);
        let share = per_group(LIST_BUDGET, shown);
        e = e.description(summary);
        for g in &l.groups[..shown] {
            let name = group_name(g);
            let lines: Vec<String> = g.members.iter().map(&member_line).collect();
            let room = share.saturating_sub(name.chars().count()).max(40);
            e = e.field(name, bounded_list(&lines, lines.len(), room), false);
        }
        let hidden = l.groups.len() - shown;
        if hidden > 0 {
            e = e.field(
                "…",
                format!("… and {hidden} more orgs — filter with `/member list org:`"),
                false,
            );
        }
    }
    Message::embed(e.footer("Responsibilities: /role list"))
        .ephemeral()
        .fit()
}

/// `/role assign` and `/role unassign`.
pub fn role_changed(r: &RoleChanged, assigned: bool) -> Message {
    let text = if assigned {
        format!(
            "{} is now responsible for **{}** in **{}**.",
            mention(r.user_id),
            clip(&r.responsibility, 100),
            clip(&r.coalition, 200)
        )
    } else {
        format!(
            "{} is no longer responsible for **{}** in **{}**.",
            mention(r.user_id),
            clip(&r.responsibility, 100),
            clip(&r.coalition, 200)
        )
    };
    Message::text(text).fit()
}

/// `/role list`: who is responsible for what, for the invoker.
pub fn role_list(l: &RoleList) -> Message {
    if l.responsibilities.is_empty() {
        return Message::text(format!(
            "Nobody in **{}** holds a named responsibility yet — a lead can give one with `/role assign`.",
            clip(&l.coalition, 200)
        ))
        .ephemeral();
    }
    let shown = l.responsibilities.len().min(limits::FIELDS - 1);
    let share = per_group(LIST_BUDGET, shown);
    let mut e = Embed::new(
        format!("Responsibilities in {}", clip(&l.coalition, 200)),
        colors::INFO,
    )
    .description(plural(
        l.responsibilities.len() as i64,
        "responsibility",
        "responsibilities",
    ));
    for r in &l.responsibilities[..shown] {
        let name = clip(&r.name, 100);
        let holders: Vec<String> = r.holders.iter().map(|p| clip(&p.name, NAME)).collect();
        let room = share.saturating_sub(name.chars().count()).max(40);
        e = e.field(name, joined_list(&holders, room), false);
    }
    let hidden = l.responsibilities.len() - shown;
    if hidden > 0 {
        e = e.field("…", format!("… and {hidden} more"), false);
    }
    Message::embed(e).ephemeral().fit()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::members::MemberEntry;
    use crate::domain::UserId;

    fn assert_fits(m: &Message) {
        assert!(m.limit_violations().is_empty(), "{:?}", m.limit_violations());
        assert!(m.ping_users.is_empty(), "no pings expected");
    }

    fn all_text(m: &Message) -> String {
        let mut s = m.content.clone();
        for e in &m.embeds {
            s += &format!("{}\n{}\n{}\n", e.title, e.description, e.footer);
            for f in &e.fields {
                s += &format!("{}\n{}\n", f.name, f.value);
            }
        }
        s
    }

    #[test]
    fn member_list_of_500_across_20_orgs_fits() {
        let groups = (0..20)
            .map(|o| MemberGroup {
                org: if o == 19 {
                    None
                } else {
                    Some(format!("Org {o} {}", "x".repeat(80)))
                },
                members: (0..25)
                    .map(|n| MemberEntry {
                        user_id: UserId(o * 100 + n),
                        name: format!("Member {o}-{n} @everyone"),
                        role: if n == 0 { Role::Lead } else { Role::Member },
                        responsibilities: vec!["communications".into(), "data steward".into()],
                        away_until: (n == 3).then_some(1_800_000_000),
                    })
                    .collect(),
            })
            .collect();
        let m = member_list(&MemberList {
            coalition: "Big Coalition".into(),
            groups,
            timezone: "Europe/Berlin".into(),
        });
        assert_fits(&m);
        let text = all_text(&m);
        assert!(text.contains("500 members in 20 groups"), "{text}");
        assert!(text.contains("No org (25)"));
        assert!(text.contains("… and"), "long groups say how many more");
        assert!(!text.contains("@everyone"), "user text is defused");
    }

    #[test]
    fn leads_see_who_is_away_in_their_own_zone() {
        let entry = |n: i64, away_until: Option<i64>| MemberEntry {
            user_id: UserId(n),
            name: format!("Person {n}"),
            role: Role::Member,
            responsibilities: vec![],
            away_until,
        };
        let m = member_list(&MemberList {
            coalition: "C".into(),
            groups: vec![MemberGroup {
                org: None,
                members: vec![entry(1, None), entry(2, Some(1_796_112_000))],
            }],
            timezone: "America/Los_Angeles".into(),
        });
        let text = all_text(&m);
        assert!(
            text.contains("Person 2 · *away until Tue 1 Dec 2026 00:00 (America/Los_Angeles)*"),
            "{text}"
        );
        assert_eq!(text.matches("away until").count(), 1);
    }

    #[test]
    fn member_list_of_one_big_org_uses_the_description() {
        let members = (0..500)
            .map(|n| MemberEntry {
                user_id: UserId(n),
                name: format!("Person {n}"),
                role: Role::Member,
                responsibilities: vec![],
                away_until: None,
            })
            .collect();
        let m = member_list(&MemberList {
            coalition: "C".into(),
            groups: vec![MemberGroup {
                org: Some("Only Org".into()),
                members,
            }],
            timezone: "UTC".into(),
        });
        assert_fits(&m);
        assert!(m.embeds[0].description.contains("… and"));
    }
}
