//! Rules for text that users type: length limits, trimming, and keeping it from pinging anyone.

use crate::error::{Error, Result};

/// Longest title for tasks, goals and deadlines.
pub const MAX_TITLE: usize = 200;
/// Longest name for coalitions, orgs and responsibilities.
pub const MAX_NAME: usize = 100;
/// Longest win text or check-in answer.
pub const MAX_TEXT: usize = 1000;

/// Trims `text` and checks it is 1..=`max` characters on one line; `what` names it in the error.
pub fn single_line(what: &str, text: &str, max: usize) -> Result<String> {
    let cleaned: String = text
        .trim()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let cleaned = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    check_len(what, cleaned, max)
}

/// Trims `text` (which may span lines) and checks it is 1..=`max` characters.
pub fn multi_line(what: &str, text: &str, max: usize) -> Result<String> {
    let cleaned: String = text
        .trim()
        .chars()
        .filter(|c| !c.is_control() || *c == '\n')
        .collect();
    check_len(what, cleaned, max)
}

fn check_len(what: &str, cleaned: String, max: usize) -> Result<String> {
    let n = cleaned.chars().count();
    if n == 0 {
        return Err(Error::user(format!("The {what} is empty — type a few words.")));
    }
    if n > max {
        return Err(Error::user(format!(
            "The {what} is {n} characters long; the limit is {max} — shorten it and try again."
        )));
    }
    Ok(cleaned)
}

/// Cuts `text` to at most `max` characters, ending with `…` when it was cut.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Makes user text inert as a mention: `@everyone`, `@here` and role/user mention syntax get a
/// zero-width space so they render as text even where mentions are allowed.
pub fn defuse_mentions(text: &str) -> String {
    text.replace("@everyone", "@\u{200B}everyone")
        .replace("@here", "@\u{200B}here")
        .replace("<@", "<@\u{200B}")
}

/// Escapes Discord markdown so user text renders as typed wherever the bot reposts it (win posts,
/// digests, task cards).
///
/// Inline markup (`*` `_` `` ` `` `~` `|` `>` `\`) is escaped everywhere, and so are `[` and `]`,
/// so a masked link `[text](url)` shows as text (the URL stays visible, never hidden behind other
/// words). At the start of a line (after any indentation), what Discord would read as a block is
/// escaped too: headers (`#`, `##`, `###`), subtext (`-#`), lists (`- `, `* `, `1. `) and block
/// quotes (`>`, `>>>`).
pub fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let body = line.trim_start_matches([' ', '\t']);
        out.push_str(&line[..line.len() - body.len()]);
        escape_line_start(body, &mut out);
    }
    out
}

/// Escapes one line whose indentation is already written: first what would start a block, then
/// the inline markup of the rest.
fn escape_line_start(line: &str, out: &mut String) {
    let rest = if line.starts_with('#') || line.starts_with("-#") || line.starts_with("- ") || line == "-" {
        // `\#`, `\-#`, `\- `: a header, subtext or list item no more.
        out.push('\\');
        out.push_str(&line[..1]);
        &line[1..]
    } else if let Some(dot) = ordered_marker(line) {
        // `1\. `: not a numbered list.
        out.push_str(&line[..dot]);
        out.push_str("\\.");
        &line[dot + 1..]
    } else {
        line
    };
    for c in rest.chars() {
        if matches!(c, '*' | '_' | '`' | '~' | '|' | '>' | '\\' | '[' | ']') {
            out.push('\\');
        }
        out.push(c);
    }
}

/// Where the dot of a numbered list marker (`12. `) is, when `line` starts with one.
fn ordered_marker(line: &str) -> Option<usize> {
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    let after = line.get(digits..)?;
    (digits > 0 && (after.starts_with(". ") || after == ".")).then_some(digits)
}

/// A number for people: no trailing `.0`, at most two decimals.
pub fn number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        let s = format!("{n:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_trimmed_and_bounded() {
        assert_eq!(single_line("title", "  a\n b  ", 10).unwrap(), "a b");
        assert!(
            single_line("title", "   ", 10)
                .unwrap_err()
                .to_string()
                .contains("empty")
        );
        let long = "x".repeat(300);
        assert!(
            single_line("title", &long, 200)
                .unwrap_err()
                .to_string()
                .contains("300")
        );
    }

    #[test]
    fn mentions_are_defused() {
        let s = defuse_mentions("hi @everyone and @here <@&123>");
        assert!(!s.contains("@everyone") && !s.contains("@here") && !s.contains("<@&"));
    }

    #[test]
    fn truncate_counts_chars() {
        assert_eq!(truncate("héllo", 3), "hé…");
        assert_eq!(truncate("hi", 3), "hi");
    }

    #[test]
    fn inline_markup_is_escaped() {
        assert_eq!(
            escape_markdown("**bold** _it_ `c` ~~s~~ ||x||"),
            r"\*\*bold\*\* \_it\_ \`c\` \~\~s\~\~ \|\|x\|\|"
        );
        assert_eq!(escape_markdown(r"a\b"), r"a\\b");
        assert_eq!(
            escape_markdown("plain words, 3.5 kg (ok) - fine # 2"),
            "plain words, 3.5 kg (ok) - fine # 2"
        );
    }

    #[test]
    fn masked_links_show_as_text() {
        assert_eq!(
            escape_markdown("see [our site](https://evil.example/x) now"),
            r"see \[our site\](https://evil.example/x) now"
        );
        assert_eq!(
            escape_markdown("[a](<https://x.example>)"),
            r"\[a\](<https://x.example\>)"
        );
    }

    #[test]
    fn blocks_at_line_start_are_escaped() {
        assert_eq!(escape_markdown("# Big"), r"\# Big");
        assert_eq!(
            escape_markdown("## Bigger\n### Biggest"),
            "\\## Bigger\n\\### Biggest"
        );
        assert_eq!(escape_markdown("-# small print"), r"\-# small print");
        assert_eq!(
            escape_markdown("- one\n* two\n  - nested"),
            "\\- one\n\\* two\n  \\- nested"
        );
        assert_eq!(
            escape_markdown("1. first\n12. twelfth"),
            "1\\. first\n12\\. twelfth"
        );
        assert_eq!(
            escape_markdown("> quoted\n>>> all of it"),
            "\\> quoted\n\\>\\>\\> all of it"
        );
        // Not at a line start, or not followed by what makes a block: left alone.
        assert_eq!(
            escape_markdown("win #3 - done\n-5 degrees\n2026 was good\n3.5 kg"),
            "win #3 - done\n-5 degrees\n2026 was good\n3.5 kg"
        );
    }

    #[test]
    fn numbers_print_plainly() {
        assert_eq!(number(3.0), "3");
        assert_eq!(number(2.5), "2.5");
        assert_eq!(number(1.0 / 3.0), "0.33");
    }
}
