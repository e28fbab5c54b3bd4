//! Coalition-level outcomes: created, info, list, settings, join/leave, orgs, members,
//! responsibilities, exports and a queued digest. Pure: outcome in, fitted [`Message`] out.

use chrono_tz::Tz;

use super::{discord_time, local, mention, safe};
use crate::actions::coalitions::{
    CoalitionCreated, CoalitionInfo, Joined, Left, ScheduleInfo, SettingsUpdated,
};
use crate::actions::digest::DigestQueued;
use crate::actions::export::ExportFile;
use crate::actions::members::{MemberAdded, MemberGroup, MemberList, MemberRemoved};
use crate::actions::orgs::{OrgAdded, OrgList, OrgRemoved};
use crate::actions::roles::{RoleChanged, RoleList};
use crate::domain::digest::progress_bar;
use crate::domain::message::{Embed, Message, bounded_list, colors, limits};
use crate::domain::text::{number, truncate};
use crate::domain::{Role, UserId};
use crate::store::coalitions::{CoalitionSummary, GoalProgress};
use crate::store::members::UnassignedTask;

/// Room for the fields of a list embed: the 6000 total less title, description and footer slack.
const LIST_BUDGET: usize = 5200;
/// Longest name (coalition, org, member, responsibility) on one line of a list.
const NAME: usize = 60;
/// Longest title (task, goal) on one line of a list.
const TITLE: usize = 80;

/// User text cut to `max` characters, then made safe to show.
fn clip(text: &str, max: usize) -> String {
    safe(&truncate(text, max))
}

