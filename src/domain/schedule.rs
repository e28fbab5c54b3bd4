//! Recurring schedules for check-ins and digests: cron or plain words, kept in local wall-clock
//! time so a 09:00 schedule stays at 09:00 across DST changes.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Mutex, OnceLock};

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;

use crate::domain::when::{echo, parse_time_of_day, resolve_local, weekday_from_word};
use crate::error::{Error, Result};

/// The check-in schedule a new coalition starts with.
pub const DEFAULT_CHECKIN: &str = "fridays 10:00";
/// The digest schedule a new coalition starts with.
pub const DEFAULT_DIGEST: &str = "mondays 9:00";

const HINT: &str = "use cron like `0 0 9 * * Mon` or words like `mondays 9:00` or `every 2 weeks wed 15:00`";
/// Local hours looked at beyond each end of a window: more than any UTC offset change.
const SLACK_HOURS: i64 = 3;
/// Raw cron occurrences examined per query at most, so no query can run away.
const MAX_STEPS: usize = 2000;
/// The longest repeat `every N weeks` may ask for.
const MAX_EVERY_WEEKS: u32 = 8;
/// Schedules remembered once read (see [`Schedule::parse`]); past it, the memo starts again empty.
const REMEMBERED: usize = 256;

/// Schedules already read, by their text: each coalition's two stored schedules are read again
/// by every `/coalition info`, digest and scheduler round, and reading one (words, cron, and the
/// frequency check) costs far more than looking it up. Only schedules that were valid are kept.
fn remembered() -> &'static Mutex<HashMap<String, Schedule>> {
    static MEMO: OnceLock<Mutex<HashMap<String, Schedule>>> = OnceLock::new();
    MEMO.get_or_init(|| Mutex::new(HashMap::new()))
}

/// A recurring schedule, as typed by a lead and validated.
#[derive(Clone, Debug)]
pub struct Schedule {
    source: String,
    /// Local wall-clock times, evaluated as if the local zone were UTC.
    cron: cron::Schedule,
    /// Present when the schedule was given in words.
    words: Option<Words>,
}

/// A schedule given in words: some weekdays at one time, every `every_weeks` weeks.
#[derive(Clone, Debug)]
struct Words {
    days: Vec<Weekday>,
    time: NaiveTime,
    every_weeks: u32,
}

impl Schedule {
    /// Reads cron (5, 6 or 7 fields) or words such as `mondays 9:00`, `every day 18:00`,
    /// `weekdays 9:30` or `every 2 weeks on wednesday at 3pm`.
    ///
    /// In 5-field cron the day of week counts from `0` = Sunday (as in crontab); 6- and 7-field
    /// cron is read as the `cron` crate does (`1` = Sunday). Every `N` weeks fires in the weeks
    /// whose number since Monday 1970-01-05 is a multiple of `N`.
    /// A text read once is remembered: the same text gives the same schedule.
    pub fn parse(text: &str) -> Result<Schedule> {
        let source = text.trim();
        let memo = remembered();
        if let Some(known) = memo.lock().unwrap_or_else(|e| e.into_inner()).get(source) {
            return Ok(known.clone());
        }
        let schedule = Schedule::read(source)?;
        let mut memo = memo.lock().unwrap_or_else(|e| e.into_inner());
        if memo.len() >= REMEMBERED {
            memo.clear();
        }
        memo.insert(source.to_string(), schedule.clone());
        Ok(schedule)
    }

    /// [`Schedule::parse`] without the memo.
    fn read(source: &str) -> Result<Schedule> {
        let shown = echo(source);
        if source.is_empty() {
            return Err(Error::user(format!("Give a schedule — {HINT}.")));
        }
        let unreadable = || Error::user(format!("Couldn't read `{shown}` as a schedule — {HINT}."));
        let words = read_words(&source.to_lowercase());
        let cron_text = match &words {
            Some(words) => words.cron(),
            None => cron_text(source).ok_or_else(unreadable)?,
        };
        if words
            .as_ref()
            .is_some_and(|w| !(1..=MAX_EVERY_WEEKS).contains(&w.every_weeks))
        {
            return Err(Error::user(format!(
                "`{shown}` repeats too rarely or never — use every 1 to {MAX_EVERY_WEEKS} weeks, \
                 like `every 2 weeks wed 15:00`."
            )));
        }
        let cron = cron::Schedule::from_str(&cron_text).map_err(|_| unreadable())?;
        let schedule = Schedule {
            source: source.to_string(),
            cron,
            words,
        };
        schedule.check_frequency(&shown)?;
        Ok(schedule)
    }

