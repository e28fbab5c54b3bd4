//! Check-in rules: a coalition's questions, how answers are shown, when non-responders are nudged,
//! and the one definition of participation that `/checkin status`, the closing summary and the
//! digest share.

use std::collections::HashSet;

use serde::Serialize;

use super::ids::UserId;
use crate::error::{Error, Result};

/// Discord's limit on a modal text input's label (and so on a question).
pub const MAX_QUESTION: usize = 45;
/// Discord's limit on text inputs in a modal (and so on questions).
pub const MAX_QUESTIONS: usize = 5;

/// One question a round asks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Question {
    /// 1-based position in the form (the answer rows are keyed by it).
    pub position: i64,
    pub label: String,
    /// Whether its answer raises blocker alerts.
    pub is_blocker: bool,
}

/// The questions a coalition asks until a lead changes them.
pub fn default_questions() -> Vec<Question> {
    ["Done since last check-in", "Next", "Blockers"]
        .iter()
        .enumerate()
        .map(|(i, label)| Question {
            position: i as i64 + 1,
            label: (*label).to_string(),
            is_blocker: i == 2,
        })
        .collect()
}

/// Reads the questions typed in the `/checkin questions` form: blank fields are dropped, a leading
/// `!` marks the blocker question (the last one when none is marked). Errors say how to fix it.
pub fn read_questions(typed: &[String]) -> Result<Vec<Question>> {
    let filled: Vec<&str> = typed.iter().map(|t| t.trim()).filter(|t| !t.is_empty()).collect();
    if filled.is_empty() {
        return Err(Error::user(
            "A check-in needs at least one question — type one, then save the form again.",
        ));
    }
    if filled.len() > MAX_QUESTIONS {
        return Err(Error::user(format!(
            "A check-in can ask at most {MAX_QUESTIONS} questions (Discord's limit on a form) — you gave {}; drop some and try again.",
            filled.len()
        )));
    }
    let mut questions = Vec::new();
    let mut marked = 0;
    for (i, raw) in filled.iter().enumerate() {
        let (is_blocker, label) = match raw.strip_prefix('!') {
            Some(rest) => (true, rest.trim()),
            None => (false, *raw),
        };
        if label.is_empty() {
            return Err(Error::user(format!(
                "Question {} is only a `!` — write the question after it (the `!` marks the blocker question).",
                i + 1
            )));
        }
        if label.contains('\n') {
            return Err(Error::user(format!(
                "Question {} spans several lines — a question is one line of at most {MAX_QUESTION} characters.",
                i + 1
            )));
        }
        let len = label.chars().count();
        if len > MAX_QUESTION {
            return Err(Error::user(format!(
                "Question {} is {len} characters; Discord shows at most {MAX_QUESTION} — shorten “{}…”.",
                i + 1,
                label.chars().take(30).collect::<String>()
            )));
        }
        marked += usize::from(is_blocker);
        questions.push(Question {
            position: i as i64 + 1,
            label: label.to_string(),
            is_blocker,
        });
    }
    if marked > 1 {
        return Err(Error::user(
            "Only one question can be the blocker question — keep the `!` on one of them.",
        ));
    }
    if marked == 0
        && let Some(last) = questions.last_mut()
    {
        last.is_blocker = true;
    }
    Ok(questions)
}

/// How a coalition's answers are shown (`/checkin settings report`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
pub enum ReportMode {
    /// Each answer as a card in the round's thread.
    #[default]
    Thread,
    /// One message in the round's thread, edited as answers arrive.
    Summary,
    /// Nothing public: leads read answers with `/checkin report`.
    Leads,
}

impl ReportMode {
    /// The stored and typed name.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportMode::Thread => "thread",
            ReportMode::Summary => "summary",
            ReportMode::Leads => "leads",
        }
    }

    /// Reads a stored or typed name.
    pub fn parse(s: &str) -> Option<ReportMode> {
        match s.trim().to_ascii_lowercase().as_str() {
            "thread" => Some(ReportMode::Thread),
            "summary" => Some(ReportMode::Summary),
            "leads" => Some(ReportMode::Leads),
            _ => None,
        }
    }

    /// Whether anything about the round is posted (a thread, cards, a summary).
    pub fn is_public(self) -> bool {
        self != ReportMode::Leads
    }
}

/// Reads `nudge_after`: `24h`, `4h`, `90m`, `2d` or `off`. `Some(0)` means off.
pub fn parse_nudge_after(typed: &str) -> Result<i64> {
    let t = typed.trim().to_ascii_lowercase();
    if matches!(t.as_str(), "off" | "never" | "none") {
        return Ok(0);
    }
    let bad = || {
        Error::user(format!(
            "`{}` isn't a delay I can read — use hours like `24h` or `4h`, minutes like `90m`, days like `2d`, or `off`.",
            typed.trim()
        ))
    };
    let split = t.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (n, unit) = t.split_at(split);
    let n: i64 = n.parse().map_err(|_| bad())?;
    let secs = match unit.trim() {
        "m" | "min" | "mins" | "minutes" => n * 60,
        "h" | "hr" | "hrs" | "hours" => n * 3600,
        "d" | "day" | "days" => n * 86_400,
        _ => return Err(bad()),
    };
    if !(15 * 60..=14 * 86_400).contains(&secs) {
        return Err(Error::user(
            "Nudges can wait between `15m` and `14d` after a round opens — pick a delay in that range, or `off`.",
        ));
    }
    Ok(secs)
}

/// Shows a nudge delay the way it is typed (`24h`, `90m`, `off`).
pub fn describe_nudge_after(secs: i64) -> String {
    match secs {
        0 => "off".to_string(),
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s => format!("{}m", s / 60),
    }
}

