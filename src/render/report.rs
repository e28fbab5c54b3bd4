//! The impact report as one self-contained HTML file: a compiled askama template (every piece of
//! user text escaped), inline SVG charts each with a `<title>` and a data table, a print
//! stylesheet, and a Content-Security-Policy that forbids scripts and every outside resource.

use askama::Template;
use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::domain::message::{Attachment, Message, limits};
use crate::domain::report::{DeadlineOutcome, GoalStanding, Report};
use crate::domain::targets::Stance;
use crate::domain::text::{number, truncate};
use crate::error::{Error, Result};

/// Partner names in charts are cut to this many characters (tables show them whole).
const CHART_LABEL: usize = 26;
/// Width of every chart's viewBox.
const CHART_W: i32 = 640;

#[derive(Template)]
#[template(path = "report.html")]
struct Page {
    coalition: String,
    period_name: String,
    period_title: String,
    generated: String,
    timezone: String,
    members: i64,
    orgs: Vec<OrgView>,
    goals: Vec<GoalView>,
    goals_hidden: i64,
    wins_total: i64,
    wins_month: BarChart,
    wins_org: BarChart,
    tasks_completed: i64,
    tasks_overdue: i64,
    overdue_heading: &'static str,
    overdue_phrase: String,
    no_top_wins: String,
    tasks_org: BarChart,
    recent_tasks: Vec<TaskView>,
    deadlines: Vec<DeadlineView>,
    deadline_counts: Vec<(&'static str, usize)>,
    checkins: BarChart,
    top_wins: Vec<WinView>,
    targets: TargetsView,
    meetings_held: i64,
    /// (org, "3 of 8 (38%)").
    meeting_attendance: Vec<(String, String)>,
    /// (date, meeting, decision).
    decisions: Vec<(String, String, String)>,
}

/// The targets section: stances at the start and end, who moved, outreach per partner org.
struct TargetsView {
    summary: String,
    stances: BarChart,
    outreach_org: BarChart,
    /// (date, "Cllr Reyes: neutral → supportive, after …").
    moved: Vec<(String, String)>,
    moved_more: i64,
}

fn targets_view(report: &Report, tz: Tz) -> TargetsView {
    let t = &report.targets;
    let b = &report.bounds;
    let stances = bar_chart(
        "target-stances",
        format!("Targets by stance at the start and end of {}", b.name),
        &["Start", "End"],
        // No targets at either end: the empty note, not a chart of zeros.
        &Stance::ALL
            .iter()
            .enumerate()
            .filter(|_| t.at_start.iter().chain(&t.at_end).any(|n| *n > 0))
            .map(|(i, s)| (s.as_str().to_string(), vec![t.at_start[i], t.at_end[i]]))
            .collect::<Vec<_>>(),
        "",
        "No targets yet.",
    );
    let outreach_org = bar_chart(
        "outreach-org",
        format!("Outreach per partner organization, {}", b.name),
        &["Outreach"],
        &t.outreach_by_org
            .iter()
            .map(|(n, c)| (n.clone().unwrap_or_else(|| "No organization".into()), vec![*c]))
            .collect::<Vec<_>>(),
        "",
        "No outreach logged in this period.",
    );
    let support = |d: &[i64; 5]| d[0] + d[1];
    TargetsView {
        summary: format!(
            "{} outreach logged; {} stance change{}; targets at supportive or better: {} at the start, {} at the end.",
            t.outreach_total,
            t.moved_count,
            if t.moved_count == 1 { "" } else { "s" },
            support(&t.at_start),
            support(&t.at_end)
        ),
        stances,
        outreach_org,
        moved: t
            .moved
            .iter()
            .map(|m| (date(m.at, tz, "%-d %b %Y"), m.moved.line()))
            .collect(),
        moved_more: t.moved_count - t.moved.len() as i64,
    }
}

struct OrgView {
    name: String,
    members: i64,
    wins: i64,
    completed: i64,
    overdue: i64,
}

struct GoalView {
    heading: String,
    status: &'static str,
    status_class: &'static str,
    summary: String,
    chart: LineChart,
    rows: Vec<(String, String)>,
}

struct TaskView {
    title: String,
    who: String,
    org: String,
    completed: String,
}

struct DeadlineView {
    title: String,
    due: String,
    outcome: &'static str,
    class: &'static str,
}

struct WinView {
    text: String,
    who: String,
    details: String,
}

/// A horizontal bar chart: one row per label, one or two bars per row, every value written out.
struct BarChart {
    id: String,
    title: String,
    height: i32,
    rows: Vec<BarRow>,
    legend: Vec<(&'static str, &'static str)>,
    /// The data table behind `<details>`: headers, then rows.
    columns: Vec<&'static str>,
    table: Vec<Vec<String>>,
    empty: Option<&'static str>,
}

struct BarRow {
    y: i32,
    label: String,
    bars: Vec<Bar>,
}

struct Bar {
    y: i32,
    width: i32,
    color: &'static str,
    text: String,
}

/// A goal's value over the period as a step line, with its target dashed.
struct LineChart {
    id: String,
    title: String,
    points: String,
    last: (i32, i32),
    last_label: String,
    target_y: Option<i32>,
    target_label: String,
    top_label: String,
    start_label: String,
    end_label: String,
}

const LABEL_W: i32 = 200;
const BAR_MAX: i32 = CHART_W - LABEL_W - 90;
const COLORS: [&str; 2] = ["#1D4ED8", "#B91C1C"];

fn bar_chart(
    id: &str,
    title: String,
    series: &[&'static str],
    rows: &[(String, Vec<i64>)],
    suffix: &str,
    empty: &'static str,
) -> BarChart {
    let max = rows
        .iter()
        .flat_map(|(_, v)| v.iter().copied())
        .max()
        .unwrap_or(0)
        .max(1);
    let per_row = 26 * series.len() as i32 + 14;
    let mut y = if series.len() > 1 { 34 } else { 8 };
    let mut out = Vec::new();
    for (label, values) in rows {
        let mut bar_y = y;
        let bars = values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let bar = Bar {
                    y: bar_y,
                    width: ((*v as f64 / max as f64) * BAR_MAX as f64).round() as i32,
                    color: COLORS[i % COLORS.len()],
                    text: format!("{v}{suffix}"),
                };
                bar_y += 26;
                bar
            })
            .collect();
        out.push(BarRow {
            y,
            label: truncate(label, CHART_LABEL),
            bars,
        });
        y += per_row;
    }
    let mut columns = vec![""];
    columns.extend_from_slice(series);
    BarChart {
        id: id.to_string(),
        title,
        height: y + 4,
        rows: out,
        legend: if series.len() > 1 {
            series.iter().copied().zip(COLORS).collect()
        } else {
            Vec::new()
        },
        columns,
        table: rows
            .iter()
            .map(|(label, values)| {
                std::iter::once(label.clone())
                    .chain(values.iter().map(|v| format!("{v}{suffix}")))
                    .collect()
            })
            .collect(),
        empty: rows.is_empty().then_some(empty),
    }
}

