//! [`Event`]: a point on a device's timeline, and GPU time between two of them.

use crate::error::{Error, Result};
use crate::stream::Stream;
use std::time::Duration;

/// A recorded point in a stream.
#[derive(Debug, Clone)]
pub struct Event {
    pub(crate) value: u64,
    pub(crate) gpu_ns: Option<u64>,
}

impl Event {
    /// Timeline value the event waits for.
    pub fn value(&self) -> u64 {
        self.value
    }

    /// GPU time from `earlier` to `self` (both must have completed with GPU timestamps).
    pub fn elapsed_since(&self, earlier: &Event) -> Result<Duration> {
        match (earlier.gpu_ns, self.gpu_ns) {
            (Some(a), Some(b)) => b.checked_sub(a).map(Duration::from_nanos).ok_or(Error::InvalidLaunchConfig(format!(
                "event order: the later event's GPU time {b} ns precedes the earlier one's {a} ns"
            ))),
            _ => Err(Error::NotYetImplemented("GPU timestamps for events (semaphore release with timestamp) are not wired in this build")),
        }
    }
}

impl Stream {
    /// Records an event after all work submitted so far.
    pub fn record_event(&self) -> Result<Event> {
        Ok(Event { value: self.device.gpu().last_submitted(), gpu_ns: None })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elapsed_needs_ordered_timestamps() {
        let a = Event { value: 1, gpu_ns: Some(1_000) };
        let b = Event { value: 2, gpu_ns: Some(4_500) };
        assert_eq!(b.elapsed_since(&a).unwrap(), Duration::from_nanos(3_500));
        assert!(a.elapsed_since(&b).is_err());
        let c = Event { value: 3, gpu_ns: None };
        assert!(matches!(c.elapsed_since(&a), Err(Error::NotYetImplemented(_))));
    }
}
