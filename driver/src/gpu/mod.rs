//! The device object graph on top of RM: memory, VA space, channels, submission, fault reports.
//!
//! Hardware-independent parts (VA allocation, ring arithmetic, copy chunking, timeline values,
//! allocation parameters, control-reply decoding) are unit-tested here. The parts that talk to a
//! GPU ([`nvk`]) are **unverified**: no GPU was available to this work.

pub mod copy;
pub mod fault;
pub mod info;
pub mod memory;
pub mod ring;
pub mod timeline;
pub mod va;
pub mod nvk;
