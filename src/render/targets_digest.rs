//! The digest's advocacy fields: "Moved this week" (stance changes and after whose outreach)
//! and the library's new resources. Public: nothing here comes from leads' private notes.

use super::clip;
use super::resources::link;
use crate::domain::message::{Embed, bounded_list, limits};
use crate::domain::targets::DigestAdvocacy;

/// Adds the advocacy fields to a digest embed; nothing when nothing moved and nothing was added.
pub fn fields(mut e: Embed, a: &DigestAdvocacy) -> Embed {
    if a.moved_count > 0 {
        let lines: Vec<String> = a
            .moved
            .iter()
            .map(|m| format!("• {}", clip(&m.line(), 200)))
            .collect();
        let total = usize::try_from(a.moved_count).unwrap_or(0).max(lines.len());
        e = e.field(
            format!("🗳️ Moved this week ({})", a.moved_count),
            bounded_list(&lines, total, limits::FIELD_VALUE),
            false,
        );
    }
    if a.resources_count > 0 {
        let lines: Vec<String> = a
            .resources
            .iter()
            .map(|r| {
                let who = r
                    .who
                    .as_deref()
                    .map(|w| format!(" — {}", clip(w, 40)))
                    .unwrap_or_default();
                format!("• #{} {} {}{who}", r.number, clip(&r.title, 80), link(&r.url))
            })
            .collect();
        let total = usize::try_from(a.resources_count).unwrap_or(0).max(lines.len());
        e = e.field(
            format!("📚 New in the library ({})", a.resources_count),
            bounded_list(&lines, total, limits::FIELD_VALUE),
            false,
        );
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::targets::{DigestMoved, DigestResource, OutreachKind, Stance};

    #[test]
    fn moved_lines_say_after_whose_outreach_and_fit() {
        let a = DigestAdvocacy {
            moved: vec![DigestMoved {
                target: "Cllr Reyes".into(),
                from: Stance::Neutral,
                to: Stance::Supportive,
                after_whom: Some("Eastside Pantry".into()),
                kind: Some(OutreachKind::Meeting),
            }],
            moved_count: 1,
            resources: (0..10)
                .map(|i| DigestResource {
                    number: i,
                    title: "t @everyone ".repeat(20),
                    url: format!("https://example.org/{}", "x".repeat(400)),
                    who: Some("<@&1>".into()),
                })
                .collect(),
            resources_count: 30,
        };
        let e = fields(Embed::new("d", 0), &a);
        assert_eq!(
            e.fields[0].value,
            "• Cllr Reyes: neutral → supportive, after Eastside Pantry's meeting"
        );
        assert!(e.fields[1].value.chars().count() <= limits::FIELD_VALUE);
        assert!(e.fields[1].value.contains("more") && !e.fields[1].value.contains("@everyone"));
        assert!(
            fields(Embed::new("d", 0), &DigestAdvocacy::default())
                .fields
                .is_empty()
        );
    }
}
