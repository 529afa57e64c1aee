//! `cron_restart` schedules: read with the maintained `croner` crate (the Rust port of the
//! `croner` package PM2 7 itself uses), in one place for the frontends (which refuse a bad
//! expression before anything starts) and the daemon (which runs it).
//!
//! Accepted: the standard five fields (`minute hour day month weekday`), six with seconds
//! first (`*/2 * * * * *`), and croner's nicknames (`@daily`, `@hourly`, ...). Days of the
//! month and of the week combine as in Vixie cron (either matches).

use std::fmt;

use chrono::{DateTime, Local};
use croner::Cron;

/// A `cron_restart` expression that cannot be used: one line naming it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Cron pattern error: invalid cron_restart {expression:?}: {reason}")]
pub struct CronError {
    /// The expression as written.
    pub expression: String,
    /// What is wrong with it.
    pub reason: String,
}

/// A parsed `cron_restart` schedule.
#[derive(Clone, PartialEq, Eq)]
pub struct CronSchedule {
    text: String,
    cron: Cron,
}

impl CronSchedule {
    /// Parses an expression; the error names it and says what is wrong.
    pub fn parse(text: &str) -> Result<CronSchedule, CronError> {
        let error = |reason: String| CronError {
            expression: text.to_string(),
            reason,
        };
        let fields = text.split_whitespace().count();
        let nickname = fields == 1 && text.trim_start().starts_with('@');
        if !nickname && !(5..=6).contains(&fields) {
            return Err(error(format!(
                "expected 5 fields (minute hour day month weekday) or 6 with seconds first, \
                 got {fields}"
            )));
        }
        let cron = text
            .parse::<Cron>()
            .map_err(|e| error(e.to_string().trim_end_matches('.').to_string()))?;
        // An expression that never matches (`0 0 30 2 *`) would schedule nothing.
        let schedule = CronSchedule {
            text: text.to_string(),
            cron,
        };
        if schedule.next_after(Local::now()).is_none() {
            return Err(error("it never matches".into()));
        }
        Ok(schedule)
    }

    /// The first time strictly after `after`, if the schedule has one.
    pub fn next_after(&self, after: DateTime<Local>) -> Option<DateTime<Local>> {
        self.cron.find_next_occurrence(&after, false).ok()
    }

    /// The expression as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Debug for CronSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CronSchedule({:?})", self.text)
    }
}

/// PM2 turns cron restarts off with `cron_restart: 0` (or `"0"`).
pub fn is_disabled(text: &str) -> bool {
    text.trim() == "0"
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Timelike};

    #[test]
    fn five_fields_six_with_seconds_and_nicknames() {
        let at = Local.with_ymd_and_hms(2026, 3, 7, 9, 5, 2).unwrap();
        let every_two_seconds = CronSchedule::parse("*/2 * * * * *").unwrap();
        assert_eq!(every_two_seconds.next_after(at).unwrap().second(), 4);
        let hourly = CronSchedule::parse("0 * * * *").unwrap();
        let next = hourly.next_after(at).unwrap();
        assert_eq!((next.hour(), next.minute(), next.second()), (10, 0, 0));
        assert!(CronSchedule::parse("@daily").is_ok());
        assert_eq!(hourly.as_str(), "0 * * * *");
    }

    #[test]
    fn bad_expressions_are_named() {
        for bad in [
            "61 * * * *",
            "* * *",
            "a b c d e",
            "",
            "* * * * * * * *",
            "0 0 30 2 *",
        ] {
            let error = CronSchedule::parse(bad).unwrap_err();
            assert_eq!(error.expression, bad);
            let line = error.to_string();
            assert!(line.contains(&format!("{bad:?}")), "{line}");
            assert!(!line.contains('\n'), "{line}");
        }
    }

    #[test]
    fn zero_turns_cron_off() {
        assert!(is_disabled("0"));
        assert!(!is_disabled("0 0 * * *"));
    }
}
