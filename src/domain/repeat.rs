//! How a task repeats (`/task repeat every:…`): the same plain words as schedules
//! (`every monday`, `every 2 weeks fri 17:00`, via [`Schedule`]) or `monthly on the 1st`. The next
//! due date is found in the coalition's time zone, so 09:00 stays 09:00 across a DST change.

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;

use super::schedule::Schedule;
use super::when::{echo, parse_time_of_day, resolve_local};
use crate::error::{Error, Result};

/// Time of day a repeat without one is due at, when the task has no due time to keep either.
pub const DEFAULT_TIME: &str = "09:00";

const HINT: &str = "for example `every monday`, `every 2 weeks fri 17:00`, `monthly on the 1st`, or `off`";

/// A validated repeat rule.
#[derive(Debug, Clone)]
pub enum Repeat {
    /// Some weekdays at a time, every N weeks (a schedule in words or cron).
    Weekly(Box<Schedule>),
    /// A day of every month (the last day in shorter months) at a time.
    Monthly { day: u32, time: NaiveTime },
}

impl Repeat {
    /// Reads a rule; `Ok(None)` for `off`. A rule without a time of day gets `default_time`
    /// (`09:00`, or the task's current due time), so the stored rule always says when.
    pub fn parse_with_default(text: &str, default_time: &str) -> Result<Option<Repeat>> {
        let t = text.trim().to_lowercase();
        let shown = echo(text);
        if t.is_empty() {
            return Err(Error::user(format!("Say how the task repeats — {HINT}.")));
        }
        if matches!(t.as_str(), "off" | "never" | "none" | "no" | "stop") {
            return Ok(None);
        }
        if let Some(m) = monthly(&t, default_time) {
            return m.map(Some).ok_or_else(|| {
                Error::user(format!(
                    "Couldn't read `{shown}` — a monthly repeat needs a day from 1 to 31, like `monthly on the 1st` or `monthly on the 15th at 10:00`."
                ))
            });
        }
        let parsed = Schedule::parse(&t).or_else(|first| {
            // `every monday` has no time: keep the default, as the words would with one.
            Schedule::parse(&format!("{t} at {default_time}")).map_err(|_| first)
        });
        match parsed {
            Ok(s) => Ok(Some(Repeat::Weekly(Box::new(s)))),
            Err(_) => Err(Error::user(format!(
                "Couldn't read `{shown}` as a repeat — {HINT}."
            ))),
        }
    }

    /// Reads a stored rule (always with its time).
    pub fn parse(text: &str) -> Result<Option<Repeat>> {
        Repeat::parse_with_default(text, DEFAULT_TIME)
    }

    /// The rule as stored: words that read back to the same rule.
    pub fn source(&self) -> String {
        match self {
            Repeat::Weekly(s) => match s.describe() {
                // Cron stays cron; words are stored in their described form (with the time).
                d if d.starts_with("cron") => s.source().to_string(),
                d => d,
            },
            Repeat::Monthly { day, time } => {
                format!("monthly on the {} at {}", ordinal(*day), time.format("%H:%M"))
            }
        }
    }

    /// "every Monday at 09:00", "monthly on the 1st at 09:00".
    pub fn describe(&self) -> String {
        match self {
            Repeat::Weekly(s) => s.describe(),
            Repeat::Monthly { .. } => self.source(),
        }
    }

    /// The first due date strictly after `after`, in `tz`'s local time.
    pub fn next_after(&self, after: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
        match self {
            Repeat::Weekly(s) => s.next_after(after, tz),
            Repeat::Monthly { day, time } => {
                let local = after.with_timezone(&tz).date_naive();
                (0..=13).find_map(|i| {
                    let (y, m) = add_months(local.year(), local.month(), i);
                    let date = NaiveDate::from_ymd_opt(y, m, (*day).min(days_in_month(y, m)))?;
                    let at = resolve_local(date.and_time(*time), tz);
                    (at > after).then_some(at)
                })
            }
        }
    }
}