    /// The schedule as it was given, trimmed.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The schedule in words, e.g. `every Monday at 09:00` or ``cron `0 0 9 * * Mon` ``.
    pub fn describe(&self) -> String {
        let Some(words) = &self.words else {
            return format!("cron `{}`", self.source);
        };
        let time = words.time.format("%H:%M");
        let weekdays = words.days == WEEKDAYS;
        let list = day_list(&words.days);
        match words.every_weeks {
            1 if words.days.len() == 7 => format!("every day at {time}"),
            1 if weekdays => format!("every weekday at {time}"),
            1 => format!("every {list} at {time}"),
            n if weekdays => format!("every {n} weeks on weekdays at {time}"),
            n => format!("every {n} weeks on {list} at {time}"),
        }
    }

    /// The first occurrence strictly after `after`, in the local time of `tz`. A local time
    /// skipped by DST fires at the end of the gap; a repeated one fires once, the first time.
    pub fn next_after(&self, after: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
        let start = after.with_timezone(&tz).naive_local() - Duration::hours(SLACK_HOURS);
        self.cron
            .after(&start.and_utc())
            .take(MAX_STEPS)
            .map(|t| t.naive_utc())
            .filter(|local| self.fires_in_week_of(local.date()))
            .map(|local| resolve_local(local, tz))
            .find(|at| *at > after)
    }

    /// The next `n` occurrences strictly after `after`.
    pub fn upcoming(&self, after: DateTime<Utc>, tz: Tz, n: usize) -> Vec<DateTime<Utc>> {
        let mut found = Vec::with_capacity(n);
        let mut from = after;
        while found.len() < n {
            let Some(at) = self.next_after(from, tz) else {
                break;
            };
            found.push(at);
            from = at;
        }
        found
    }

    /// The latest occurrence in `(since, now]`, if any: after downtime only that one is sent.
    pub fn latest_at_or_before(
        &self,
        now: DateTime<Utc>,
        since: DateTime<Utc>,
        tz: Tz,
    ) -> Option<DateTime<Utc>> {
        let end = now.with_timezone(&tz).naive_local() + Duration::hours(SLACK_HOURS);
        let floor = since.with_timezone(&tz).naive_local() - Duration::hours(SLACK_HOURS);
        self.cron
            .after(&end.and_utc())
            .rev()
            .take(MAX_STEPS)
            .map(|t| t.naive_utc())
            .take_while(|local| *local >= floor)
            .filter(|local| self.fires_in_week_of(local.date()))
            .map(|local| resolve_local(local, tz))
            .find(|at| *at <= now)
            .filter(|at| *at > since)
    }

    /// Whether `every N weeks` lets the schedule fire in the week of `date`.
    fn fires_in_week_of(&self, date: NaiveDate) -> bool {
        let Some(words) = &self.words else {
            return true;
        };
        let anchor = NaiveDate::from_ymd_opt(1970, 1, 5).unwrap_or(NaiveDate::MIN);
        let weeks = (date - anchor).num_days().div_euclid(7);
        weeks.rem_euclid(i64::from(words.every_weeks)) == 0
    }

    /// Refuses schedules that never fire or fire more than once an hour (checked on a sample).
    fn check_frequency(&self, shown: &str) -> Result<()> {
        let start = NaiveDate::from_ymd_opt(2000, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .unwrap_or(NaiveDateTime::MIN);
        let sample: Vec<_> = self.cron.after(&start.and_utc()).take(25).collect();
        if sample.is_empty() {
            return Err(Error::user(format!(
                "`{shown}` never fires — pick a day that exists, like `0 0 9 * * Mon`."
            )));
        }
        if sample.windows(2).any(|w| w[1] - w[0] < Duration::hours(1)) {
            return Err(Error::user(format!(
                "`{shown}` fires more than once an hour — run at most hourly, like `0 0 9 * * Mon` \
                 or `weekdays 9:30`."
            )));
        }
        Ok(())
    }
}

impl Words {
    /// The same days and time as cron fields (parity is applied separately).
    fn cron(&self) -> String {
        let days = if self.days.len() == 7 {
            "*".to_string()
        } else {
            let names: Vec<String> = self.days.iter().map(|d| d.to_string()).collect();
            names.join(",")
        };
        let time = self.time;
        format!("0 {} {} * * {days}", time.format("%-M"), time.format("%-H"))
    }
}

const WEEKDAYS: [Weekday; 5] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
];

