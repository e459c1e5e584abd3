//! Typed events: the schema ([`schema`]), timestamps ([`time`]), one-line
//! parsing ([`parse`], with a one-pass fast path for the common case) and the streaming, parallel reader of a whole input
//! ([`ingest`](mod@ingest)).

mod fast;
pub mod ingest;
pub mod parse;
pub mod schema;
pub mod time;

pub use ingest::{IngestStats, LinePos, Problem, Sink, ingest};
pub use parse::{Parsed, parse_line};
pub use schema::{Event, EventClass, Payload};
