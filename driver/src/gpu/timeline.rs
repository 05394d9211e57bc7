//! 64-bit timeline semaphores: the GPU writes increasing values into a semaphore word in memory;
//! the CPU waits for a value with a bounded poll ([`crate::poll::poll_timeout`]).
//! The value arithmetic is hardware-independent and unit-tested.

use crate::error::{Error, Result};
use crate::poll::poll_timeout;
use std::time::Duration;

/// CPU-side state of one timeline: the last value handed out.
#[derive(Debug, Clone, Default)]
pub struct Timeline {
    last: u64,
}

impl Timeline {
    /// A timeline whose semaphore memory starts at 0.
    pub fn new() -> Self {
        Timeline { last: 0 }
    }

    /// The next value to signal (strictly increasing; 64 bits do not wrap in practice, and an
    /// exhausted timeline is an error rather than a wrap).
    pub fn next_value(&mut self) -> Result<u64> {
        self.last = self.last.checked_add(1).ok_or(Error::OutOfRange {
            what: "timeline value",
            value: u64::MAX,
            limit: u64::MAX - 1,
        })?;
        Ok(self.last)
    }

    /// The value the next submission will signal, without taking it: a submission that fails
    /// before reaching the GPU must not leave a hole in the timeline (later submissions wait for
    /// their predecessor's value). Take it with [`Timeline::commit`] once submitted.
    pub fn peek_next(&self) -> Result<u64> {
        self.last.checked_add(1).ok_or(Error::OutOfRange {
            what: "timeline value",
            value: u64::MAX,
            limit: u64::MAX - 1,
        })
    }

    /// Records that `value` (from [`Timeline::peek_next`]) was submitted.
    pub fn commit(&mut self, value: u64) {
        self.last = self.last.max(value);
    }

    /// The last value handed out (everything submitted so far is complete when the semaphore
    /// reads this).
    pub fn last(&self) -> u64 {
        self.last
    }

    /// Whether `target` has passed given the semaphore's current value.
    pub fn passed(current: u64, target: u64) -> bool {
        current >= target
    }

    /// Waits until `read()` (the semaphore word) reaches `target`, for at most `timeout`.
    /// `check` runs on every poll and can turn a detected channel error into an error.
    pub fn wait(
        what: &'static str,
        target: u64,
        timeout: Duration,
        mut read: impl FnMut() -> Result<u64>,
        mut check: impl FnMut() -> Result<()>,
    ) -> Result<u64> {
        poll_timeout(what, timeout, || {
            let v = read()?;
            if Self::passed(v, target) {
                return Ok(Some(v));
            }
            check()?;
            Ok(None)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[test]
    fn values_increase_and_wait_is_bounded() {
        let mut t = Timeline::new();
        assert_eq!(t.next_value().unwrap(), 1);
        assert_eq!(t.next_value().unwrap(), 2);
        let mem = Cell::new(0u64);
        let polls = Cell::new(0u32);
        let v = Timeline::wait(
            "test",
            2,
            Duration::from_secs(5),
            || {
                polls.set(polls.get() + 1);
                if polls.get() == 5 {
                    mem.set(3);
                }
                Ok(mem.get())
            },
            || Ok(()),
        )
        .unwrap();
        assert_eq!(v, 3);
        let e = Timeline::wait("never", 10, Duration::from_millis(10), || Ok(1), || Ok(()))
            .unwrap_err();
        assert!(matches!(e, Error::Timeout { what: "never", .. }));
        let e = Timeline::wait(
            "fault",
            10,
            Duration::from_secs(5),
            || Ok(1),
            || {
                Err(Error::InvalidArgument {
                    what: "channel",
                    detail: "stopped".into(),
                })
            },
        )
        .unwrap_err();
        assert!(matches!(e, Error::InvalidArgument { .. }));
        let mut full = Timeline { last: u64::MAX };
        assert!(matches!(
            full.next_value(),
            Err(crate::error::Error::OutOfRange {
                what: "timeline value",
                ..
            })
        ));
        let mut t = Timeline::new();
        assert_eq!(t.peek_next().unwrap(), 1);
        assert_eq!(t.peek_next().unwrap(), 1, "peeking does not take the value");
        t.commit(1);
        assert_eq!((t.last(), t.peek_next().unwrap()), (1, 2));
    }
}
