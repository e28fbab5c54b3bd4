//! Per-user cooldowns of the commands that do heavy work (`/digest preview` rasterises a chart,
//! `/report` renders a whole HTML report): one run per user per command every [`COOLDOWN`]. Kept
//! in memory only; the time is given by the caller (the bot's clock), so tests fix it.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

use crate::domain::UserId;
use crate::error::{Error, Result};

/// How long a user waits between two runs of the same heavy command.
pub const COOLDOWN: Duration = Duration::seconds(30);

/// When each user last started each heavy command.
pub struct Cooldowns {
    period: Duration,
    started: Mutex<HashMap<(&'static str, UserId), DateTime<Utc>>>,
}

impl Default for Cooldowns {
    fn default() -> Self {
        Cooldowns::new(COOLDOWN)
    }
}

impl Cooldowns {
    /// Cooldowns of `period` each.
    pub fn new(period: Duration) -> Cooldowns {
        Cooldowns {
            period,
            started: Mutex::new(HashMap::new()),
        }
    }

    /// Starts `command` (`"digest preview"`) for `user` at `now`, or says how long they still wait
    /// (whole seconds, at least 1) when they started it less than the period ago.
    pub fn start(
        &self,
        command: &'static str,
        user: UserId,
        now: DateTime<Utc>,
    ) -> std::result::Result<(), i64> {
        let mut started = self.started.lock().unwrap_or_else(|e| e.into_inner());
        // Forget what no longer holds anyone back, so the map stays small.
        started.retain(|_, at| now - *at < self.period);
        if let Some(at) = started.get(&(command, user)) {
            let left = self.period - (now - *at);
            return Err((left.num_milliseconds() + 999).div_euclid(1000).max(1));
        }
        started.insert((command, user), now);
        Ok(())
    }

    /// Forgets the start at `at` (the command was refused before doing its work: the user fixes
    /// the option and runs it again at once).
    pub fn forget(&self, command: &'static str, user: UserId, at: DateTime<Utc>) {
        let mut started = self.started.lock().unwrap_or_else(|e| e.into_inner());
        if started.get(&(command, user)) == Some(&at) {
            started.remove(&(command, user));
        }
    }

    /// [`Self::start`] as the user error a command answers with (privately).
    pub fn check(&self, command: &'static str, user: UserId, now: DateTime<Utc>) -> Result<()> {
        self.start(command, user, now).map_err(|wait| {
            Error::user(format!(
                "You ran `/{command}` a moment ago — it takes a lot of work, so it's once every {} seconds. Try again in {wait} second{}.",
                self.period.num_seconds(),
                if wait == 1 { "" } else { "s" }
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn one_run_per_user_per_command_per_period() {
        let c = Cooldowns::new(Duration::seconds(30));
        let t0 = Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap();
        let (ada, bo) = (UserId(1), UserId(2));
        assert_eq!(c.start("report", ada, t0), Ok(()));
        assert_eq!(c.start("report", ada, t0), Err(30));
        assert_eq!(
            c.start("report", ada, t0 + Duration::milliseconds(10_500)),
            Err(20)
        );
        assert_eq!(
            c.start("report", ada, t0 + Duration::milliseconds(29_999)),
            Err(1)
        );
        // Others, and the same user's other command, are not held back.
        assert_eq!(c.start("report", bo, t0 + Duration::seconds(1)), Ok(()));
        assert_eq!(c.start("digest preview", ada, t0 + Duration::seconds(1)), Ok(()));
        // Once the period has passed, again.
        assert_eq!(c.start("report", ada, t0 + Duration::seconds(30)), Ok(()));
        assert_eq!(c.start("report", ada, t0 + Duration::seconds(31)), Err(29));
    }

    #[test]
    fn a_refused_run_is_forgotten_and_the_error_says_how_long_to_wait() {
        let c = Cooldowns::default();
        let t0 = Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap();
        c.check("report", UserId(1), t0).unwrap();
        c.forget("report", UserId(1), t0);
        c.check("report", UserId(1), t0 + Duration::seconds(1)).unwrap();
        let e = c
            .check("report", UserId(1), t0 + Duration::seconds(6))
            .unwrap_err();
        assert!(e.is_user(), "{e}");
        assert!(e.to_string().contains("Try again in 25 seconds"), "{e}");
        assert!(e.to_string().contains("`/report`"), "{e}");
    }
}
