//! The device object graph on top of RM: memory, VA space, channels, submission, fault reports.

pub mod fault;
