//! [`Event`]: a point on a device's timeline, and GPU time between two of them.

use crate::error::{Error, Result};
use crate::stream::Stream;
use nvbare_driver::gpu::memory::Placement;
use nvbare_driver::gpu::nvk::GpuMemory;
use std::sync::Arc;
use std::time::Duration;

/// A recorded point in a stream.
#[derive(Debug, Clone)]
pub struct Event {
    pub(crate) value: u64,
    pub(crate) gpu_ns: Option<u64>,
    /// 16-byte semaphore (payload, GPU timestamp) the GPU writes when it reaches the event.
    pub(crate) slot: Option<Arc<GpuMemory>>,
}

impl Event {
    /// Timeline value the event waits for.
    pub fn value(&self) -> u64 {
        self.value
    }

    /// The GPU time (ns) written when the event was reached, once it has been (`None` before).
    pub fn gpu_time_ns(&self) -> Result<Option<u64>> {
        if let Some(t) = self.gpu_ns {
            return Ok(Some(t));
        }
        let Some(slot) = self.slot.as_ref() else {
            return Ok(None);
        };
        let cpu = slot
            .cpu()
            .ok_or(Error::NotYetImplemented("event slot without CPU mapping"))?;
        let payload = cpu.read_u64(0)?;
        if payload < self.value {
            return Ok(None);
        }
        Ok(Some(cpu.read_u64(8)?))
    }

    /// GPU time from `earlier` to `self` (both must have completed; synchronize first).
    pub fn elapsed_since(&self, earlier: &Event) -> Result<Duration> {
        match (earlier.gpu_time_ns()?, self.gpu_time_ns()?) {
            (Some(a), Some(b)) => {
                b.checked_sub(a)
                    .map(Duration::from_nanos)
                    .ok_or(Error::EventOrder {
                        earlier_ns: a,
                        later_ns: b,
                    })
            }
            _ => Err(Error::EventNotReached),
        }
    }
}

impl Stream {
    /// Records an event after all work submitted so far.
    pub fn record_event(&self) -> Result<Event> {
        let gpu = self.device.gpu();
        let slot = gpu.alloc(4096, Placement::Sysmem, true)?;
        let value = gpu.timestamp(slot.va())?;
        Ok(Event {
            value,
            gpu_ns: None,
            slot: Some(Arc::new(slot)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elapsed_needs_ordered_timestamps() {
        let a = Event {
            value: 1,
            gpu_ns: Some(1_000),
            slot: None,
        };
        let b = Event {
            value: 2,
            gpu_ns: Some(4_500),
            slot: None,
        };
        assert_eq!(b.elapsed_since(&a).unwrap(), Duration::from_nanos(3_500));
        assert!(matches!(
            a.elapsed_since(&b),
            Err(Error::EventOrder {
                earlier_ns: 4_500,
                later_ns: 1_000
            })
        ));
        let c = Event {
            value: 3,
            gpu_ns: None,
            slot: None,
        };
        assert!(matches!(c.elapsed_since(&a), Err(Error::EventNotReached)));
    }
}
