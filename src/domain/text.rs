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

/// Escapes Discord markdown so a title renders as typed.
pub fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '*' | '_' | '`' | '~' | '|' | '>' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
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
    fn numbers_print_plainly() {
        assert_eq!(number(3.0), "3");
        assert_eq!(number(2.5), "2.5");
        assert_eq!(number(1.0 / 3.0), "0.33");
    }
}
