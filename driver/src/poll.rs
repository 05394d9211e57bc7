//! The one bounded wait used by every poll loop in the driver.

use crate::error::{Error, Result};
use std::time::{Duration, Instant};

/// Calls `cond` until it returns `Ok(Some(v))`, an error, or `timeout` elapses.
///
/// `cond` is always called at least once, and once more after the deadline has passed, so a
/// condition that became true just as time ran out is still seen. Between calls the thread
/// spins briefly and then yields/sleeps with a back-off capped at `max_sleep`.
///
/// Returns [`Error::Timeout`] naming `what` when the deadline passes.
pub fn poll_timeout<T>(
    what: &'static str,
    timeout: Duration,
    mut cond: impl FnMut() -> Result<Option<T>>,
) -> Result<T> {
    poll_timeout_with(what, timeout, Duration::from_millis(1), &mut cond)
}

/// [`poll_timeout`] with an explicit cap on the sleep between polls.
pub fn poll_timeout_with<T>(
    what: &'static str,
    timeout: Duration,
    max_sleep: Duration,
    mut cond: impl FnMut() -> Result<Option<T>>,
) -> Result<T> {
    let start = Instant::now();
    let mut spins: u32 = 0;
    let mut sleep = Duration::from_micros(1);
    loop {
        let expired = start.elapsed() >= timeout;
        if let Some(v) = cond()? {
            return Ok(v);
        }
        if expired {
            return Err(Error::Timeout {
                what,
                waited: start.elapsed(),
            });
        }
        if spins < 64 {
            spins += 1;
            std::hint::spin_loop();
        } else if spins < 128 {
            spins += 1;
            std::thread::yield_now();
        } else {
            let left = timeout.saturating_sub(start.elapsed());
            std::thread::sleep(sleep.min(left).min(max_sleep));
            sleep = (sleep * 2).min(max_sleep);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn returns_value_when_ready() {
        let mut n = 0;
        let v = poll_timeout("counter", Duration::from_secs(1), || {
            n += 1;
            Ok((n == 10).then_some(n))
        })
        .unwrap();
        assert_eq!(v, 10);
    }

    #[test]
    fn times_out_and_names_the_wait() {
        let t = Instant::now();
        let err = poll_timeout::<()>("never", Duration::from_millis(20), || Ok(None)).unwrap_err();
        assert!(t.elapsed() >= Duration::from_millis(20));
        assert!(t.elapsed() < Duration::from_secs(2));
        match err {
            Error::Timeout { what, waited } => {
                assert_eq!(what, "never");
                assert!(waited >= Duration::from_millis(20));
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(err_to_string_contains("never"));
    }

    fn err_to_string_contains(s: &str) -> bool {
        Error::Timeout {
            what: "never",
            waited: Duration::ZERO,
        }
        .to_string()
        .contains(s)
    }

    #[test]
    fn propagates_errors() {
        let err = poll_timeout::<()>("x", Duration::from_secs(5), || {
            Err(Error::Timeout {
                what: "inner",
                waited: Duration::ZERO,
            })
        })
        .unwrap_err();
        assert!(err.to_string().contains("inner"));
    }
}
