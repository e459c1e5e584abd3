//! jmo-analyze: turns JMo Security's opt-in telemetry (one JSON event a line)
//! into numbers a maintainer can trust and publish.
//!
//! Data flows one way: [`source`] (where lines come from) → [`event`] (typed
//! events) → [`metrics`] (counts and rates) → [`render`] (bytes) → files.

pub mod audit;
pub mod cli;
pub mod cmd;
pub mod event;
pub mod interrupt;
pub mod metrics;
pub mod render;
pub mod report;
pub mod source;
mod swar;
