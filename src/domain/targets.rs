//! Advocacy: the decision-makers a coalition wants to move (targets), the outreach partners log
//! with them, each target's stance history, and the shared resource library.

use serde::Serialize;
use sqlx::FromRow;

use super::ids::*;
use crate::error::{Error, Result};

/// Where a target stands, on a five-point scale. Stored as TEXT; an unknown stored value is an
/// error, never a silent default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum Stance {
    Champion,
    Supportive,
    Neutral,
    Opposed,
    Hostile,
}

impl Stance {
    /// Every stance, from most to least favourable.
    pub const ALL: [Stance; 5] = [
        Stance::Champion,
        Stance::Supportive,
        Stance::Neutral,
        Stance::Opposed,
        Stance::Hostile,
    ];

    /// The stored and displayed name (also the slash-command choice value).
    pub fn as_str(self) -> &'static str {
        match self {
            Stance::Champion => "champion",
            Stance::Supportive => "supportive",
            Stance::Neutral => "neutral",
            Stance::Opposed => "opposed",
            Stance::Hostile => "hostile",
        }
    }

    /// Reads a typed stance; anything else is an error naming the scale.
    pub fn parse(s: &str) -> Result<Stance> {
        let t = s.trim().to_lowercase();
        Stance::ALL.into_iter().find(|x| x.as_str() == t).ok_or_else(|| {
            Error::user(format!(
                "`{}` is not a stance — choose one of: champion, supportive, neutral, opposed, hostile.",
                super::text::truncate(s.trim(), 40)
            ))
        })
    }

    /// Whether this counts as support (supportive or champion): what target-counting goals count.
    pub fn is_support(self) -> bool {
        matches!(self, Stance::Champion | Stance::Supportive)
    }

    /// An emoji for lists.
    pub fn emoji(self) -> &'static str {
        match self {
            Stance::Champion => "💚",
            Stance::Supportive => "🟢",
            Stance::Neutral => "⚪",
            Stance::Opposed => "🟠",
            Stance::Hostile => "🔴",
        }
    }
}

/// How much a target can move the outcome. Stored as TEXT; unknown values are an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum Influence {
    High,
    Medium,
    Low,
}

impl Influence {
    /// Every level, highest first.
    pub const ALL: [Influence; 3] = [Influence::High, Influence::Medium, Influence::Low];

    /// The stored and displayed name (also the slash-command choice value).
    pub fn as_str(self) -> &'static str {
        match self {
            Influence::High => "high",
            Influence::Medium => "medium",
            Influence::Low => "low",
        }
    }

    /// Reads a typed level; anything else is an error naming the scale.
    pub fn parse(s: &str) -> Result<Influence> {
        let t = s.trim().to_lowercase();
        Influence::ALL
            .into_iter()
            .find(|x| x.as_str() == t)
            .ok_or_else(|| {
                Error::user(format!(
                    "`{}` is not an influence — choose one of: high, medium, low.",
                    super::text::truncate(s.trim(), 40)
                ))
            })
    }
}

/// What kind of outreach it was. Stored as TEXT; unknown values are an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum OutreachKind {
    Meeting,
    Call,
    Email,
    Letter,
    Testimony,
    Event,
    Other,
}

impl OutreachKind {
    /// Every kind, in the order `/target log` offers them.
    pub const ALL: [OutreachKind; 7] = [
        OutreachKind::Meeting,
        OutreachKind::Call,
        OutreachKind::Email,
        OutreachKind::Letter,
        OutreachKind::Testimony,
        OutreachKind::Event,
        OutreachKind::Other,
    ];

    /// The stored and displayed name (also the slash-command choice value).
    pub fn as_str(self) -> &'static str {
        match self {
            OutreachKind::Meeting => "meeting",
            OutreachKind::Call => "call",
            OutreachKind::Email => "email",
            OutreachKind::Letter => "letter",
            OutreachKind::Testimony => "testimony",
            OutreachKind::Event => "event",
            OutreachKind::Other => "other",
        }
    }

    /// Reads a typed kind; anything else is an error naming the choices.
    pub fn parse(s: &str) -> Result<OutreachKind> {
        let t = s.trim().to_lowercase();
        OutreachKind::ALL
            .into_iter()
            .find(|x| x.as_str() == t)
            .ok_or_else(|| {
                Error::user(format!(
                    "`{}` is not a kind of outreach — choose one of: meeting, call, email, letter, testimony, event, other.",
                    super::text::truncate(s.trim(), 40)
                ))
            })
    }
}