/// Answers per page of `/checkin report` (each up to ~5 lines of ~200 characters, so a page stays
/// well under an embed's 6000 characters).
pub const REPORT_PAGE: i64 = 8;

/// The name of a round's thread in the coalition's zone: `Check-in · Mon 30 Nov`.
pub fn thread_name(opens_at: i64, tz: chrono_tz::Tz) -> String {
    match super::when::show(opens_at, tz, super::when::Shown::Day) {
        day if day == "—" => "Check-in".to_string(),
        day => format!("Check-in · {day}"),
    }
}

/// Who took part in a round: the one definition behind `/checkin status`, the closing summary and
/// the digest. Current members only; members away when counted are neither expected nor missing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Participation {
    /// Current members who answered (an away member who answered anyway counts here).
    pub answered: Vec<UserId>,
    /// Current members away, who did not answer.
    pub away: Vec<UserId>,
    /// Current members who are not away and have not answered.
    pub missing: Vec<UserId>,
}

impl Participation {
    /// Sorts `members` (current members, in display order) by whether they answered or are away.
    pub fn of(members: &[UserId], answered: &HashSet<UserId>, away: &HashSet<UserId>) -> Participation {
        let mut p = Participation::default();
        for m in members {
            if answered.contains(m) {
                p.answered.push(*m);
            } else if away.contains(m) {
                p.away.push(*m);
            } else {
                p.missing.push(*m);
            }
        }
        p
    }

    /// Members expected to answer: everyone but those away.
    pub fn expected(&self) -> usize {
        self.answered.len() + self.missing.len()
    }

    /// Answered of expected, in whole percent (100 when nobody was expected).
    pub fn percent(&self) -> u32 {
        match self.expected() {
            0 => 100,
            n => ((self.answered.len() * 100 + n / 2) / n) as u32,
        }
    }

    /// "7 of 9 answered (78 %) · 2 away".
    pub fn figure(&self) -> String {
        let mut s = format!(
            "{} of {} answered ({} %)",
            self.answered.len(),
            self.expected(),
            self.percent()
        );
        if !self.away.is_empty() {
            s.push_str(&format!(" · {} away", self.away.len()));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn blank_fields_are_dropped_and_the_last_is_the_blocker_by_default() {
        let q = read_questions(&typed(&["Wins", " ", "Plans", ""])).unwrap();
        assert_eq!(q.len(), 2);
        assert_eq!(
            (q[1].position, q[1].label.as_str(), q[1].is_blocker),
            (2, "Plans", true)
        );
        assert!(!q[0].is_blocker);
    }

    #[test]
    fn a_bang_marks_the_blocker_question() {
        let q = read_questions(&typed(&["! Stuck on?", "Next"])).unwrap();
        assert_eq!(
            (q[0].label.as_str(), q[0].is_blocker, q[1].is_blocker),
            ("Stuck on?", true, false)
        );
    }

    #[test]
    fn bad_questions_are_refused_with_the_fix() {
        let e = |v: &[&str]| read_questions(&typed(v)).unwrap_err().to_string();
        assert!(e(&["", "  "]).contains("at least one question"));
        assert!(e(&[&"x".repeat(46)]).contains("at most 45"));
        assert!(e(&["a", "b", "c", "d", "e", "f"]).contains("at most 5"));
        assert!(e(&["!a", "!b"]).contains("Only one"));
        assert!(e(&["!"]).contains("only a `!`"));
        assert!(read_questions(&typed(&[&"x".repeat(45)])).is_ok());
    }

    #[test]
    fn threads_are_named_after_the_local_date() {
        let at = chrono::DateTime::parse_from_rfc3339("2026-11-29T23:30:00Z")
            .unwrap()
            .timestamp();
        assert_eq!(thread_name(at, chrono_tz::UTC), "Check-in · Sun 29 Nov");
        assert_eq!(
            thread_name(at, chrono_tz::Europe::Berlin),
            "Check-in · Mon 30 Nov"
        );
    }

    #[test]
    fn nudge_delays_read_and_show_alike() {
        assert_eq!(parse_nudge_after("24h").unwrap(), 86_400);
        assert_eq!(parse_nudge_after(" 4H ").unwrap(), 4 * 3600);
        assert_eq!(parse_nudge_after("90m").unwrap(), 5400);
        assert_eq!(parse_nudge_after("off").unwrap(), 0);
        for s in [86_400, 4 * 3600, 5400, 0, 2 * 86_400] {
            assert_eq!(parse_nudge_after(&describe_nudge_after(s)).unwrap(), s);
        }
        assert!(
            parse_nudge_after("soon")
                .unwrap_err()
                .to_string()
                .contains("`24h`")
        );
        assert!(parse_nudge_after("1m").unwrap_err().to_string().contains("15m"));
        assert!(parse_nudge_after("h").is_err());
    }

    #[test]
    fn away_members_are_neither_expected_nor_missing() {
        let (a, b, c, d) = (UserId(1), UserId(2), UserId(3), UserId(4));
        let p = Participation::of(
            &[a, b, c, d],
            &HashSet::from([a, UserId(99)]),
            &HashSet::from([c]),
        );
        assert_eq!(
            (p.answered, p.away.clone(), p.missing.clone()),
            (vec![a], vec![c], vec![b, d])
        );
        let p = Participation::of(&[a, b], &HashSet::new(), &HashSet::from([a, b]));
        assert_eq!((p.expected(), p.percent()), (0, 100));
        let p = Participation::of(&[a, b, c], &HashSet::from([a, b]), &HashSet::new());
        assert_eq!(p.figure(), "2 of 3 answered (67 %)");
    }
}