fn line_chart(id: String, title: String, points: &[(i64, f64)], target: Option<f64>, tz: Tz) -> LineChart {
    let (x0, x1, y0, y1) = (60.0, (CHART_W - 90) as f64, 170.0, 20.0);
    let (t0, t1) = match (points.first(), points.last()) {
        (Some(a), Some(b)) => (a.0, b.0.max(a.0 + 1)),
        _ => (0, 1),
    };
    let top = points
        .iter()
        .map(|p| p.1)
        .chain(target)
        .fold(0.0_f64, f64::max)
        .max(1.0);
    let x = |t: i64| x0 + (t - t0) as f64 / (t1 - t0) as f64 * (x1 - x0);
    let y = |v: f64| y0 - v / top * (y0 - y1);
    let mut pts = Vec::new();
    let mut prev: Option<f64> = None;
    for &(t, v) in points {
        if let Some(p) = prev {
            pts.push(format!("{:.1},{:.1}", x(t), y(p)));
        }
        pts.push(format!("{:.1},{:.1}", x(t), y(v)));
        prev = Some(v);
    }
    let last = points.last().map_or((x0, y0), |&(t, v)| (x(t), y(v)));
    LineChart {
        id,
        title,
        points: pts.join(" "),
        last: (last.0.round() as i32, last.1.round() as i32),
        last_label: number(points.last().map_or(0.0, |p| p.1)),
        target_y: target.map(|t| y(t).round() as i32),
        target_label: target
            .map(|t| format!("target {}", number(t)))
            .unwrap_or_default(),
        top_label: number(top),
        start_label: date(t0, tz, "%-d %b"),
        end_label: date(t1, tz, "%-d %b"),
    }
}