/// A decision-maker or stakeholder the coalition wants to move.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Target {
    pub id: TargetId,
    pub coalition_id: CoalitionId,
    pub name: String,
    pub role: Option<String>,
    pub office: Option<String>,
    pub jurisdiction: Option<String>,
    pub stance: Stance,
    pub influence: Option<Influence>,
    pub created_by: UserId,
    pub created_at: i64,
    pub updated_at: i64,
}

/// One logged outreach to a target.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Outreach {
    pub id: OutreachId,
    pub coalition_id: CoalitionId,
    pub target_id: Option<TargetId>,
    /// The target's name when it was logged (kept after the target is removed).
    pub target_name: String,
    pub user_id: UserId,
    pub org_id: Option<OrgId>,
    /// The org's name when it was logged.
    pub org_name: Option<String>,
    pub kind: OutreachKind,
    pub ask: Option<String>,
    pub outcome: String,
    pub stance_seen: Option<Stance>,
    /// The follow-up task it created, if any.
    pub task_id: Option<TaskId>,
    pub created_at: i64,
}

/// One entry of a target's stance history (append-only).
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct StanceChange {
    pub id: i64,
    pub coalition_id: CoalitionId,
    pub target_id: Option<TargetId>,
    pub target_name: String,
    pub changed_by: UserId,
    /// `None` when the target was added with this stance.
    pub from_stance: Option<Stance>,
    pub to_stance: Stance,
    /// The outreach that showed it (`None` for `/target add` and `/target edit`).
    pub outreach_id: Option<OutreachId>,
    pub at: i64,
}

/// A lead's private note on a target (audience: leads).
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct TargetNote {
    pub id: i64,
    pub coalition_id: CoalitionId,
    pub target_id: TargetId,
    pub author_id: UserId,
    pub text: String,
    pub created_at: i64,
}

/// A shared document, toolkit or talking points.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Resource {
    pub id: ResourceId,
    pub coalition_id: CoalitionId,
    pub number: i64,
    pub url: String,
    pub title: String,
    /// Lower-case tags between commas (`,toolkit,housing,`); see [`tag_list`].
    pub tags: String,
    pub goal_id: Option<GoalId>,
    pub target_id: Option<TargetId>,
    pub created_by: UserId,
    pub created_at: i64,
}

impl Resource {
    /// The tags, in the order given.
    pub fn tag_list(&self) -> Vec<&str> {
        tag_list(&self.tags)
    }
}

/// Longest target name.
pub const MAX_TARGET_NAME: usize = 100;
/// Longest role, office or jurisdiction.
pub const MAX_FIELD: usize = 100;
/// Longest URL a resource may have.
pub const MAX_URL: usize = 500;
/// Most tags on one resource.
pub const MAX_TAGS: usize = 8;
/// Longest tag.
pub const MAX_TAG: usize = 30;

/// The key a target's name is unique by: lower case, whitespace collapsed.
pub fn name_key(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Checks a resource's link: an absolute `http://` or `https://` URL with a host, on one line,
/// with no spaces — anything else (`javascript:`, `data:`, `file:`) names the fix.
pub fn check_url(url: &str) -> Result<String> {
    let url = url.trim();
    let shown = super::text::truncate(url, 60);
    let lower = url.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
        .ok_or_else(|| {
            Error::user(format!(
                "`{}` is not a web link — the library takes `https://` (or `http://`) links only, like `https://example.org/toolkit.pdf`.",
                super::text::defuse_mentions(&shown).replace('`', "'")
            ))
        })?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::user(
            "That link is incomplete — paste the whole address, like `https://example.org/toolkit.pdf` (no spaces).",
        ));
    }
    if url.chars().count() > MAX_URL {
        return Err(Error::user(format!(
            "The link is {} characters long; the limit is {MAX_URL} — use a shorter link.",
            url.chars().count()
        )));
    }
    Ok(url.to_string())
}

/// Reads tags typed as `toolkit, housing` (commas or spaces): lower case, `#` dropped, no
/// duplicates, at most [`MAX_TAGS`] of at most [`MAX_TAG`] characters. Stored as `,a,b,`.
pub fn parse_tags(typed: &str) -> Result<String> {
    let mut tags: Vec<String> = Vec::new();
    for raw in typed.split([',', ' ', ';']) {
        let tag: String = raw
            .trim()
            .trim_start_matches('#')
            .to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric() || matches!(c, '-' | '_'))
            .collect();
        if tag.is_empty() || tags.contains(&tag) {
            continue;
        }
        if tag.chars().count() > MAX_TAG {
            return Err(Error::user(format!(
                "The tag `{}` is longer than {MAX_TAG} characters — use a shorter word.",
                super::text::truncate(&tag, 40)
            )));
        }
        tags.push(tag);
    }
    if tags.len() > MAX_TAGS {
        return Err(Error::user(format!(
            "That's {} tags; a resource takes at most {MAX_TAGS} — keep the most useful ones.",
            tags.len()
        )));
    }
    Ok(if tags.is_empty() {
        String::new()
    } else {
        format!(",{},", tags.join(","))
    })
}

