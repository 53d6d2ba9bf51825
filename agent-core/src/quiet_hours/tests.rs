//! Quiet hours with an injected clock: time zones, night shifts, bounds,
//! and the Europe/London daylight-saving changes of 2026 (clocks forward at
//! 01:00 UTC on Sunday 29 March, back at 01:00 UTC on Sunday 25 October).

use time::OffsetDateTime;
use time::macros::datetime;

use super::*;

fn hours(start: &str, end: &str, tz: &str) -> WorkingHours {
    WorkingHours::new(start, end, tz).unwrap()
}

fn at(h: &WorkingHours, now: OffsetDateTime) -> NotifyDecision {
    should_notify(Some(h), now).unwrap()
}

#[test]
fn without_working_hours_there_are_no_quiet_hours() {
    let d = should_notify(None, datetime!(2026-11-22 03:00 UTC)).unwrap();
    assert!(d.notify);
    assert_eq!(d.reason, NotifyReason::NoWorkingHours);
    assert_eq!((d.next_allowed, d.quiet_from), (None, None));
}

#[test]
fn a_day_in_london_winter_and_summer() {
    let h = hours("09:00", "17:00", "Europe/London");
    // Winter: London is on UTC.
    let d = at(&h, datetime!(2026-01-14 08:59 UTC));
    assert!(!d.notify);
    assert_eq!(d.reason, NotifyReason::OutsideWorkingHours);
    assert_eq!(d.next_allowed, Some(datetime!(2026-01-14 09:00 UTC)));
    let d = at(&h, datetime!(2026-01-14 12:00 UTC));
    assert!(d.notify);
    assert_eq!(d.reason, NotifyReason::WithinWorkingHours);
    assert_eq!(d.quiet_from, Some(datetime!(2026-01-14 17:00 UTC)));
    // Summer: BST, an hour ahead, so 08:30 UTC is 09:30 in London.
    let d = at(&h, datetime!(2026-07-14 08:30 UTC));
    assert!(d.notify);
    assert_eq!(d.quiet_from, Some(datetime!(2026-07-14 16:00 UTC)));
    // After work: next morning.
    let d = at(&h, datetime!(2026-07-14 16:00 UTC));
    assert!(!d.notify);
    assert_eq!(d.next_allowed, Some(datetime!(2026-07-15 08:00 UTC)));
}

#[test]
fn a_night_shift_crosses_midnight() {
    let h = hours("19:00", "07:30", "Europe/London");
    for (now, notify) in [
        (datetime!(2026-11-22 18:59 UTC), false),
        (datetime!(2026-11-22 19:00 UTC), true),
        (datetime!(2026-11-22 23:59 UTC), true),
        (datetime!(2026-11-23 03:00 UTC), true),
        (datetime!(2026-11-23 07:29 UTC), true),
        (datetime!(2026-11-23 07:30 UTC), false),
        (datetime!(2026-11-23 12:00 UTC), false),
    ] {
        assert_eq!(at(&h, now).notify, notify, "{now}");
    }
    let d = at(&h, datetime!(2026-11-23 03:00 UTC));
    assert_eq!(d.quiet_from, Some(datetime!(2026-11-23 07:30 UTC)));
    let d = at(&h, datetime!(2026-11-23 12:00 UTC));
    assert_eq!(d.next_allowed, Some(datetime!(2026-11-23 19:00 UTC)));
}

#[test]
fn the_same_instant_in_other_time_zones() {
    let now = datetime!(2026-11-22 12:00 UTC);
    // 17:30 in Kolkata (UTC+5:30, no daylight saving): just after work.
    let d = at(&hours("09:00", "17:30", "Asia/Kolkata"), now);
    assert!(!d.notify);
    assert_eq!(d.next_allowed, Some(datetime!(2026-11-23 03:30 UTC)));
    // 07:00 in New York (EST, UTC-5): before work.
    let d = at(&hours("08:00", "16:00", "America/New_York"), now);
    assert!(!d.notify);
    assert_eq!(d.next_allowed, Some(datetime!(2026-11-22 13:00 UTC)));
    // 01:00 the next day in Auckland (NZDT, UTC+13): a night shift.
    let d = at(&hours("22:00", "06:00", "Pacific/Auckland"), now);
    assert!(d.notify);
    assert_eq!(d.quiet_from, Some(datetime!(2026-11-22 17:00 UTC)));
}

#[test]
fn spring_forward_a_window_containing_the_missing_hour_is_an_hour_shorter() {
    // 00:00-03:00 local on 29 March: 00:00 GMT to 03:00 BST, two hours.
    let h = hours("00:00", "03:00", "Europe/London");
    let d = at(&h, datetime!(2026-03-29 00:30 UTC));
    assert!(d.notify);
    assert_eq!(d.quiet_from, Some(datetime!(2026-03-29 02:00 UTC)));
    assert!(at(&h, datetime!(2026-03-29 01:59 UTC)).notify);
    assert!(!at(&h, datetime!(2026-03-29 02:00 UTC)).notify);
}

#[test]
fn spring_forward_a_start_in_the_missing_hour_opens_when_the_clocks_go_forward() {
    // 01:30 does not exist in London on 29 March: the window opens at
    // 02:00 BST (01:00 UTC), the moment the clock passes 01:30.
    let h = hours("01:30", "06:00", "Europe/London");
    let d = at(&h, datetime!(2026-03-29 00:59 UTC));
    assert!(!d.notify);
    assert_eq!(d.next_allowed, Some(datetime!(2026-03-29 01:00 UTC)));
    assert!(at(&h, datetime!(2026-03-29 01:00 UTC)).notify);
    // The next day it opens at 01:30 BST again.
    let d = at(&h, datetime!(2026-03-29 12:00 UTC));
    assert_eq!(d.next_allowed, Some(datetime!(2026-03-30 00:30 UTC)));
}