/// Words like `mondays 9:00`, `every day 18:00`, `every 2 weeks on wednesday at 3pm`.
fn read_words(text: &str) -> Option<Words> {
    let text = text.replace(',', " ");
    let tokens: Vec<&str> = text.split_whitespace().collect();
    let (every_weeks, rest) = match tokens.as_slice() {
        ["every" | "each", "other", "week", rest @ ..] => (2, rest),
        ["every" | "each", "week", rest @ ..] => (1, rest),
        ["every" | "each", n, "weeks" | "week", rest @ ..] => (n.parse().ok()?, rest),
        ["every" | "each", rest @ ..] => (1, rest),
        ["biweekly" | "fortnightly", rest @ ..] => (2, rest),
        rest => (1, rest),
    };
    let rest = rest.strip_prefix(&["on"]).unwrap_or(rest);
    let (days, rest) = read_days(rest)?;
    if every_weeks != 1 && days.len() == 7 {
        return None;
    }
    let rest = rest.strip_prefix(&["at"]).unwrap_or(rest);
    if rest.is_empty() {
        return None;
    }
    let time = parse_time_of_day(&rest.concat())?;
    Some(Words {
        days,
        time,
        every_weeks,
    })
}

/// The days at the start of `words` (`daily`, `weekdays`, `mon and thu`) and what follows.
fn read_days<'a>(words: &'a [&'a str]) -> Option<(Vec<Weekday>, &'a [&'a str])> {
    let all = [WEEKDAYS.as_slice(), &[Weekday::Sat, Weekday::Sun]].concat();
    match words {
        ["day" | "days" | "daily", rest @ ..] => return Some((all, rest)),
        ["weekday" | "weekdays", rest @ ..] => return Some((WEEKDAYS.to_vec(), rest)),
        ["weekend" | "weekends", rest @ ..] => return Some((all[5..].to_vec(), rest)),
        _ => {}
    }
    let mut days = Vec::new();
    let mut rest = words;
    while let [word, tail @ ..] = rest {
        let day = weekday_from_word(word).or_else(|| weekday_from_word(word.strip_suffix('s')?));
        match day {
            Some(day) => days.push(day),
            None if !days.is_empty() && matches!(*word, "and" | "&") => {}
            None => break,
        }
        rest = tail;
    }
    days.sort_by_key(|d| d.num_days_from_monday());
    days.dedup();
    (!days.is_empty()).then_some((days, rest))
}

/// `Monday`, `Monday and Thursday`, `Monday, Wednesday and Friday`.
fn day_list(days: &[Weekday]) -> String {
    let names: Vec<&str> = days.iter().map(|&d| full_name(d)).collect();
    match names.split_last() {
        Some((last, [])) => last.to_string(),
        Some((last, init)) => format!("{} and {last}", init.join(", ")),
        None => String::new(),
    }
}

fn full_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

/// Cron text the `cron` crate accepts: 5-field crontab gets a seconds field and day names.
fn cron_text(source: &str) -> Option<String> {
    let fields: Vec<&str> = source.split_whitespace().collect();
    match fields.as_slice() {
        [shorthand] if shorthand.starts_with('@') => Some(shorthand.to_string()),
        [minute, hour, day, month, weekday] => Some(format!(
            "0 {minute} {hour} {day} {month} {}",
            crontab_weekdays(weekday)
        )),
        fields if (6..=7).contains(&fields.len()) => Some(fields.join(" ")),
        _ => None,
    }
}

/// Crontab day numbers (`0`/`7` = Sunday, `1` = Monday) as names; step sizes stay numbers.
fn crontab_weekdays(field: &str) -> String {
    const NAMES: [&str; 8] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let mut out = String::new();
    let mut number = String::new();
    let mut after_slash = false;
    for c in field.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        if !number.is_empty() {
            match number.parse::<usize>().ok().and_then(|n| NAMES.get(n)) {
                Some(name) if !after_slash => out.push_str(name),
                _ => out.push_str(&number),
            }
            number.clear();
        }
        after_slash = c == '/';
        out.push(c);
    }
    out.trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Datelike, TimeZone, Timelike};
    use chrono_tz::{America::New_York, Europe::Berlin};

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    fn schedule(text: &str) -> Schedule {
        Schedule::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn a_remembered_schedule_is_the_schedule_read_afresh() {
        let now = utc(2026, 3, 4, 12, 0);
        for text in ["every 2 weeks on wednesday at 3pm", " 0 30 9 * * Mon,Thu "] {
            let first = schedule(text);
            let again = schedule(text);
            let fresh = Schedule::read(text.trim()).expect("valid");
            for s in [&again, &fresh] {
                assert_eq!(s.source(), first.source());
                assert_eq!(s.describe(), first.describe());
                assert_eq!(s.upcoming(now, Berlin, 6), first.upcoming(now, Berlin, 6));
            }
        }
        // A text that was refused is refused again: only valid schedules are remembered.
        for _ in 0..2 {
            assert!(Schedule::parse("every minute").is_err());
        }
    }

    fn refused(text: &str) -> String {
        let e = Schedule::parse(text).unwrap_err();
        assert!(e.is_user(), "{text}");
        e.to_string()
    }

    #[test]
    fn monday_nine_stays_nine_local_across_berlin_dst() {
        for text in ["mondays 9:00", "0 0 9 * * Mon", "0 9 * * Mon", "0 9 * * 1"] {
            let s = schedule(text);
            let autumn = s.upcoming(utc(2026, 10, 15, 0, 0), Berlin, 2);
            assert_eq!(
                autumn,
                [utc(2026, 10, 19, 7, 0), utc(2026, 10, 26, 8, 0)],
                "{text}"
            );
            let spring = s.upcoming(utc(2026, 3, 20, 0, 0), Berlin, 2);
            assert_eq!(spring, [utc(2026, 3, 23, 8, 0), utc(2026, 3, 30, 7, 0)], "{text}");
        }
    }

    #[test]
    fn monday_nine_stays_nine_local_across_new_york_dst() {
        let s = schedule("every monday at 9am");
        let spring = s.upcoming(utc(2026, 3, 1, 0, 0), New_York, 2);
        assert_eq!(spring, [utc(2026, 3, 2, 14, 0), utc(2026, 3, 9, 13, 0)]);
        let autumn = s.upcoming(utc(2026, 10, 20, 0, 0), New_York, 2);
        assert_eq!(autumn, [utc(2026, 10, 26, 13, 0), utc(2026, 11, 2, 14, 0)]);
    }

    #[test]
    fn a_time_skipped_by_spring_forward_fires_at_the_end_of_the_gap() {
        let s = schedule("daily 2:30");
        let days = s.upcoming(utc(2026, 3, 28, 12, 0), Berlin, 2);
        assert_eq!(days, [utc(2026, 3, 29, 1, 0), utc(2026, 3, 30, 0, 30)]);
        assert_eq!(days[0].with_timezone(&Berlin).hour(), 3);
        assert_eq!(days[0].with_timezone(&Berlin).minute(), 0);
    }

    #[test]
    fn a_time_repeated_by_fall_back_fires_once() {
        let s = schedule("0 30 2 * * *");
        let days = s.upcoming(utc(2026, 10, 24, 12, 0), Berlin, 2);
        assert_eq!(days, [utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)]);
        assert_eq!(s.next_after(utc(2026, 10, 25, 1, 15), Berlin), Some(days[1]));
        let ny = schedule("every day 1:30").next_after(utc(2026, 11, 1, 0, 0), New_York);
        assert_eq!(ny, Some(utc(2026, 11, 1, 5, 30)));
        let hourly = schedule("0 0 * * * *").upcoming(utc(2026, 10, 24, 23, 30), Berlin, 3);
        assert_eq!(
            hourly,
            [
                utc(2026, 10, 25, 0, 0),
                utc(2026, 10, 25, 2, 0),
                utc(2026, 10, 25, 3, 0)
            ]
        );
    }

    #[test]
    fn every_two_weeks_keeps_a_fixed_parity() {
        let a = schedule("every 2 weeks wed 15:00");
        let b = schedule("Every 2 weeks on Wednesday at 3pm");
        let tz = Tz::UTC;
        let from = utc(2026, 3, 1, 0, 0);
        let expected = [
            utc(2026, 3, 4, 15, 0),
            utc(2026, 3, 18, 15, 0),
            utc(2026, 4, 1, 15, 0),
        ];
        assert_eq!(a.upcoming(from, tz, 3), expected);
        assert_eq!(b.upcoming(from, tz, 3), expected);
        assert_eq!(a.next_after(utc(2026, 3, 5, 0, 0), tz), Some(expected[1]));
        let other = schedule("every other week mon, thu 9:00").upcoming(from, tz, 3);
        let days: Vec<u32> = other.iter().map(|t| t.day()).collect();
        assert_eq!(days, [2, 5, 16]);
    }

    #[test]
    fn reads_word_forms() {
        let cases = [
            ("mondays 9:00", "every Monday at 09:00"),
            ("monday 9am", "every Monday at 09:00"),
            ("every monday at 9:00", "every Monday at 09:00"),
            ("every monday 09:00", "every Monday at 09:00"),
            ("daily 9:00", "every day at 09:00"),
            ("every day 18:00", "every day at 18:00"),
            ("weekdays 9:30", "every weekday at 09:30"),
            (
                "mon, wed and fri 8:15",
                "every Monday, Wednesday and Friday at 08:15",
            ),
            ("every 2 weeks wed 15:00", "every 2 weeks on Wednesday at 15:00"),
            (
                "every 3 weeks weekdays noon",
                "every 3 weeks on weekdays at 12:00",
            ),
            ("0 0 9 * * Mon", "cron `0 0 9 * * Mon`"),
            ("  @daily ", "cron `@daily`"),
        ];
        for (text, described) in cases {
            assert_eq!(schedule(text).describe(), described, "{text}");
        }
        assert_eq!(schedule("  fridays 10:00 ").source(), "fridays 10:00");
        let weekdays = schedule("weekdays 9:30").upcoming(utc(2026, 3, 6, 12, 0), Tz::UTC, 2);
        assert_eq!(weekdays, [utc(2026, 3, 9, 9, 30), utc(2026, 3, 10, 9, 30)]);
    }

    #[test]
    fn defaults_are_valid() {
        assert_eq!(schedule(DEFAULT_CHECKIN).describe(), "every Friday at 10:00");
        assert_eq!(schedule(DEFAULT_DIGEST).describe(), "every Monday at 09:00");
    }

    #[test]
    fn five_field_cron_counts_days_from_sunday_zero() {
        let from = utc(2026, 3, 1, 12, 0); // a Sunday
        let first = |text: &str| schedule(text).next_after(from, Tz::UTC).unwrap();
        assert_eq!(first("30 8 * * 1-5"), utc(2026, 3, 2, 8, 30));
        assert_eq!(first("0 18 * * 0"), utc(2026, 3, 1, 18, 0));
        assert_eq!(first("0 18 * * 7"), utc(2026, 3, 1, 18, 0));
        assert_eq!(first("0 9 1 * *"), utc(2026, 4, 1, 9, 0));
        assert_eq!(crontab_weekdays("*/2"), "*/2");
        assert_eq!(crontab_weekdays("1-5/2,0"), "Mon-Fri/2,Sun");
    }

    #[test]
    fn refuses_unreadable_too_frequent_and_never_firing_schedules() {
        let hint = "use cron like `0 0 9 * * Mon` or words like `mondays 9:00`";
        for text in [
            "",
            "soon",
            "mondays",
            "every monday at",
            "monday 25:00",
            "0 0 9 * * Funday",
        ] {
            assert!(refused(text).contains(hint), "{text}");
        }
        assert_eq!(
            refused("blah"),
            "Couldn't read `blah` as a schedule — use cron like `0 0 9 * * Mon` or words like \
             `mondays 9:00` or `every 2 weeks wed 15:00`."
        );
        for text in ["* * * * * *", "0 * * * * *", "* * * * *", "0 0,30 9 * * *"] {
            assert!(refused(text).contains("more than once an hour"), "{text}");
        }
        assert!(Schedule::parse("0 0 * * * *").is_ok());
        assert!(refused("0 0 9 31 Feb *").contains("never fires"));
        assert!(refused("every 9 weeks mon 9:00").contains("every 1 to 8 weeks"));
        assert!(refused("every 0 weeks mon 9:00").contains("every 1 to 8 weeks"));
        assert!(Schedule::parse("every 8 weeks mon 9:00").is_ok());
    }

    #[test]
    fn latest_missed_occurrence_after_downtime() {
        let s = schedule("mondays 9:00");
        let since = utc(2026, 3, 1, 0, 0);
        let now = utc(2026, 3, 24, 12, 0); // Tuesday, three Mondays later
        assert_eq!(
            s.latest_at_or_before(now, since, Berlin),
            Some(utc(2026, 3, 23, 8, 0))
        );
        let exactly = utc(2026, 3, 23, 8, 0);
        assert_eq!(s.latest_at_or_before(exactly, since, Berlin), Some(exactly));
        assert_eq!(s.latest_at_or_before(now, exactly, Berlin), None);
        let biweekly = schedule("every 2 weeks wed 15:00");
        let got = biweekly.latest_at_or_before(utc(2026, 3, 12, 0, 0), since, Tz::UTC);
        assert_eq!(got, Some(utc(2026, 3, 4, 15, 0)));
        let gap = schedule("daily 2:30").latest_at_or_before(utc(2026, 3, 29, 1, 30), since, Berlin);
        assert_eq!(gap, Some(utc(2026, 3, 29, 1, 0)));
    }
}
