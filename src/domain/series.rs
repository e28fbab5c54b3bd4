//! How a meeting repeats (`/meeting schedule every:`): `weekly`, `every 2 weeks`, `monthly on the
//! first tue`, or any task repeat (`every 2 weeks fri 17:00`, `monthly on the 1st`). Occurrences
//! keep the first meeting's local time of day, so 18:00 stays 18:00 across a DST change.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Utc, Weekday};
use chrono_tz::Tz;

use super::repeat::Repeat;
use super::when::{echo, resolve_local, weekday_from_word};
use crate::error::{Error, Result};

const HINT: &str = "for example `weekly`, `every 2 weeks`, `monthly on the first tue`, or `off`";

/// A validated series rule.
#[derive(Debug, Clone)]
pub enum Every {
    /// The same weekday and local time, every `n` weeks.
    Weeks(u32),
    /// The `nth` (1–4, or 5 = last) `weekday` of each month, at the first meeting's local time.
    NthWeekday { nth: u32, weekday: Weekday },
    /// Any task repeat rule, at its own time.
    Rule(Box<Repeat>),
}

impl Every {
    /// Reads `every`; `Ok(None)` for `off`. `first` is the first meeting's local start, whose time
    /// of day a rule without one keeps.
    pub fn parse(text: &str, first: NaiveDateTime) -> Result<Option<Every>> {
        let t = text.trim().to_lowercase();
        let words: Vec<&str> = t.split_whitespace().collect();
        match words.as_slice() {
            [] | ["off" | "never" | "none" | "no"] => return Ok(None),
            ["weekly"] | ["every", "week"] => return Ok(Some(Every::Weeks(1))),
            ["every", n, "weeks"] | ["every", n, "week"] => {
                return match n.parse::<u32>() {
                    Ok(n @ 1..=8) => Ok(Some(Every::Weeks(n))),
                    _ => Err(Error::user(format!(
                        "`{}` — a series repeats every 1 to 8 weeks, {HINT}.",
                        echo(text)
                    ))),
                };
            }
            ["monthly" | "every month", rest @ ..] | ["every", "month", rest @ ..] => {
                let rest = rest.strip_prefix(&["on"]).unwrap_or(rest);
                let rest = rest.strip_prefix(&["the"]).unwrap_or(rest);
                if let [nth, day] = rest
                    && let (Some(nth), Some(weekday)) = (nth_word(nth), weekday_from_word(day))
                {
                    return Ok(Some(Every::NthWeekday { nth, weekday }));
                }
            }
            _ => {}
        }
        let time = first.time().format("%H:%M").to_string();
        match Repeat::parse_with_default(&t, &time) {
            Ok(Some(r)) => Ok(Some(Every::Rule(Box::new(r)))),
            Ok(None) => Ok(None),
            Err(_) => Err(Error::user(format!(
                "Couldn't read `{}` as a series — {HINT}.",
                echo(text)
            ))),
        }
    }

    /// The occurrence after the one starting at `prev` (UTC), in `tz`'s local time.
    pub fn next_after(&self, prev: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
        let local = prev.with_timezone(&tz).naive_local();
        match self {
            Every::Weeks(n) => Some(resolve_local(local + Duration::weeks(i64::from(*n)), tz)),
            Every::NthWeekday { nth, weekday } => (1..=13).find_map(|i| {
                let (y, m) = add_months(local.year(), local.month(), i);
                let date = nth_weekday(y, m, *nth, *weekday)?;
                let at = resolve_local(date.and_time(local.time()), tz);
                (at > prev).then_some(at)
            }),
            Every::Rule(r) => r.next_after(prev, tz),
        }
    }
}

fn nth_word(w: &str) -> Option<u32> {
    Some(match w {
        "first" | "1st" => 1,
        "second" | "2nd" => 2,
        "third" | "3rd" => 3,
        "fourth" | "4th" => 4,
        "last" => 5,
        _ => return None,
    })
}

fn add_months(y: i32, m: u32, add: u32) -> (i32, u32) {
    let total = (y * 12 + m as i32 - 1) + add as i32;
    (total.div_euclid(12), total.rem_euclid(12) as u32 + 1)
}

/// The `nth` `weekday` of a month (5 = the last one).
fn nth_weekday(y: i32, m: u32, nth: u32, weekday: Weekday) -> Option<NaiveDate> {
    if nth == 5 {
        let (ny, nm) = add_months(y, m, 1);
        let mut d = NaiveDate::from_ymd_opt(ny, nm, 1)?.pred_opt()?;
        while d.weekday() != weekday {
            d = d.pred_opt()?;
        }
        return Some(d);
    }
    NaiveDate::from_weekday_of_month_opt(y, m, weekday, nth as u8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn local(tz: Tz, y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        tz.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn a_weekly_series_keeps_its_local_time_across_dst_in_berlin_and_new_york() {
        for tz in [chrono_tz::Europe::Berlin, chrono_tz::America::New_York] {
            let first = local(tz, 2026, 3, 5, 18);
            let every = Every::parse("weekly", first.with_timezone(&tz).naive_local())
                .unwrap()
                .unwrap();
            let mut at = first;
            for _ in 0..6 {
                at = every.next_after(at, tz).unwrap();
                assert_eq!(
                    at.with_timezone(&tz).format("%a %H:%M").to_string(),
                    "Thu 18:00",
                    "{tz}"
                );
            }
        }
    }

    #[test]
    fn monthly_on_the_first_tuesday() {
        let tz = chrono_tz::Europe::Berlin;
        let first = local(tz, 2026, 12, 1, 10);
        let every = Every::parse("monthly on the first tue", first.with_timezone(&tz).naive_local())
            .unwrap()
            .unwrap();
        let next = every.next_after(first, tz).unwrap();
        assert_eq!(next, local(tz, 2027, 1, 5, 10));
        let after = every.next_after(local(tz, 2027, 3, 2, 10), tz).unwrap();
        // DST starts on 28 March: still 10:00 local on 6 April.
        assert_eq!(after, local(tz, 2027, 4, 6, 10));
    }

    #[test]
    fn off_and_nonsense() {
        let n = NaiveDate::from_ymd_opt(2026, 1, 1)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap();
        assert!(Every::parse("off", n).unwrap().is_none());
        assert!(Every::parse("every 2 weeks", n).unwrap().is_some());
        assert!(Every::parse("whenever", n).is_err());
        assert!(Every::parse("every 12 weeks", n).is_err());
    }
}