#[test]
fn fall_back_a_window_containing_the_repeated_hour_is_an_hour_longer() {
    // 00:00-03:00 local on 25 October: 00:00 BST (23:00 UTC the day
    // before) to 03:00 GMT, four hours.
    let h = hours("00:00", "03:00", "Europe/London");
    let d = at(&h, datetime!(2026-10-24 23:30 UTC));
    assert!(d.notify);
    assert_eq!(d.quiet_from, Some(datetime!(2026-10-25 03:00 UTC)));
    // Both 01:30s are inside.
    assert!(at(&h, datetime!(2026-10-25 00:30 UTC)).notify);
    assert!(at(&h, datetime!(2026-10-25 01:30 UTC)).notify);
    assert!(!at(&h, datetime!(2026-10-25 03:00 UTC)).notify);
}

#[test]
fn fall_back_an_edge_in_the_repeated_hour_counts_its_first_occurrence() {
    // Starting at 01:30: opens at the first 01:30 (BST, 00:30 UTC).
    let h = hours("01:30", "06:00", "Europe/London");
    let d = at(&h, datetime!(2026-10-25 00:15 UTC));
    assert!(!d.notify);
    assert_eq!(d.next_allowed, Some(datetime!(2026-10-25 00:30 UTC)));
    // Ending at 01:30: closes at the first 01:30 and does not open again
    // when the clock reads 01:15 a second time.
    let h = hours("22:00", "01:30", "Europe/London");
    assert!(at(&h, datetime!(2026-10-25 00:15 UTC)).notify);
    let d = at(&h, datetime!(2026-10-25 01:15 UTC));
    assert!(!d.notify, "{d:?}");
    assert_eq!(d.next_allowed, Some(datetime!(2026-10-25 22:00 UTC)));
}

#[test]
fn hours_must_fit_the_organisations_bounds() {
    let bounds = WorkingHoursBounds {
        allowed: Some(vec![
            AllowedWindow {
                start: "06:00".into(),
                end: "22:00".into(),
            },
            AllowedWindow {
                start: "18:00".into(),
                end: "09:00".into(),
            },
        ]),
        max_hours: Some(13),
    };
    assert_eq!(bounds.validate(), Ok(()));
    // The night-shift nurse's hours fit the night window.
    hours("19:00", "07:30", "Europe/London")
        .check_within(&bounds)
        .unwrap();
    hours("08:00", "17:00", "Europe/London")
        .check_within(&bounds)
        .unwrap();
    let e = hours("05:00", "13:00", "Europe/London")
        .check_within(&bounds)
        .unwrap_err();
    assert!(matches!(e, QuietHoursError::OutsideBounds { .. }), "{e}");
    assert!(e.to_string().contains("06:00-22:00, 18:00-09:00"), "{e}");
    let e = hours("07:00", "21:00", "Europe/London")
        .check_within(&bounds)
        .unwrap_err();
    assert!(matches!(e, QuietHoursError::TooLong { max: 13, .. }), "{e}");
    // No `allowed`: any hours, still bounded in length.
    let any = WorkingHoursBounds {
        allowed: None,
        max_hours: None,
    };
    hours("23:00", "22:00", "Europe/London")
        .check_within(&any)
        .unwrap();
    // Bad bounds name their member.
    let bad = WorkingHoursBounds {
        allowed: Some(vec![AllowedWindow {
            start: "06:00".into(),
            end: "6pm".into(),
        }]),
        max_hours: None,
    };
    assert_eq!(
        bad.validate().unwrap_err().0,
        "working_hours.allowed[0].end"
    );
    let bad = WorkingHoursBounds {
        allowed: None,
        max_hours: Some(25),
    };
    assert_eq!(bad.validate().unwrap_err().0, "working_hours.max_hours");
}

#[test]
fn bad_times_and_zones_are_clear_errors() {
    for (start, end) in [
        ("7:00", "17:00"),
        ("24:00", "08:00"),
        ("09:60", "17:00"),
        ("09:00", ""),
    ] {
        let e = WorkingHours::new(start, end, "Europe/London").unwrap_err();
        assert!(
            matches!(e, QuietHoursError::Time { .. }),
            "{start}-{end}: {e}"
        );
        assert!(e.to_string().contains("HH:MM"), "{e}");
    }
    let e = WorkingHours::new("09:00", "09:00", "Europe/London").unwrap_err();
    assert_eq!(e, QuietHoursError::Empty("09:00".into()));
    for tz in [
        "Mars/Olympus_Mons",
        "",
        "EST5EDT,M3.2.0,M11.1.0",
        "../../etc/passwd",
    ] {
        let e = WorkingHours::new("09:00", "17:00", tz).unwrap_err();
        assert!(matches!(e, QuietHoursError::TimeZone(_)), "{tz}: {e}");
    }
    // Stored hours are checked again when used.
    let tampered = WorkingHours {
        start: "9am".into(),
        end: "17:00".into(),
        time_zone: "Europe/London".into(),
    };
    assert!(should_notify(Some(&tampered), datetime!(2026-11-22 12:00 UTC)).is_err());
}
