//! `/win remove`: the confirmation, and the celebration post as it reads once withdrawn.

use super::{clip, safe};
use crate::actions::win_edits::WinRemoved;
use crate::domain::message::{Embed, Message, colors};
use crate::domain::text::{number, truncate};
use crate::store::win_edits::Celebration;

/// The confirmation (ephemeral): what was removed and where the goal stands now.
pub fn removed(out: &WinRemoved) -> Message {
    let mut text = format!(
        "🗑️ Win withdrawn from **{}**: “{}”.",
        safe(&truncate(&out.coalition_name, 100)),
        safe(&truncate(&out.win.text, 300))
    );
    if let (Some(goal), Some(amount)) = (&out.goal, out.win.amount) {
        text.push_str(&format!(
            "\n−{} from **#{} {}**, now {}.",
            number(amount),
            goal.number,
            safe(&truncate(&goal.title, 100)),
            super::goals::progress_line(goal)
        ));
    }
    if out.celebration != Celebration::None {
        text.push_str("\nThe celebration post now says it was withdrawn.");
    } else if out.celebration_cancelled {
        text.push_str("\nIts celebration hadn't been posted yet and won't be.");
    }
    Message::text(text).ephemeral().fit()
}

/// The celebration post, edited: struck through and marked withdrawn.
pub fn withdrawn_celebration(out: &WinRemoved) -> Message {
    let who = if out.author_name.trim().is_empty() {
        super::mention(out.win.user_id)
    } else {
        clip(&out.author_name, 100)
    };
    let mut e = Embed::new(
        format!("Withdrawn: a win for {}", clip(&out.coalition_name, 100)),
        colors::MUTED,
    )
    .description(format!("~~{}~~\n— {who}", clip(&out.win.text, 1000)));
    if let (Some(goal), Some(amount)) = (&out.goal, out.win.amount) {
        e = e.field(
            format!("Goal: {}", clip(&goal.title, 200)),
            format!("−{} → {}", number(amount), super::goals::progress_line(goal)),
            false,
        );
    }
    Message::embed(e.footer("This win was withdrawn and no longer counts.")).fit()
}