fn plural(n: i64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// Splits `budget` characters among `groups` fields, each at most one field value long.
fn per_group(budget: usize, groups: usize) -> usize {
    (budget / groups.max(1)).clamp(40, limits::FIELD_VALUE)
}

/// `/coalition create`: public, so everyone sees the new coalition and how to start.
pub fn created(c: &CoalitionCreated) -> Message {
    let tz = c.coalition.tz();
    let next = |at: Option<i64>| at.map(|t| local(t, tz)).unwrap_or_else(|| "not scheduled".into());
    let e = Embed::new(
        format!("New coalition: {}", clip(&c.coalition.name, 200)),
        colors::SUCCESS,
    )
    .description(format!(
        "Home channel <#{}> · time zone **{}**.\nYou're its first lead.",
        c.coalition.home_channel_id, c.coalition.timezone
    ))
    .field("First check-in", next(c.next_checkin_at), true)
    .field("First digest", next(c.next_digest_at), true)
    .field(
        "Next steps",
        "• Add partner organizations with `/org add`\n\
             • Invite people: `/coalition join`, or `/member add` for leads\n\
             • Set shared goals with `/goal add`\n\
             • Adjust schedules with `/coalition settings`",
        false,
    );
    Message::embed(e).fit()
}

fn schedule_line(s: &ScheduleInfo, tz: Tz) -> String {
    let next = s
        .next_at
        .map(|t| format!("\nnext {}", local(t, tz)))
        .unwrap_or_default();
    format!("{}{next}", clip(&s.description, 200))
}

/// One goal as a line: number, title, bar and numbers.
fn goal_line(g: &GoalProgress) -> String {
    let unit = g
        .unit
        .as_deref()
        .map(|u| format!(" {}", clip(u, 20)))
        .unwrap_or_default();
    let progress = match g.target.filter(|t| *t > 0.0) {
        Some(t) => {
            let f = (g.current / t).clamp(0.0, 1.0);
            format!(
                "{} {}/{}{unit} ({:.0}%)",
                progress_bar(f, 10),
                number(g.current),
                number(t),
                f * 100.0
            )
        }
        None => format!("{}{unit}", number(g.current)),
    };
    format!("**#{}** {} — {progress}", g.number, clip(&g.title, TITLE))
}

/// `/coalition info`: settings, leads, orgs, members and goals, for the invoker.
pub fn info(i: &CoalitionInfo) -> Message {
    let c = &i.coalition;
    let tz = c.tz();
    let leads: Vec<String> = i.leads.iter().map(|p| clip(&p.name, NAME)).collect();
    let orgs: Vec<String> = i.orgs.iter().map(|o| clip(o, NAME)).collect();
    let goals: Vec<String> = i.goals.iter().map(goal_line).collect();
    let e = Embed::new(clip(&c.name, 200), colors::INFO)
        .description(format!(
            "Home channel <#{}> · time zone **{}** · {}",
            c.home_channel_id,
            c.timezone,
            plural(i.member_count, "member", "members")
        ))
        .field("Check-ins", schedule_line(&i.checkin, tz), true)
        .field("Digest", schedule_line(&i.digest, tz), true)
        .field(
            "Deadline pings",
            format!("{} before each due date", clip(&i.ping_offsets, 100)),
            true,
        )
        .field(
            format!("Leads ({})", i.leads.len()),
            joined_list(&leads, limits::FIELD_VALUE),
            false,
        )
        .field(
            format!("Organizations ({})", i.orgs.len()),
            joined_list(&orgs, limits::FIELD_VALUE),
            false,
        )
        .field(
            format!("Goals ({})", i.goals.len()),
            if goals.is_empty() {
                "None yet — a lead can add one with `/goal add`.".into()
            } else {
                bounded_list(&goals, goals.len(), limits::FIELD_VALUE)
            },
            false,
        );
    Message::embed(e).ephemeral().fit()
}

/// Names joined by commas within `max` characters, ending with "… and N more" when cut.
fn joined_list(names: &[String], max: usize) -> String {
    let mut out = String::new();
    for (shown, name) in names.iter().enumerate() {
        let rest = names.len() - shown;
        let sep = if out.is_empty() { "" } else { ", " };
        let tail = if rest > 1 {
            format!(" … and {} more", rest - 1).chars().count()
        } else {
            0
        };
        if out.chars().count() + sep.len() + name.chars().count() + tail > max {
            out.push_str(&format!(
                "{}… and {rest} more",
                if out.is_empty() { "" } else { " " }
            ));
            return out;
        }
        out.push_str(sep);
        out.push_str(name);
    }
    out
}

/// `/coalition list`: the server's coalitions, for the invoker.
pub fn list(all: &[CoalitionSummary]) -> Message {
    if all.is_empty() {
        return Message::text(
            "This server has no coalition yet — an admin (Manage Server) can create one with `/coalition create`.",
        )
        .ephemeral();
    }
    let lines: Vec<String> = all
        .iter()
        .map(|c| {
            format!(
                "**{}** — <#{}> · {} · {}",
                clip(&c.name, NAME),
                c.home_channel_id,
                plural(c.members, "member", "members"),
                plural(c.open_tasks, "open task", "open tasks")
            )
        })
        .collect();
    let e = Embed::new(format!("Coalitions in this server ({})", all.len()), colors::INFO)
        .description(bounded_list(&lines, lines.len(), limits::DESCRIPTION))
        .footer("Join one with /coalition join · details with /coalition info");
    Message::embed(e).ephemeral().fit()
}

/// `/coalition settings`: what changed, and the next check-ins and digests in local time.
pub fn settings(s: &SettingsUpdated) -> Message {
    let tz = s.coalition.tz();
    let times = |ts: &[i64]| {
        if ts.is_empty() {
            "none scheduled".to_string()
        } else {
            ts.iter().map(|t| local(*t, tz)).collect::<Vec<_>>().join("\n")
        }
    };
    let name = clip(&s.coalition.name, 200);
    let (title, description, color) = if s.changes.is_empty() {
        (
            format!("Settings of {name}"),
            "Nothing changed — everything was already set that way.".to_string(),
            colors::INFO,
        )
    } else {
        let lines: Vec<String> = s
            .changes
            .iter()
            .map(|c| format!("**{}**: {} → {}", c.setting, clip(&c.from, 200), clip(&c.to, 200)))
            .collect();
        (
            format!("Settings of {name} updated"),
            lines.join("\n"),
            colors::SUCCESS,
        )
    };
    let e = Embed::new(title, color)
        .description(description)
        .field("Next check-ins", times(&s.next_checkins), true)
        .field("Next digests", times(&s.next_digests), true)
        .footer(format!("Times in {}", s.coalition.timezone));
    let msg = Message::embed(e);
    if s.changes.is_empty() {
        msg.ephemeral().fit()
    } else {
        msg.fit()
    }
}

/// `/coalition join`: a public welcome, or a private note when only the org changed.
pub fn joined(j: &Joined, user: UserId) -> Message {
    let org = j
        .org
        .as_deref()
        .map(|o| format!(" with **{}**", clip(o, NAME)))
        .unwrap_or_default();
    if j.updated {
        return Message::text(format!(
            "Your org in **{}** is now **{}**.",
            clip(&j.coalition, 200),
            clip(j.org.as_deref().unwrap_or("—"), NAME)
        ))
        .ephemeral()
        .fit();
    }
    Message::text(format!(
        "👋 {} joined **{}**{org}. Welcome! See `/task mine` for your tasks and `/checkin submit` to check in.",
        mention(user),
        clip(&j.coalition, 200)
    ))
    .fit()
}

/// Tasks that lost their assignee, as a field for leads to act on.
fn unassigned_field(e: Embed, tasks: &[UnassignedTask]) -> Embed {
    if tasks.is_empty() {
        return e;
    }
    let lines: Vec<String> = tasks
        .iter()
        .map(|t| format!("#{} {}", t.number, clip(&t.title, TITLE)))
        .collect();
    e.field(
        format!("Now unassigned ({})", tasks.len()),
        bounded_list(&lines, lines.len(), limits::FIELD_VALUE),
        false,
    )
    .footer("Leads: hand these on with /task reassign.")
}

/// `/coalition leave`: public, so leads see which tasks need a new owner.
pub fn left(l: &Left, user: UserId) -> Message {
    let e = Embed::new(format!("Left {}", clip(&l.coalition, 200)), colors::WARNING).description(format!(
        "{} left **{}**.",
        mention(user),
        clip(&l.coalition, 200)
    ));
    Message::embed(unassigned_field(e, &l.unassigned)).fit()
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
    let org = m
        .org
        .as_deref()
        .map(|o| format!(" (org: **{}**)", clip(o, NAME)))
        .unwrap_or_default();
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

fn member_line(m: &crate::actions::members::MemberEntry) -> String {
    let mut line = clip(&m.name, NAME);
    if m.role == Role::Lead {
        line.push_str(" · **lead**");
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
    let mut e = Embed::new(title, colors::INFO);
    if let [only] = l.groups.as_slice() {
        let lines: Vec<String> = only.members.iter().map(member_line).collect();
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
            let lines: Vec<String> = g.members.iter().map(member_line).collect();
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

/// `/export`: the file as an attachment, with what it holds.
pub fn exported(file: ExportFile) -> Message {
    let counts: Vec<String> = file
        .counts
        .iter()
        .map(|(table, n)| format!("{table}: {n}"))
        .collect();
    let what = if file.filename.ends_with(".zip") {
        "a zip of CSV files, one per table"
    } else {
        "one JSON file"
    };
    let mut msg = Message::text(format!(
        "📦 Export of **{}** — {what}.\n{}",
        clip(&file.coalition_name, 200),
        truncate(&counts.join(" · "), 1500)
    ))
    .ephemeral();
    msg.attachment = Some((file.filename, file.bytes));
    msg.fit()
}

/// `/digest send`: the digest is on its way to the home channel.
pub fn digest_queued(q: &DigestQueued) -> Message {
    Message::text(format!(
        "📰 The digest of **{}** is on its way to <#{}> ({}).",
        clip(&q.coalition_name, 200),
        q.channel,
        discord_time(q.due_at)
    ))
    .ephemeral()
    .fit()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::coalitions::Person;
    use crate::actions::members::MemberEntry;
    use crate::domain::{ChannelId, Coalition, CoalitionId, GuildId};

    fn coalition(name: &str) -> Coalition {
        Coalition {
            id: CoalitionId(1),
            guild_id: GuildId(10),
            name: name.into(),
            home_channel_id: ChannelId(99),
            timezone: "Europe/Berlin".into(),
            checkin_schedule: "fridays 10:00".into(),
            digest_schedule: "mondays 9:00".into(),
            ping_offsets: "72h,24h".into(),
            next_checkin_at: Some(1_800_000_000),
            next_digest_at: Some(1_800_100_000),
            created_by: UserId(1),
            created_at: 1_700_000_000,
            archived_at: None,
        }
    }

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

    fn schedule(d: &str) -> ScheduleInfo {
        ScheduleInfo {
            source: d.into(),
            description: d.into(),
            next_at: Some(1_800_000_000),
        }
    }

    #[test]
    fn info_with_30_goals_and_100_members_fits() {
        let i = CoalitionInfo {
            coalition: coalition(&"Climate Coalition ".repeat(20)),
            checkin: schedule("every Friday at 10:00"),
            digest: schedule("every Monday at 09:00"),
            ping_offsets: "72h,24h".into(),
            leads: (0..100)
                .map(|n| Person {
                    user_id: UserId(n),
                    name: format!("Lead number {n} with a long name"),
                })
                .collect(),
            orgs: (0..40)
                .map(|n| format!("Organization {n} of the coalition"))
                .collect(),
            member_count: 100,
            goals: (0..30)
                .map(|n| GoalProgress {
                    number: n + 1,
                    title: format!("Goal {n} {}", "t".repeat(190)),
                    current: n as f64 * 3.5,
                    target: if n % 3 == 0 { None } else { Some(100.0) },
                    unit: Some("signatures".into()),
                })
                .collect(),
        };
        let m = info(&i);
        assert_fits(&m);
        assert!(m.ephemeral);
        let text = all_text(&m);
        assert!(text.contains("Goals (30)") && text.contains("more"), "{text}");
        assert!(text.contains("100 members"));
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
                    })
                    .collect(),
            })
            .collect();
        let m = member_list(&MemberList {
            coalition: "Big Coalition".into(),
            groups,
        });
        assert_fits(&m);
        let text = all_text(&m);
        assert!(text.contains("500 members in 20 groups"), "{text}");
        assert!(text.contains("No org (25)"));
        assert!(text.contains("… and"), "long groups say how many more");
        assert!(!text.contains("@everyone"), "user text is defused");
    }

    #[test]
    fn member_list_of_one_big_org_uses_the_description() {
        let members = (0..500)
            .map(|n| MemberEntry {
                user_id: UserId(n),
                name: format!("Person {n}"),
                role: Role::Member,
                responsibilities: vec![],
            })
            .collect();
        let m = member_list(&MemberList {
            coalition: "C".into(),
            groups: vec![MemberGroup {
                org: Some("Only Org".into()),
                members,
            }],
        });
        assert_fits(&m);
        assert!(m.embeds[0].description.contains("… and"));
    }

    #[test]
    fn user_text_is_defused_everywhere() {
        let evil = "@everyone <@&1> @here **bold**";
        let created = created(&CoalitionCreated {
            coalition: coalition(evil),
            next_checkin_at: None,
            next_digest_at: None,
        });
        let added = member_added(&MemberAdded {
            coalition: evil.into(),
            user_id: UserId(5),
            name: evil.into(),
            is_new: true,
            role: Role::Member,
            org: Some(evil.into()),
        });
        let roles = role_list(&RoleList {
            coalition: evil.into(),
            responsibilities: vec![crate::actions::roles::ResponsibilityGroup {
                name: evil.into(),
                holders: vec![Person {
                    user_id: UserId(2),
                    name: evil.into(),
                }],
            }],
        });
        let left = left(
            &Left {
                coalition: evil.into(),
                unassigned: vec![UnassignedTask {
                    number: 3,
                    title: evil.into(),
                }],
            },
            UserId(5),
        );
        for m in [created, added, roles, left] {
            assert_fits(&m);
            let text = all_text(&m);
            assert!(
                !text.contains("@everyone") && !text.contains("@here") && !text.contains("<@&"),
                "{text}"
            );
        }
    }

    #[test]
    fn coalition_and_org_lists_are_bounded() {
        let all: Vec<CoalitionSummary> = (0..300)
            .map(|n| CoalitionSummary {
                id: CoalitionId(n),
                name: format!("Coalition {n} {}", "n".repeat(90)),
                home_channel_id: ChannelId(n),
                members: n,
                open_tasks: 1,
            })
            .collect();
        let m = list(&all);
        assert_fits(&m);
        assert!(all_text(&m).contains("more"));
        assert!(list(&[]).content.contains("/coalition create"));

        let orgs = OrgList {
            coalition: "C".into(),
            month_start: 0,
            orgs: (0..200)
                .map(|n| crate::store::coalitions::OrgStats {
                    id: crate::domain::OrgId(n),
                    name: format!("Org {n} {}", "o".repeat(90)),
                    members: 1,
                    open_tasks: 2,
                    wins: 3,
                })
                .collect(),
        };
        let m = org_list(&orgs);
        assert_fits(&m);
        assert!(all_text(&m).contains("1 member · 2 open tasks · 3 wins this month"));
    }

    #[test]
    fn settings_show_changes_and_next_times() {
        let s = SettingsUpdated {
            coalition: coalition("C"),
            changes: vec![crate::actions::coalitions::SettingChange {
                setting: "checkin_schedule",
                from: "fridays 10:00".into(),
                to: "0 0 9 * * Mon".into(),
            }],
            next_checkins: vec![1_800_000_000, 1_800_604_800, 1_801_209_600],
            next_digests: vec![],
        };
        let m = settings(&s);
        assert_fits(&m);
        assert!(!m.ephemeral);
        let text = all_text(&m);
        assert!(
            text.contains("checkin_schedule") && text.contains("none scheduled"),
            "{text}"
        );
        assert_eq!(m.embeds[0].fields[0].value.lines().count(), 3);
        assert!(settings(&SettingsUpdated { changes: vec![], ..s }).ephemeral);
    }

    #[test]
    fn export_carries_the_file() {
        let m = exported(ExportFile {
            coalition_name: "C".into(),
            filename: "c-2026-11-23.json".into(),
            content_type: "application/json",
            counts: vec![("tasks".into(), 3)],
            bytes: b"{}".to_vec(),
        });
        assert_fits(&m);
        assert!(m.ephemeral && m.content.contains("tasks: 3"));
        assert_eq!(m.attachment, Some(("c-2026-11-23.json".into(), b"{}".to_vec())));
    }
}
