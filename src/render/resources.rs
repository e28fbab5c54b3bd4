//! The shared library: replies to `/resource add|remove` and `/resource list`.

use chrono_tz::Tz;

use super::tasks::plain_name;
use super::{clip, mention};
use crate::actions::resources::{ResourceAdded, ResourceList, ResourceRemoved};
use crate::domain::message::{Embed, Message, bounded_list, colors};
use crate::domain::targets::Resource;
use crate::domain::when::{Shown, show};

/// A link as Discord shows it: the URL in angle brackets (no preview), never hidden behind text.
pub fn link(url: &str) -> String {
    // A checked URL has no spaces; `>` would end the brackets early, so it is escaped.
    format!("<{}>", url.replace('>', "%3E"))
}

fn tags(r: &Resource) -> String {
    let t: Vec<String> = r.tag_list().iter().map(|t| format!("#{}", clip(t, 30))).collect();
    t.join(" ")
}

/// `/resource add` (public): the new entry of the library.
pub fn resource_added(out: &ResourceAdded) -> Message {
    let r = &out.resource;
    let mut e = Embed::new(
        format!("📚 Added to the library: #{} {}", r.number, clip(&r.title, 150)),
        colors::INFO,
    )
    .description(format!("{}\n— {}", link(&r.url), mention(r.created_by)));
    if !r.tags.is_empty() {
        e = e.field("Tags", tags(r), true);
    }
    if let Some(g) = &out.goal {
        e = e.field("Goal", format!("#{} {}", g.number, clip(&g.title, 100)), true);
    }
    if let Some(t) = &out.target_name {
        e = e.field("Target", clip(t, 100), true);
    }
    let e = e.footer(format!(
        "{} · /resource list shows the library",
        plain_name(&out.coalition_name)
    ));
    Message::embed(e).fit()
}

/// `/resource remove` (public).
pub fn resource_removed(out: &ResourceRemoved) -> Message {
    let r = &out.resource;
    Message::embed(
        Embed::new("🗑️ Removed from the library", colors::MUTED)
            .description(format!("#{} {}", r.number, clip(&r.title, 150)))
            .footer(plain_name(&out.coalition_name)),
    )
    .fit()
}

/// `/resource list` (ephemeral): the library, newest first.
pub fn resource_list(list: &ResourceList) -> Message {
    let tz: Tz = list.timezone.parse().unwrap_or(chrono_tz::UTC);
    let mut filters = Vec::new();
    if let Some(t) = &list.tag {
        filters.push(format!("#{}", clip(t, 30)));
    }
    if let Some(s) = &list.search {
        filters.push(format!("“{}”", clip(s, 50)));
    }
    let title = format!(
        "Library{} — {}",
        if filters.is_empty() {
            String::new()
        } else {
            format!(" ({})", filters.join(", "))
        },
        clip(&list.coalition_name, 100)
    );
    let e = Embed::new(title, colors::INFO);
    let total = list.paged.total.max(list.resources.len() as i64);
    if total == 0 {
        let hint = if filters.is_empty() {
            "The library is empty — share a toolkit or talking points with `/resource add`."
        } else {
            "Nothing matches — try another `tag` or `search`, or leave them out."
        };
        return Message::embed(e.description(hint)).ephemeral().fit();
    }
    let lines: Vec<String> = list
        .resources
        .iter()
        .map(|row| {
            let r = &row.resource;
            let mut extra = Vec::new();
            let t = tags(r);
            if !t.is_empty() {
                extra.push(t);
            }
            if let Some(n) = row.goal_number {
                extra.push(format!("goal #{n}"));
            }
            if let Some(name) = &row.target_name {
                extra.push(format!("target {}", clip(name, 40)));
            }
            let by = match row.author_name.as_deref() {
                Some(n) => clip(n, 40),
                None => mention(r.created_by),
            };
            extra.push(format!("{by}, {}", show(r.created_at, tz, Shown::Day)));
            format!(
                "**#{} {}**\n{} · {}",
                r.number,
                clip(&r.title, 100),
                link(&r.url),
                extra.join(" · ")
            )
        })
        .collect();
    let e = e
        .description(bounded_list(&lines, lines.len(), 3800))
        .footer(super::plural(total, "resource", "resources"));
    super::paging::paginate(Message::embed(e).ephemeral(), &list.key, &list.paged).fit()
}