/// The report as HTML.
pub fn html(report: &Report) -> Result<String> {
    let tz: Tz = report.timezone.parse().unwrap_or(chrono_tz::UTC);
    let b = &report.bounds;
    let org_name = |n: &Option<String>| n.clone().unwrap_or_else(|| "No organization".into());

    let goals = report
        .goals
        .iter()
        .map(|g| {
            let unit = g.unit.as_deref().map(|u| format!(" {u}")).unwrap_or_default();
            let value = match g.target {
                Some(t) => format!(
                    "{} of {}{unit} ({:.0}%)",
                    number(g.current),
                    number(t),
                    g.current / t * 100.0
                ),
                None => format!("{}{unit}", number(g.current)),
            };
            let due = g
                .due_at
                .map(|d| format!(", due {}", date(d, tz, "%-d %b %Y")))
                .unwrap_or_default();
            let title = format!("Goal #{} {}: value over {}", g.number, g.title, b.name);
            GoalView {
                heading: format!("#{} {}", g.number, g.title),
                status: g.standing.label(),
                status_class: match g.standing {
                    GoalStanding::Achieved | GoalStanding::TargetReached | GoalStanding::OnTrack => "good",
                    GoalStanding::Behind => "bad",
                    GoalStanding::Dropped | GoalStanding::InProgress => "neutral",
                },
                summary: format!("{value}{due}"),
                chart: line_chart(format!("goal-{}", g.number), title, &g.points, g.target, tz),
                rows: g
                    .points
                    .iter()
                    .map(|(t, v)| (date(*t, tz, "%-d %b %Y %H:%M"), format!("{}{unit}", number(*v))))
                    .collect(),
            }
        })
        .collect();

    let named: Vec<_> = report.orgs.iter().map(|o| (org_name(&o.name), o)).collect();
    let wins_month = bar_chart(
        "wins-month",
        format!("Wins per month, {}", b.name),
        &["Wins"],
        &report
            .wins_by_month
            .iter()
            .map(|(m, n)| (m.clone(), vec![*n]))
            .collect::<Vec<_>>(),
        "",
        if b.to_date {
            "No wins yet this period."
        } else {
            "No wins in this period."
        },
    );
    let wins_org = bar_chart(
        "wins-org",
        format!("Wins per partner organization, {}", b.name),
        &["Wins"],
        &named
            .iter()
            .map(|(n, o)| (n.clone(), vec![o.wins]))
            .collect::<Vec<_>>(),
        "",
        "No partner organizations yet.",
    );
    let tasks_org = bar_chart(
        "tasks-org",
        if b.to_date {
            format!("Tasks completed in {} and overdue now, per organization", b.name)
        } else {
            format!(
                "Tasks completed in {} and overdue at its end, per organization",
                b.name
            )
        },
        &["Completed", "Overdue"],
        &named
            .iter()
            .map(|(n, o)| (n.clone(), vec![o.tasks_completed, o.tasks_overdue]))
            .collect::<Vec<_>>(),
        "",
        "No tasks yet.",
    );
    let checkins = bar_chart(
        "checkins",
        format!("Check-in participation per week, {}", b.name),
        &["Answered"],
        &report
            .checkins
            .iter()
            .map(|w| {
                let pct = if w.expected > 0 {
                    (w.answered * 100 / w.expected).min(100)
                } else {
                    0
                };
                (format!("Week of {}", date(w.week_start, tz, "%-d %b")), vec![pct])
            })
            .collect::<Vec<_>>(),
        "%",
        "No check-in rounds this period.",
    );
    let mut checkins = checkins;
    checkins.columns = vec!["Week", "Answered", "Answers", "Expected", "Rounds"];
    checkins.table = report
        .checkins
        .iter()
        .zip(&checkins.table)
        .map(|(w, row)| {
            vec![
                row[0].clone(),
                row[1].clone(),
                w.answered.to_string(),
                w.expected.to_string(),
                w.rounds.to_string(),
            ]
        })
        .collect();

    let count = |o: DeadlineOutcome| report.deadlines.iter().filter(|d| d.outcome == o).count();
    let page = Page {
        coalition: report.coalition.clone(),
        period_name: b.name.clone(),
        period_title: b.title.clone(),
        generated: date(report.generated_at, tz, "%a %-d %b %Y %H:%M"),
        timezone: report.timezone.clone(),
        members: report.members,
        orgs: report
            .orgs
            .iter()
            .map(|o| OrgView {
                name: org_name(&o.name),
                members: o.members,
                wins: o.wins,
                completed: o.tasks_completed,
                overdue: o.tasks_overdue,
            })
            .collect(),
        goals,
        goals_hidden: report.goals_total - report.goals.len() as i64,
        wins_total: report.wins_total,
        wins_month,
        wins_org,
        tasks_completed: report.tasks_completed,
        tasks_overdue: report.tasks_overdue,
        overdue_heading: if b.to_date {
            "Overdue now"
        } else {
            "Overdue at the end"
        },
        overdue_phrase: if b.to_date {
            "open tasks are overdue now".to_string()
        } else {
            format!("tasks were overdue at the end of {}", b.name)
        },
        no_top_wins: if b.to_date {
            "No wins yet this period: the next one will be quoted here.".to_string()
        } else {
            format!("No wins were logged in {}.", b.name)
        },
        tasks_org,
        recent_tasks: report
            .recent_tasks
            .iter()
            .map(|t| TaskView {
                title: format!("#{} {}", t.number, t.title),
                who: t.who.clone().unwrap_or_else(|| "unassigned".into()),
                org: t.org.clone().unwrap_or_else(|| "—".into()),
                completed: date(t.completed_at, tz, "%-d %b %Y"),
            })
            .collect(),
        deadlines: report
            .deadlines
            .iter()
            .map(|d| DeadlineView {
                title: format!("#{} {}", d.number, d.title),
                due: date(d.due_at, tz, "%a %-d %b %Y %H:%M"),
                outcome: d.outcome.label(),
                class: match d.outcome {
                    DeadlineOutcome::Met => "good",
                    DeadlineOutcome::MetLate => "neutral",
                    DeadlineOutcome::Missed => "bad",
                },
            })
            .collect(),
        deadline_counts: vec![
            ("Met", count(DeadlineOutcome::Met)),
            ("Met late", count(DeadlineOutcome::MetLate)),
            ("Missed", count(DeadlineOutcome::Missed)),
        ],
        checkins,
        targets: targets_view(report, tz),
        top_wins: report
            .top_wins
            .iter()
            .map(|w| {
                let mut details = vec![date(w.created_at, tz, "%-d %b %Y")];
                if let Some(o) = &w.org {
                    details.push(o.clone());
                }
                if let (Some(g), Some(a)) = (&w.goal, w.amount) {
                    details.push(format!("+{} to “{g}”", number(a)));
                }
                WinView {
                    text: w.text.clone(),
                    who: w.who.clone(),
                    details: details.join(" · "),
                }
            })
            .collect(),
        meetings_held: report.meetings.held,
        meeting_attendance: report
            .meetings
            .attendance
            .iter()
            .map(|(org, came, possible)| {
                let pct = if *possible > 0 { came * 100 / possible } else { 0 };
                (
                    org.clone().unwrap_or_else(|| "No organization".into()),
                    format!("{came} of {possible} ({pct}%)"),
                )
            })
            .collect(),
        decisions: report
            .meetings
            .decisions
            .iter()
            .map(|(at, title, text)| (date(*at, tz, "%-d %b %Y"), title.clone(), text.clone()))
            .collect(),
    };
    page.render().map_err(Error::internal)
}

/// `/report`: the file as an attachment, with a line saying what it covers.
pub fn attached(report: &Report, filename: &str, html: String) -> Message {
    let size = html.len();
    let mut msg = Message::text(format!(
        "📊 Impact report for **{}**, {}: {} wins, {} tasks completed. Open the file in any browser; it prints to PDF.",
        super::clip(&report.coalition, 200),
        report.bounds.title,
        report.wins_total,
        report.tasks_completed,
    ));
    if size > limits::ATTACHMENT_BYTES {
        msg.content = format!(
            "The report for **{}** is {size} bytes, over Discord's upload limit — run `backbone report` on the server instead.",
            super::clip(&report.coalition, 200)
        );
        return msg.fit();
    }
    msg.attach(Attachment::new(filename, html.into_bytes())).fit()
}

fn date(at: i64, tz: Tz, fmt: &str) -> String {
    match Utc.timestamp_opt(at, 0).single() {
        Some(t) => DateTime::<Utc>::with_timezone(&t, &tz).format(fmt).to_string(),
        None => at.to_string(),
    }
}