/// The tags of a stored `,a,b,` list.
pub fn tag_list(stored: &str) -> Vec<&str> {
    stored.split(',').filter(|t| !t.is_empty()).collect()
}

/// A goal whose progress counts targets (its `metric` reads `targets`, optionally with
/// `office:<text>` or `jurisdiction:<text>`): the number of targets at supportive or better.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TargetCount {
    /// Only targets whose office is this (compared case-insensitively).
    pub office: Option<String>,
    /// Only targets whose jurisdiction is this (compared case-insensitively).
    pub jurisdiction: Option<String>,
}

impl TargetCount {
    /// Reads a goal's metric: `targets`, `targets office:City Council`,
    /// `targets jurisdiction:Eastside`; `None` for any other metric.
    pub fn from_metric(metric: &str) -> Option<TargetCount> {
        let m = metric.trim();
        let head = m.get(..7)?;
        if !head.eq_ignore_ascii_case("targets") {
            return None;
        }
        let rest = m[7..].trim();
        if rest.is_empty() {
            return Some(TargetCount::default());
        }
        let lower = rest.to_lowercase();
        let value = |prefix: &str| {
            lower
                .starts_with(prefix)
                .then(|| rest[prefix.len()..].trim().to_string())
                .filter(|v| !v.is_empty())
        };
        if let Some(office) = value("office:") {
            return Some(TargetCount {
                office: Some(office),
                jurisdiction: None,
            });
        }
        value("jurisdiction:").map(|j| TargetCount {
            office: None,
            jurisdiction: Some(j),
        })
    }

