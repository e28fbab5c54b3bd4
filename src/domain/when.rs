//! Due dates typed by users, read in the coalition's IANA time zone.

use chrono::{
    DateTime, Datelike, Days, Duration, LocalResult, Months, NaiveDate, NaiveDateTime, NaiveTime, TimeZone,
    Timelike, Utc, Weekday,
};
use chrono_tz::{TZ_VARIANTS, Tz};

use crate::domain::text::truncate;
use crate::error::{Error, Result};

/// How to write a due date, appended to every "couldn't read" message.
const DUE_HINT: &str = "try `2026-12-01`, `2026-12-01 17:00`, `tomorrow 5pm`, `friday` or `in 3 days`";
const TZ_HINT: &str = "use an IANA name such as `Europe/Berlin` or `America/New_York`.";
/// Autocomplete choices may be at most this many characters long.
const PREVIEW_MAX: usize = 100;

/// Reads an IANA time zone name, ignoring case and surrounding spaces (`utc` works too).
pub fn parse_timezone(name: &str) -> Result<Tz> {
    let wanted = name.trim().replace(' ', "_");
    if wanted.is_empty() {
        return Err(Error::user(format!("Give a time zone — {TZ_HINT}")));
    }
    if let Some(tz) = TZ_VARIANTS
        .iter()
        .find(|tz| tz.name().eq_ignore_ascii_case(&wanted))
    {
        return Ok(*tz);
    }
    let shown = echo(name);
    Err(Error::user(match closest_timezone(&wanted) {
        Some(best) => {
            format!("Unknown time zone `{shown}` — did you mean `{best}`? Otherwise {TZ_HINT}")
        }
        None => format!("Unknown time zone `{shown}` — {TZ_HINT}"),
    }))
}

/// Time zone names containing `prefix` (any case) for autocomplete, prefix matches first.
pub fn timezone_suggestions(prefix: &str, limit: usize) -> Vec<&'static str> {
    let wanted = prefix.trim().replace(' ', "_").to_ascii_lowercase();
    let mut hits: Vec<(u8, &'static str)> = TZ_VARIANTS
        .iter()
        .filter_map(|tz| {
            let lower = tz.name().to_ascii_lowercase();
            let rank = if lower.starts_with(&wanted) {
                0
            } else if lower.split('/').skip(1).any(|part| part.starts_with(&wanted)) {
                1
            } else if lower.contains(&wanted) {
                2
            } else {
                return None;
            };
            Some((rank, tz.name()))
        })
        .collect();
    hits.sort_by_key(|&(rank, _)| rank);
    hits.into_iter().take(limit).map(|(_, name)| name).collect()
}

/// The IANA name closest to an unknown one: a unique prefix match, else a small edit distance.
fn closest_timezone(wanted: &str) -> Option<&'static str> {
    let wanted = wanted.to_ascii_lowercase();
    let names = || TZ_VARIANTS.iter().map(|tz| tz.name());
    let mut prefixed = names().filter(|n| n.to_ascii_lowercase().starts_with(&wanted));
    if let (Some(only), None) = (prefixed.next(), prefixed.next()) {
        return Some(only);
    }
    let allowed = (wanted.chars().count() / 4).clamp(1, 3);
    names()
        .map(|name| {
            let lower = name.to_ascii_lowercase();
            let city = lower.rsplit('/').next().unwrap_or(&lower);
            let mut distance = edit_distance(&wanted, &lower);
            if !wanted.contains('/') {
                distance = distance.min(edit_distance(&wanted, city));
            }
            (distance, name)
        })
        .filter(|&(distance, _)| distance <= allowed)
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, name)| name)
}

/// Levenshtein distance between two short strings.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitute = diagonal + usize::from(ca != cb);
            diagonal = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}

