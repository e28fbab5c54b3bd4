//! Coalition-level outcomes: created, info, list, settings, join/leave, exports and a queued
//! digest. Pure: outcome in, fitted [`Message`] out. Orgs, members and responsibilities live in
//! [`people`](super::people).

use chrono_tz::Tz;

use super::{NAME, TITLE, clip, joined_list, mention, plural, unassigned_field};
use crate::actions::coalition_edits::{CoalitionArchived, CoalitionRenamed, CoalitionRestored};
use crate::actions::coalitions::{
    CoalitionCreated, CoalitionInfo, Joined, Left, ScheduleInfo, SettingsUpdated,
};
use crate::actions::digest::DigestQueued;
use crate::actions::export::ExportFile;
use crate::domain::UserId;
use crate::domain::digest::progress_bar;
use crate::domain::message::{Attachment, Embed, Message, bounded_list, colors, limits};
use crate::domain::text::{number, truncate};
use crate::domain::when::{Shown, show};
use crate::store::coalitions::{CoalitionSummary, GoalProgress};

/// `/coalition create`: public, so everyone sees the new coalition and how to start.
pub fn created(c: &CoalitionCreated) -> Message {
    let tz = c.coalition.tz();
    let next = |at: Option<i64>| {
        at.map(|t| show(t, tz, Shown::Full))
            .unwrap_or_else(|| "not scheduled".into())
    };
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
        .map(|t| format!("\nnext {}", show(t, tz, Shown::Full)))
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
            ts.iter()
                .map(|t| show(*t, tz, Shown::Full))
                .collect::<Vec<_>>()
                .join("\n")
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

/// `/coalition leave`: public, so leads see which tasks need a new owner.
pub fn left(l: &Left, user: UserId) -> Message {
    let e = Embed::new(format!("Left {}", clip(&l.coalition, 200)), colors::WARNING).description(format!(
        "{} left **{}**.",
        mention(user),
        clip(&l.coalition, 200)
    ));
    Message::embed(unassigned_field(e, &l.unassigned)).fit()
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
    msg.attachments = vec![Attachment::new(&file.filename, file.bytes)];
    msg.fit()
}

/// `/digest send`: the digest is on its way to the home channel.
pub fn digest_queued(q: &DigestQueued) -> Message {
    Message::text(format!(
        "📰 The digest of **{}** is on its way to <#{}> ({}).",
        clip(&q.coalition_name, 200),
        q.channel,
        show(q.due_at, chrono_tz::UTC, Shown::Tag)
    ))
    .ephemeral()
    .fit()
}

/// `/coalition rename` (public).
pub fn renamed(r: &CoalitionRenamed) -> Message {
    Message::text(format!(
        "✏️ **{}** is now called **{}**.",
        clip(&r.previous, 100),
        clip(&r.name, 100)
    ))
    .fit()
}

/// `/coalition archive` (public).
pub fn archived(a: &CoalitionArchived) -> Message {
    let mut text = format!(
        "🗄️ **{}** is archived: no more check-ins, digests or pings, and it's hidden from lists. \
         Its data stays (`/export` still works for admins), and `/coalition restore` brings it back.",
        clip(&a.name, 100)
    );
    if a.deliveries_cancelled > 0 {
        text.push_str(&format!(
            "\n{} message{} that were waiting to go out won't.",
            a.deliveries_cancelled,
            if a.deliveries_cancelled == 1 { "" } else { "s" }
        ));
    }
    Message::text(text).fit()
}

/// `/coalition restore` (public): when its schedules pick up again.
pub fn restored(r: &CoalitionRestored) -> Message {
    let when = |at: Option<i64>| {
        at.map_or_else(
            || "not scheduled".to_string(),
            |t| show(t, chrono_tz::UTC, Shown::Tag),
        )
    };
    Message::text(format!(
        "📤 **{}** is back. Nothing missed while archived is sent; the next check-in is {} and the next digest {}.",
        clip(&r.coalition.name, 100),
        when(r.next_checkin_at),
        when(r.next_digest_at)
    ))
    .fit()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::coalitions::Person;
    use crate::actions::members::MemberAdded;
    use crate::actions::orgs::OrgList;
    use crate::actions::roles::RoleList;
    use crate::domain::{ChannelId, Coalition, CoalitionId, GuildId, Role};
    use crate::render::people::{member_added, org_list, role_list};
    use crate::store::members::UnassignedTask;

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
            leads_channel_id: None,
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
        assert_eq!(
            m.attachments,
            vec![Attachment::new("c-2026-11-23.json", b"{}".to_vec())]
        );
    }
}
