//! Working time: case deadlines (处置时限) are counted in working hours and working days,
//! not on the clock. "暴露垃圾: 1 working day" found on Friday afternoon is due on Monday
//! afternoon, and a case found during a holiday starts counting when the holiday ends.
//!
//! A [`WorkingCalendar`] is data, loaded by the centre: the daily working periods in local
//! time (e.g. 08:30–12:00 and 14:00–17:30), the local UTC offset, the public holidays that
//! fall on weekdays (法定节假日), and the weekend days that are worked instead (调休上班). A
//! working day is a weekday that is not a holiday, or a listed make-up day.
//!
//! Both questions the loop asks are pure functions of the calendar:
//! [`WorkingCalendar::deadline`] (this much working time after a start) and
//! [`WorkingCalendar::elapsed`] (how much working time lies between two instants), and they
//! agree: the working time elapsed from a start to its deadline is exactly the allowance.

use std::collections::BTreeSet;

use chrono::{
    DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc, Weekday,
};
use serde::Deserialize;

/// The calendar file's shape.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CalendarFile {
    /// e.g. "+08:00".
    utc_offset: String,
    /// `[["08:30", "12:00"], ["14:00", "17:30"]]`.
    periods: Vec<[String; 2]>,
    #[serde(default)]
    holidays: Vec<NaiveDate>,
    #[serde(default)]
    workdays: Vec<NaiveDate>,
}

/// When the centre works.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkingCalendar {
    offset: FixedOffset,
    /// Sorted, non-overlapping, each start before its end, within one day.
    periods: Vec<(NaiveTime, NaiveTime)>,
    holidays: BTreeSet<NaiveDate>,
    workdays: BTreeSet<NaiveDate>,
}

/// Give up looking for working time after this many days (a calendar of holidays only).
const SEARCH_DAYS: i64 = 3660;

impl WorkingCalendar {
    /// Reads a calendar file; a wrong offset, a malformed or overlapping period, or a day
    /// listed both as a holiday and as a make-up working day is refused, naming it.
    pub fn from_json(text: &str) -> Result<Self, String> {
        let file: CalendarFile =
            serde_json::from_str(text).map_err(|e| format!("working calendar: {e}"))?;
        let offset: FixedOffset = file
            .utc_offset
            .parse()
            .map_err(|_| format!("utc_offset {:?} is not like \"+08:00\"", file.utc_offset))?;
        let time = |s: &str| {
            NaiveTime::parse_from_str(s, "%H:%M")
                .map_err(|_| format!("{s:?} is not a time like \"08:30\""))
        };
        let mut periods = Vec::new();
        for [a, b] in &file.periods {
            let (start, end) = (time(a)?, time(b)?);
            if start >= end {
                return Err(format!("period {a}–{b} ends before it starts"));
            }
            periods.push((start, end));
        }
        periods.sort();
        if periods.is_empty() {
            return Err("the calendar has no working periods".into());
        }
        if let Some(w) = periods.windows(2).find(|w| w[0].1 > w[1].0) {
            return Err(format!(
                "periods {}–{} and {}–{} overlap",
                w[0].0.format("%H:%M"),
                w[0].1.format("%H:%M"),
                w[1].0.format("%H:%M"),
                w[1].1.format("%H:%M")
            ));
        }
        let holidays: BTreeSet<NaiveDate> = file.holidays.into_iter().collect();
        let workdays: BTreeSet<NaiveDate> = file.workdays.into_iter().collect();
        if let Some(d) = holidays.intersection(&workdays).next() {
            return Err(format!(
                "{d} is listed both as a holiday and as a working day"
            ));
        }
        Ok(Self {
            offset,
            periods,
            holidays,
            workdays,
        })
    }