/// Reads a due date typed by a user in time zone `tz`; it must be after `now` and within 5 years.
///
/// Accepted (any case): `2026-12-01`, `2026-12-01 17:00`, `2026-12-01T17:00`, `today`, `tonight`
/// (20:00), `eod`, `tomorrow [at] 5pm`, `friday`/`fri [10am]` (the next Friday strictly after
/// today), `next friday` (the Friday of next Monday-to-Sunday week, so on a Sunday it is 5 days
/// away, on a Monday 11), `next week` (7 days from today), `in 3 days`, `in 2w`, `in 4 hours`,
/// `in 30 minutes`, or a bare time meaning today. Without a time of day the time is 17:00 local.
pub fn parse_due(text: &str, tz: Tz, now: DateTime<Utc>) -> Result<DateTime<Utc>> {
    let words = tokens(text);
    if words.is_empty() {
        return Err(Error::user(format!("Give a due date — {DUE_HINT}.")));
    }
    let shown = echo(text);
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    let at = read_due(&words, tz, now)
        .ok_or_else(|| Error::user(format!("Couldn't read `{shown}` as a date — {DUE_HINT}.")))?;
    let means = describe(at, tz);
    if at <= now {
        return Err(Error::user(format!(
            "`{shown}` means {means}, which is in the past — give a future date."
        )));
    }
    if now
        .checked_add_months(Months::new(60))
        .is_some_and(|limit| at > limit)
    {
        return Err(Error::user(format!(
            "`{shown}` means {means}, which is more than 5 years away — give a date within 5 years."
        )));
    }
    Ok(at)
}

/// How much of an instant [`show`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    /// `Fri 4 Dec`.
    Day,
    /// `Fri 4 Dec 2026`.
    Date,
    /// `Fri 4 Dec 17:00`: short enough for a list line.
    Short,
    /// `Fri 4 Dec 2026 17:00`.
    DateTime,
    /// `Fri 4 Dec 2026 17:00 (Europe/Berlin)`.
    Full,
    /// A Discord timestamp tag that each reader sees in their own time zone, then "in 3 days":
    /// `<t:…:f> (<t:…:R>)` (`tz` is not used).
    Tag,
}

/// The one time formatter: `at` (UTC seconds) as people in `tz` read it. A value outside the
/// calendar shows as `—`.
pub fn show(at: i64, tz: Tz, shown: Shown) -> String {
    if shown == Shown::Tag {
        return format!("<t:{at}:f> (<t:{at}:R>)");
    }
    let Some(t) = DateTime::<Utc>::from_timestamp(at, 0) else {
        return "—".into();
    };
    let local = t.with_timezone(&tz);
    match shown {
        Shown::Day => local.format("%a %-d %b").to_string(),
        Shown::Date => local.format("%a %-d %b %Y").to_string(),
        Shown::DateTime => local.format("%a %-d %b %Y %H:%M").to_string(),
        Shown::Short => local.format("%a %-d %b %H:%M").to_string(),
        Shown::Full | Shown::Tag => format!("{} ({})", local.format("%a %-d %b %Y %H:%M"), tz.name()),
    }
}

/// An instant as people in `tz` read it, e.g. `Fri 4 Dec 2026 17:00 (Europe/Berlin)`.
pub fn describe(at: DateTime<Utc>, tz: Tz) -> String {
    show(at.timestamp(), tz, Shown::Full)
}

/// How `text` would be read as a due date, or why not, in at most 100 characters (autocomplete).
pub fn preview_due(text: &str, tz: Tz, now: DateTime<Utc>) -> String {
    let full = match parse_due(text, tz, now) {
        Ok(at) => describe(at, tz),
        Err(e) => e.to_string(),
    };
    truncate(&full, PREVIEW_MAX)
}

/// The instant a local wall-clock time means in `tz`: a time skipped by a DST change moves
/// forward to the first valid instant after the gap; a repeated time takes the earlier instant.
pub fn resolve_local(local: NaiveDateTime, tz: Tz) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(at) => at.with_timezone(&Utc),
        LocalResult::Ambiguous(a, b) => a.min(b).with_timezone(&Utc),
        LocalResult::None => gap_end(local, tz),
    }
}