    /// Whether `t` counts toward the goal.
    pub fn counts(&self, t: &Target) -> bool {
        let same = |want: &Option<String>, have: &Option<String>| match want {
            None => true,
            Some(w) => have.as_deref().is_some_and(|h| name_key(h) == name_key(w)),
        };
        t.stance.is_support() && same(&self.office, &t.office) && same(&self.jurisdiction, &t.jurisdiction)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_read_their_own_names_only() {
        assert_eq!(Stance::parse(" Supportive ").unwrap(), Stance::Supportive);
        assert!(
            Stance::parse("ally")
                .unwrap_err()
                .to_string()
                .contains("champion, supportive")
        );
        assert_eq!(Influence::parse("HIGH").unwrap(), Influence::High);
        assert!(Influence::parse("huge").is_err());
        assert_eq!(OutreachKind::parse("call").unwrap(), OutreachKind::Call);
    }

    #[test]
    fn only_web_links_are_taken() {
        assert_eq!(
            check_url(" https://ex.org/a?b=1 ").unwrap(),
            "https://ex.org/a?b=1"
        );
        assert!(check_url("HTTP://EX.ORG").is_ok());
        for bad in [
            "javascript:alert(1)",
            "data:text/html,x",
            "file:///etc",
            "ex.org",
            "https://",
            "https://a b",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn tags_are_normalised() {
        assert_eq!(
            parse_tags("Toolkit, #housing toolkit").unwrap(),
            ",toolkit,housing,"
        );
        assert_eq!(parse_tags("  ").unwrap(), "");
        assert_eq!(tag_list(",a,b,"), ["a", "b"]);
        assert!(parse_tags("a b c d e f g h i").is_err());
    }

    #[test]
    fn a_move_says_after_whose_outreach() {
        let mut m = DigestMoved {
            target: "Cllr Park".into(),
            from: Stance::Opposed,
            to: Stance::Neutral,
            after_whom: Some("Green Streets".into()),
            kind: Some(OutreachKind::Call),
        };
        assert_eq!(
            m.line(),
            "Cllr Park: opposed → neutral, after Green Streets' call"
        );
        m.after_whom = None;
        m.kind = None;
        assert_eq!(m.line(), "Cllr Park: opposed → neutral");
    }

    #[test]
    fn goal_metrics_that_count_targets() {
        assert_eq!(TargetCount::from_metric("Targets"), Some(TargetCount::default()));
        assert_eq!(
            TargetCount::from_metric("targets office: City Council")
                .unwrap()
                .office
                .as_deref(),
            Some("City Council")
        );
        assert_eq!(
            TargetCount::from_metric("targets jurisdiction:Eastside")
                .unwrap()
                .jurisdiction
                .as_deref(),
            Some("Eastside")
        );
        assert_eq!(TargetCount::from_metric("signatures"), None);
        assert_eq!(TargetCount::from_metric("targets met"), None);
    }
}

/// The digest's advocacy part: targets whose stance moved in the period (and after whose
/// outreach), and the library's new resources. Both are public: stances and the library are
/// visible to anyone in the server (`/target list`, `/resource list`); private notes never
/// appear here.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DigestAdvocacy {
    /// Stance changes in the period, oldest first, at most [`super::digest::MAX_ITEMS`].
    pub moved: Vec<DigestMoved>,
    pub moved_count: i64,
    /// Resources added in the period, oldest first, at most [`super::digest::MAX_ITEMS`].
    pub resources: Vec<DigestResource>,
    pub resources_count: i64,
}

/// "Cllr Reyes: neutral → supportive, after Eastside Pantry's meeting".
#[derive(Debug, Clone, Serialize)]
pub struct DigestMoved {
    pub target: String,
    pub from: Stance,
    pub to: Stance,
    /// Whose outreach showed it: the org's name, else the member's; `None` when a lead corrected it.
    pub after_whom: Option<String>,
    pub kind: Option<OutreachKind>,
}

impl DigestMoved {
    /// The line as the digest reads it (plain text; renderers escape it).
    pub fn line(&self) -> String {
        let after = match (&self.after_whom, self.kind) {
            (Some(who), Some(kind)) => {
                // "Green Streets' call", "Eastside Pantry's meeting".
                let s = if who.ends_with('s') { "'" } else { "'s" };
                format!(", after {who}{s} {}", kind.as_str())
            }
            (None, Some(kind)) => format!(", after a {}", kind.as_str()),
            _ => String::new(),
        };
        format!(
            "{}: {} → {}{after}",
            self.target,
            self.from.as_str(),
            self.to.as_str()
        )
    }
}

/// A resource added in the period.
#[derive(Debug, Clone, Serialize)]
pub struct DigestResource {
    pub number: i64,
    pub title: String,
    pub url: String,
    pub who: Option<String>,
}

/// The digest's advocacy part as plain text for the terminal (empty when nothing moved or was
/// added).
pub fn digest_text(a: &DigestAdvocacy) -> String {
    let mut out = String::new();
    if a.moved_count > 0 {
        out += &format!("\nMoved this week: {}\n", a.moved_count);
        for m in &a.moved {
            out += &format!("  • {}\n", m.line());
        }
    }
    if a.resources_count > 0 {
        out += &format!("\nNew in the library: {}\n", a.resources_count);
        for r in &a.resources {
            out += &format!("  • #{} {} <{}>\n", r.number, r.title, r.url);
        }
    }
    out
}

/// The impact report's targets section: where the targets stood at the start and at the end of
/// the period, who moved, and the outreach partners did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ReportTargets {
    /// Targets on the list today, counted by the stance each had when the period began (targets
    /// added later are not counted there), in [`Stance::ALL`] order.
    pub at_start: [i64; 5],
    /// The same at the end of the period.
    pub at_end: [i64; 5],
    /// Stance changes in the period, oldest first (at most [`REPORT_MOVED`]).
    pub moved: Vec<ReportMoved>,
    pub moved_count: i64,
    /// Outreach in the period per partner org (`None`: no org), most first.
    pub outreach_by_org: Vec<(Option<String>, i64)>,
    pub outreach_total: i64,
}

/// Stance changes a report lists.
pub const REPORT_MOVED: usize = 50;

/// A stance change as the report lists it.
#[derive(Debug, Clone, Serialize)]
pub struct ReportMoved {
    pub at: i64,
    pub moved: DigestMoved,
}

/// Replays stance history (oldest first): how many of `current` targets stood at each stance
/// as of `at` (changes at or before it).
pub fn distribution(history: &[StanceChange], current: &[TargetId], at: i64) -> [i64; 5] {
    let mut last: std::collections::HashMap<TargetId, Stance> = std::collections::HashMap::new();
    for s in history.iter().filter(|s| s.at <= at) {
        if let Some(t) = s.target_id {
            last.insert(t, s.to_stance);
        }
    }
    let mut out = [0; 5];
    for t in current {
        if let Some(stance) = last.get(t) {
            let i = Stance::ALL.iter().position(|x| x == stance).unwrap_or(2);
            out[i] += 1;
        }
    }
    out
}