    /// Whether the centre works on this local date.
    #[must_use]
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        if self.workdays.contains(&date) {
            return true;
        }
        !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) && !self.holidays.contains(&date)
    }

    /// The centre's offset from UTC: its days (case numbers, the overview's "today") begin
    /// at local midnight.
    #[must_use]
    pub fn offset(&self) -> FixedOffset {
        self.offset
    }

    /// The local date at an instant (case numbers run per local day).
    #[must_use]
    pub fn local_date(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.offset).date_naive()
    }

    /// The working time of one working day (what "1 working day" means).
    #[must_use]
    pub fn day(&self) -> Duration {
        self.periods.iter().map(|(a, b)| *b - *a).sum()
    }

    /// The working periods of a local date, as instants.
    fn periods_on(&self, date: NaiveDate) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        if !self.is_working_day(date) {
            return Vec::new();
        }
        self.periods
            .iter()
            .filter_map(|(a, b)| {
                let at = |t: NaiveTime| {
                    self.offset
                        .from_local_datetime(&date.and_time(t))
                        .single()
                        .map(|d| d.to_utc())
                };
                Some((at(*a)?, at(*b)?))
            })
            .collect()
    }

    /// The instant by which `allowance` of working time has passed after `start`. A start
    /// outside working time counts from the next working period; an allowance used up
    /// exactly at a period's end is due at that end.
    ///
    /// # Panics
    /// If the calendar has no working day in ten years from `start` (a calendar that says
    /// nobody ever works).
    #[must_use]
    pub fn deadline(&self, start: DateTime<Utc>, allowance: Duration) -> DateTime<Utc> {
        let mut left = allowance.max(Duration::zero());
        let mut date = start.with_timezone(&self.offset).date_naive();
        for _ in 0..SEARCH_DAYS {
            for (a, b) in self.periods_on(date) {
                if b <= start {
                    continue;
                }
                let from = a.max(start);
                let here = b - from;
                if left <= here {
                    return from + left;
                }
                left -= here;
            }
            date = date.succ_opt().unwrap_or(date);
        }
        panic!("the working calendar has no working day in ten years after {start}")
    }

    /// The working time between two instants (zero if `end` is not after `start`).
    #[must_use]
    pub fn elapsed(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> Duration {
        if end <= start {
            return Duration::zero();
        }
        let mut total = Duration::zero();
        let mut date = start.with_timezone(&self.offset).date_naive();
        let last = end.with_timezone(&self.offset).date_naive();
        while date <= last {
            for (a, b) in self.periods_on(date) {
                let (from, to) = (a.max(start), b.min(end));
                if to > from {
                    total += to - from;
                }
            }
            date = match date.succ_opt() {
                Some(d) => d,
                None => break,
            };
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-10: National Day 1–7 October (Thursday to Wednesday); Saturday 10 October worked.
    const OCTOBER: &str = r#"{
        "utc_offset": "+08:00",
        "periods": [["14:00", "17:30"], ["08:30", "12:00"]],
        "holidays": ["2026-10-01", "2026-10-02", "2026-10-05", "2026-10-06", "2026-10-07"],
        "workdays": ["2026-10-10"]
    }"#;

    fn cal() -> WorkingCalendar {
        WorkingCalendar::from_json(OCTOBER).expect("a good calendar")
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).expect("a time").to_utc()
    }

    fn local(d: DateTime<Utc>) -> String {
        d.with_timezone(&FixedOffset::east_opt(8 * 3600).expect("offset"))
            .format("%a %m-%d %H:%M")
            .to_string()
    }

    #[test]
    fn a_working_day_is_seven_hours_here() {
        assert_eq!(cal().day(), Duration::hours(7));
    }

    #[test]
    fn deadlines_skip_nights_lunch_weekends_and_holidays() {
        let c = cal();
        let day = c.day();
        // Friday 16:00 + 1 working day (7 h): 1.5 h on Friday, then Monday's morning 3.5 h
        // and 2 h of the afternoon → 16:00.
        assert_eq!(
            local(c.deadline(at("2026-09-25T16:00:00+08:00"), day)),
            "Mon 09-28 16:00"
        );
        // Found during lunch: counting starts at 14:00.
        assert_eq!(
            local(c.deadline(at("2026-09-28T12:30:00+08:00"), Duration::hours(2))),
            "Mon 09-28 16:00"
        );
        // Wednesday 17:00 + 1 day: half an hour, then the holiday week (the 3rd and 4th
        // are a weekend anyway), then 6.5 h on Thursday the 8th → 17:00.
        assert_eq!(
            local(c.deadline(at("2026-09-30T17:00:00+08:00"), day)),
            "Thu 10-08 17:00"
        );
        // Friday the 9th 17:00 + 1 day runs into the worked Saturday.
        assert_eq!(
            local(c.deadline(at("2026-10-09T17:00:00+08:00"), day)),
            "Sat 10-10 17:00"
        );
        // Used up exactly at a period's end: due then, not at the next start.
        assert_eq!(
            local(c.deadline(at("2026-09-28T08:30:00+08:00"), Duration::minutes(210))),
            "Mon 09-28 12:00"
        );
        // No allowance: due at once if working, else at the next working moment.
        assert_eq!(
            local(c.deadline(at("2026-10-03T10:00:00+08:00"), Duration::zero())),
            "Thu 10-08 08:30"
        );
    }

    #[test]
    fn elapsed_counts_only_working_time() {
        let c = cal();
        assert_eq!(
            c.elapsed(
                at("2026-09-25T16:00:00+08:00"),
                at("2026-09-28T09:00:00+08:00")
            ),
            Duration::minutes(120)
        );
        assert_eq!(
            c.elapsed(
                at("2026-10-01T00:00:00+08:00"),
                at("2026-10-07T23:59:00+08:00")
            ),
            Duration::zero(),
            "the holiday week"
        );
        assert_eq!(
            c.elapsed(
                at("2026-09-28T10:00:00+08:00"),
                at("2026-09-28T09:00:00+08:00")
            ),
            Duration::zero()
        );
    }

    #[test]
    fn deadline_and_elapsed_agree_everywhere() {
        let c = cal();
        let base = at("2026-09-24T00:00:00+08:00");
        // Starts every 37 minutes over three weeks, allowances from 0 to 3 days.
        for i in 0..800_i64 {
            let start = base + Duration::minutes(37 * i);
            let allowance = Duration::minutes((i * 53) % (3 * 7 * 60));
            let due = c.deadline(start, allowance);
            assert!(due >= start);
            assert_eq!(c.elapsed(start, due), allowance, "start {start}");
            // Nothing earlier would do.
            if allowance > Duration::zero() {
                assert!(c.elapsed(start, due - Duration::minutes(1)) < allowance);
            }
        }
    }

    #[test]
    fn bad_calendars_are_refused_by_name() {
        let bad = |text: &str| WorkingCalendar::from_json(text).expect_err("refused");
        assert!(bad(r#"{"utc_offset":"CST","periods":[["08:30","12:00"]]}"#).contains("CST"));
        assert!(
            bad(r#"{"utc_offset":"+08:00","periods":[["12:00","08:30"]]}"#).contains("ends before")
        );
        assert!(
            bad(r#"{"utc_offset":"+08:00","periods":[["08:30","12:00"],["11:00","13:00"]]}"#)
                .contains("overlap")
        );
        assert!(bad(r#"{"utc_offset":"+08:00","periods":[]}"#).contains("no working periods"));
        assert!(
            bad(r#"{"utc_offset":"+08:00","periods":[["08:30","12:00"]],"holidays":["2026-10-10"],"workdays":["2026-10-10"]}"#)
                .contains("2026-10-10")
        );
        assert!(bad(r#"{"utc_offset":"+08:00","periods":[["8h","12:00"]]}"#).contains("8h"));
    }
}