/// The first instant whose local time is at or after `local` (binary search over seconds;
/// local time is always within 26 hours of UTC).
fn gap_end(local: NaiveDateTime, tz: Tz) -> DateTime<Utc> {
    let local_at = |secs: i64| DateTime::from_timestamp(secs, 0).map(|t| t.with_timezone(&tz));
    let base = local.and_utc().timestamp();
    let (mut lo, mut hi) = (base - 26 * 3600, base + 26 * 3600);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        match local_at(mid) {
            Some(t) if t.naive_local() < local => lo = mid,
            _ => hi = mid,
        }
    }
    DateTime::from_timestamp(hi, 0).unwrap_or_else(|| local.and_utc())
}

/// A time of day such as `17:00`, `9:30`, `5pm`, `5:30pm` or `noon` (lowercase, no spaces).
pub(crate) fn parse_time_of_day(text: &str) -> Option<NaiveTime> {
    if text == "noon" || text == "midday" {
        return NaiveTime::from_hms_opt(12, 0, 0);
    }
    let (body, pm) = match (text.strip_suffix("pm"), text.strip_suffix("am")) {
        (Some(body), _) => (body, Some(true)),
        (_, Some(body)) => (body, Some(false)),
        _ => (text, None),
    };
    let digits = |s: &str, max_len: usize| {
        (!s.is_empty() && s.len() <= max_len && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u32>().ok())
            .flatten()
    };
    let (hour, minute) = match body.split_once(':') {
        Some((h, m)) if m.len() == 2 => (digits(h, 2)?, digits(m, 2)?),
        Some(_) => return None,
        None if pm.is_some() => (digits(body, 2)?, 0),
        None => return None,
    };
    let hour = match pm {
        Some(_) if !(1..=12).contains(&hour) => return None,
        Some(pm) => hour % 12 + if pm { 12 } else { 0 },
        None => hour,
    };
    NaiveTime::from_hms_opt(hour, minute, 0)
}

/// A weekday name or its abbreviation (`friday`, `fri`), lowercase.
pub(crate) fn weekday_from_word(word: &str) -> Option<Weekday> {
    Some(match word {
        "monday" | "mon" => Weekday::Mon,
        "tuesday" | "tue" | "tues" => Weekday::Tue,
        "wednesday" | "wed" => Weekday::Wed,
        "thursday" | "thu" | "thur" | "thurs" => Weekday::Thu,
        "friday" | "fri" => Weekday::Fri,
        "saturday" | "sat" => Weekday::Sat,
        "sunday" | "sun" => Weekday::Sun,
        _ => return None,
    })
}

/// User text for an error message: one line, no backticks, at most 40 characters.
pub(crate) fn echo(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    truncate(&one_line.replace('`', "'"), 40)
}

/// Lowercase words, with `2026-12-01T17:00` split into date and time.
fn tokens(text: &str) -> Vec<String> {
    let lower = text.to_lowercase().replace(',', " ");
    let mut words = Vec::new();
    for word in lower.split_whitespace() {
        match word.split_once('t') {
            Some((date, time)) if date.len() >= 8 && date.contains('-') => {
                words.push(date.to_string());
                words.push(time.to_string());
            }
            _ => words.push(word.to_string()),
        }
    }
    words
}