/// `monthly on the 1st [at 10:00]`, `every month on the 15th`: `None` if not a monthly rule,
/// `Some(None)` if monthly but unreadable.
fn monthly(t: &str, default_time: &str) -> Option<Option<Repeat>> {
    let words: Vec<&str> = t.split_whitespace().collect();
    let rest = match words.as_slice() {
        ["monthly", rest @ ..] => rest,
        ["every" | "each", "month", rest @ ..] => rest,
        _ => return None,
    };
    let rest = rest.strip_prefix(&["on"]).unwrap_or(rest);
    let rest = rest.strip_prefix(&["the"]).unwrap_or(rest);
    let Some((day, rest)) = rest.split_first() else {
        return Some(None);
    };
    let digits: String = day.chars().take_while(char::is_ascii_digit).collect();
    let suffix = &day[digits.len()..];
    let day: u32 = match digits.parse() {
        Ok(d) if (1..=31).contains(&d) && matches!(suffix, "" | "st" | "nd" | "rd" | "th") => d,
        _ => return Some(None),
    };
    let rest = rest.strip_prefix(&["at"]).unwrap_or(rest);
    let time = if rest.is_empty() {
        parse_time_of_day(default_time)
    } else {
        parse_time_of_day(&rest.concat())
    };
    Some(time.map(|time| Repeat::Monthly { day, time }))
}

fn add_months(year: i32, month: u32, n: u32) -> (i32, u32) {
    let zero_based = month - 1 + n;
    (year + (zero_based / 12) as i32, zero_based % 12 + 1)
}

fn days_in_month(year: i32, month: u32) -> u32 {
    let (y, m) = add_months(year, month, 1);
    NaiveDate::from_ymd_opt(y, m, 1)
        .and_then(|first| first.pred_opt())
        .map_or(28, |last| last.day())
}

fn ordinal(n: u32) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    #[test]
    fn weekly_monday_nine_stays_nine_across_the_october_change() {
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        let r = Repeat::parse("every monday").unwrap().unwrap();
        assert_eq!(r.describe(), "every Monday at 09:00");
        // Mon 19 Oct 2026 09:00 CEST = 07:00 UTC; DST ends Sun 25 Oct.
        let next = r.next_after(utc(2026, 10, 19, 7, 0), berlin).unwrap();
        assert_eq!(next, utc(2026, 10, 26, 8, 0), "09:00 CET is 08:00 UTC");
        assert_eq!(next.with_timezone(&berlin).format("%H:%M").to_string(), "09:00");
    }

    #[test]
    fn words_with_times_weeks_and_months_read_back_the_same() {
        let r = Repeat::parse("every 2 weeks fri 17:00").unwrap().unwrap();
        assert_eq!(
            Repeat::parse(&r.source()).unwrap().unwrap().describe(),
            r.describe()
        );
        let m = Repeat::parse("monthly on the 1st").unwrap().unwrap();
        assert_eq!(m.source(), "monthly on the 1st at 09:00");
        assert_eq!(Repeat::parse(&m.source()).unwrap().unwrap().source(), m.source());
        let kept = Repeat::parse_with_default("every tuesday", "17:30")
            .unwrap()
            .unwrap();
        assert_eq!(kept.describe(), "every Tuesday at 17:30");
        assert!(Repeat::parse("off").unwrap().is_none());
    }

    #[test]
    fn monthly_on_the_31st_falls_on_the_last_day_of_short_months() {
        let m = Repeat::parse("monthly on the 31st at 10:00").unwrap().unwrap();
        let next = m.next_after(utc(2027, 1, 31, 12, 0), chrono_tz::UTC).unwrap();
        assert_eq!(next, utc(2027, 2, 28, 10, 0));
    }

    #[test]
    fn nonsense_is_refused_with_examples() {
        for bad in ["", "sometimes", "monthly on the 40th", "every 99 weeks mon 9:00"] {
            let e = Repeat::parse(bad).unwrap_err().to_string();
            assert!(e.contains('`'), "{bad}: {e}");
        }
    }
}
