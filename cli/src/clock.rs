//! Time, honouring `SOURCE_DATE_EPOCH` so that reports are reproducible.

use jiff::Timestamp;
use jiff::civil::Date;

/// `SOURCE_DATE_EPOCH`, when set to a valid number of seconds.
pub fn source_date_epoch() -> Option<i64> {
    std::env::var("SOURCE_DATE_EPOCH").ok()?.trim().parse().ok()
}

/// Now, in Unix seconds (or `SOURCE_DATE_EPOCH`).
pub fn now_seconds() -> i64 {
    source_date_epoch().unwrap_or_else(|| Timestamp::now().as_second())
}

/// Today's UTC date, which decides whether ignore entries have expired.
pub fn today() -> Date {
    Timestamp::from_second(now_seconds())
        .map(|t| t.to_zoned_datetime(jiff::tz::TimeZone::UTC).date())
        .unwrap_or_default()
}

/// Seconds as RFC 3339 UTC (`2026-11-27T10:00:00Z`).
pub fn rfc3339(seconds: i64) -> String {
    Timestamp::from_second(seconds)
        .unwrap_or(Timestamp::UNIX_EPOCH)
        .to_string()
}