/// The instant `words` describe, or None when they make no sense as a date.
fn read_due(words: &[&str], tz: Tz, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let today = now.with_timezone(&tz).date_naive();
    let words = match words {
        ["by" | "on" | "due", rest @ ..] => rest,
        _ => words,
    };
    if let ["in", rest @ ..] = words {
        return read_in(rest, today, tz, now);
    }
    let five_pm = NaiveTime::from_hms_opt(17, 0, 0)?;
    let (date, default, rest) = match words {
        [first, rest @ ..] if first.len() >= 8 && first.contains('-') => {
            (NaiveDate::parse_from_str(first, "%Y-%m-%d").ok()?, five_pm, rest)
        }
        ["today" | "eod", rest @ ..] | ["end", "of", "day", rest @ ..] => (today, five_pm, rest),
        ["tonight", rest @ ..] => (today, NaiveTime::from_hms_opt(20, 0, 0)?, rest),
        ["tomorrow" | "tmrw" | "tmr", rest @ ..] => (today.succ_opt()?, five_pm, rest),
        ["next", "week", rest @ ..] => (today.checked_add_days(Days::new(7))?, five_pm, rest),
        ["next", day, rest @ ..] => {
            let day = weekday_from_word(day)?;
            let monday = today.week(Weekday::Mon).first_day();
            let days = 7 + u64::from(day.num_days_from_monday());
            (monday.checked_add_days(Days::new(days))?, five_pm, rest)
        }
        ["this", day, rest @ ..] | [day, rest @ ..] if weekday_from_word(day).is_some() => {
            let day = weekday_from_word(day)?;
            let ahead = (day.days_since(today.weekday()) + 6) % 7 + 1;
            (
                today.checked_add_days(Days::new(u64::from(ahead)))?,
                five_pm,
                rest,
            )
        }
        _ => (today, five_pm, words),
    };
    let time = read_time(rest, default)?;
    Some(resolve_local(date.and_time(time), tz))
}

/// The time in `words` (`5pm`, `at 17:00`, `5 pm`), `default` when there are none.
fn read_time(words: &[&str], default: NaiveTime) -> Option<NaiveTime> {
    match words {
        [] => Some(default),
        ["at" | "@"] => None,
        ["at" | "@", rest @ ..] | rest => parse_time_of_day(&rest.concat()),
    }
}

/// The instant after `in`: `3 days`, `3d`, `2 weeks 10am`, `4 hours`, `30 minutes`.
fn read_in(words: &[&str], today: NaiveDate, tz: Tz, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let (count, unit, rest) = match words {
        [first, rest @ ..] if first.starts_with(|c: char| c.is_ascii_digit()) => {
            match first.find(|c: char| !c.is_ascii_digit()) {
                Some(i) => (&first[..i], &first[i..], rest),
                None => (*first, *rest.first()?, rest.get(1..)?),
            }
        }
        [first, unit, rest @ ..] => (*first, *unit, rest),
        _ => return None,
    };
    let count: u32 = match count {
        "a" | "an" | "one" => 1,
        digits => digits.parse().ok()?,
    };
    let count = i64::from(count);
    let seconds = match unit {
        "m" | "min" | "mins" | "minute" | "minutes" => count * 60,
        "h" | "hr" | "hrs" | "hour" | "hours" => count * 3600,
        "d" | "day" | "days" => return read_days(count, rest, today, tz),
        "w" | "wk" | "wks" | "week" | "weeks" => return read_days(count * 7, rest, today, tz),
        _ => return None,
    };
    if !rest.is_empty() {
        return None;
    }
    let at = now.checked_add_signed(Duration::try_seconds(seconds)?)?;
    at.with_second(0)?.with_nanosecond(0)
}

/// `days` after `today`, at the time in `rest` (17:00 local when none).
fn read_days(days: i64, rest: &[&str], today: NaiveDate, tz: Tz) -> Option<DateTime<Utc>> {
    let date = today.checked_add_days(Days::new(u64::try_from(days).ok()?))?;
    let time = read_time(rest, NaiveTime::from_hms_opt(17, 0, 0)?)?;
    Some(resolve_local(date.and_time(time), tz))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::{America::New_York, Europe::Berlin};

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    /// Tuesday 1 Dec 2026, 11:00 in Berlin.
    fn now() -> DateTime<Utc> {
        utc(2026, 12, 1, 10, 0)
    }

    fn due(text: &str) -> DateTime<Utc> {
        parse_due(text, Berlin, now()).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn err(text: &str, tz: Tz, now: DateTime<Utc>) -> String {
        let e = parse_due(text, tz, now).unwrap_err();
        assert!(e.is_user(), "{text}");
        e.to_string()
    }

    #[test]
    fn reads_iso_dates_with_and_without_time() {
        assert_eq!(due("2026-12-04"), utc(2026, 12, 4, 16, 0));
        assert_eq!(
            describe(due("2026-12-04"), Berlin),
            "Fri 4 Dec 2026 17:00 (Europe/Berlin)"
        );
        for text in [
            "2026-12-04 09:30",
            "2026-12-04T09:30",
            "  2026-12-04   at 9:30AM ",
        ] {
            assert_eq!(due(text), utc(2026, 12, 4, 8, 30), "{text}");
        }
    }

    #[test]
    fn reads_relative_days() {
        assert_eq!(due("today"), utc(2026, 12, 1, 16, 0));
        assert_eq!(due("EOD"), utc(2026, 12, 1, 16, 0));
        assert_eq!(due("tonight"), utc(2026, 12, 1, 19, 0));
        assert_eq!(due("5:30pm"), utc(2026, 12, 1, 16, 30));
        for text in ["tomorrow", "tomorrow 5pm", "Tomorrow 17:00", "tomorrow at 5 pm"] {
            assert_eq!(due(text), utc(2026, 12, 2, 16, 0), "{text}");
        }
        assert_eq!(due("tomorrow at 9:30am"), utc(2026, 12, 2, 8, 30));
        assert_eq!(due("tomorrow noon"), utc(2026, 12, 2, 11, 0));
        assert_eq!(due("next week"), utc(2026, 12, 8, 16, 0));
    }

    #[test]
    fn weekdays_mean_the_next_one_strictly_after_today() {
        assert_eq!(due("friday"), utc(2026, 12, 4, 16, 0));
        assert_eq!(due("Fri 10am"), utc(2026, 12, 4, 9, 0));
        assert_eq!(due("wed"), utc(2026, 12, 2, 16, 0));
        assert_eq!(due("tuesday"), utc(2026, 12, 8, 16, 0));
        assert_eq!(due("monday"), utc(2026, 12, 7, 16, 0));
        assert_eq!(due("next friday"), utc(2026, 12, 11, 16, 0));
        assert_eq!(due("next mon 9:00"), utc(2026, 12, 7, 8, 0));
    }

    #[test]
    fn reads_durations() {
        for text in ["in 3 days", "in 3d", "in 3 d", "IN  3 DAYS"] {
            assert_eq!(due(text), utc(2026, 12, 4, 16, 0), "{text}");
        }
        assert_eq!(due("in 2 weeks"), utc(2026, 12, 15, 16, 0));
        assert_eq!(due("in 1w 9am"), utc(2026, 12, 8, 8, 0));
        assert_eq!(due("in 4 hours"), utc(2026, 12, 1, 14, 0));
        assert_eq!(due("in an hour"), utc(2026, 12, 1, 11, 0));
        assert_eq!(due("in 30 minutes"), utc(2026, 12, 1, 10, 30));
        assert_eq!(due("in 90m"), utc(2026, 12, 1, 11, 30));
    }

    #[test]
    fn local_times_follow_dst() {
        let march = utc(2026, 3, 28, 12, 0);
        let gap = parse_due("2026-03-29 02:30", Berlin, march).unwrap();
        assert_eq!(gap, utc(2026, 3, 29, 1, 0));
        assert_eq!(describe(gap, Berlin), "Sun 29 Mar 2026 03:00 (Europe/Berlin)");
        let fold = parse_due("2026-10-25 02:30", Berlin, march).unwrap();
        assert_eq!(fold, utc(2026, 10, 25, 0, 30));
        let before_change = utc(2026, 3, 7, 15, 0);
        let tomorrow = parse_due("tomorrow 9am", New_York, before_change).unwrap();
        assert_eq!(tomorrow, utc(2026, 3, 8, 13, 0));
    }

    #[test]
    fn refuses_unreadable_text_and_says_how_to_fix() {
        assert!(err("   ", Berlin, now()).starts_with("Give a due date — try `2026-12-01`"));
        assert_eq!(
            err("xyz", Berlin, now()),
            "Couldn't read `xyz` as a date — try `2026-12-01`, `2026-12-01 17:00`, \
             `tomorrow 5pm`, `friday` or `in 3 days`."
        );
        for text in [
            "tomorrow 25:00",
            "2026-13-01",
            "friday 13pm",
            "in 3 fortnights",
            "tomorrow at",
            "in",
            "next",
            "12",
        ] {
            assert!(err(text, Berlin, now()).starts_with("Couldn't read"), "{text}");
        }
    }

    #[test]
    fn refuses_the_past_and_the_far_future_showing_how_it_read() {
        assert_eq!(
            err("2020-01-01", Berlin, now()),
            "`2020-01-01` means Wed 1 Jan 2020 17:00 (Europe/Berlin), which is in the past — \
             give a future date."
        );
        let evening = utc(2026, 12, 1, 18, 0);
        assert!(err("today", Berlin, evening).contains("in the past"));
        assert!(err("in 0 minutes", Berlin, now()).contains("in the past"));
        assert!(err("2032-01-01", Berlin, now()).contains("more than 5 years away"));
        assert!(parse_due("2031-11-30", Berlin, now()).is_ok());
    }

    #[test]
    fn preview_shows_the_reading_or_a_short_reason() {
        assert_eq!(
            preview_due("fri", Berlin, now()),
            "Fri 4 Dec 2026 17:00 (Europe/Berlin)"
        );
        let long = preview_due("1999-01-01 12:00", Berlin, now());
        assert!(long.chars().count() <= 100 && long.ends_with('…'), "{long}");
        assert!(preview_due("", Berlin, now()).chars().count() <= 100);
    }

    #[test]
    fn reads_time_zones_in_any_case() {
        assert_eq!(parse_timezone("europe/berlin").unwrap(), Berlin);
        assert_eq!(parse_timezone(" UTC ").unwrap(), Tz::UTC);
        assert_eq!(parse_timezone("utc").unwrap(), Tz::UTC);
        assert_eq!(parse_timezone("America/New York").unwrap(), New_York);
    }

    #[test]
    fn unknown_time_zones_suggest_the_closest() {
        let e = parse_timezone("Europe/Berln").unwrap_err();
        assert!(e.is_user());
        assert!(e.to_string().contains("did you mean `Europe/Berlin`?"), "{e}");
        let e = parse_timezone("berlin").unwrap_err().to_string();
        assert!(e.contains("`Europe/Berlin`"), "{e}");
        assert_eq!(
            parse_timezone("Mars/Olympus").unwrap_err().to_string(),
            "Unknown time zone `Mars/Olympus` — use an IANA name such as `Europe/Berlin` or \
             `America/New_York`."
        );
        assert!(parse_timezone("").is_err());
    }

    #[test]
    fn suggests_time_zones_prefix_first() {
        let berlin = timezone_suggestions("ber", 10);
        assert!(berlin.contains(&"Europe/Berlin"), "{berlin:?}");
        assert!(
            timezone_suggestions("EUROPE/", 3)
                .iter()
                .all(|n| n.starts_with("Europe/"))
        );
        assert_eq!(timezone_suggestions("europe/", 3).len(), 3);
        assert!(timezone_suggestions("new york", 5).contains(&"America/New_York"));
        assert!(timezone_suggestions("us", 50)[0].starts_with("US/"));
        assert!(timezone_suggestions("zzzz", 5).is_empty());
    }
}
