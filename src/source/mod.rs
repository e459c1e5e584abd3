//! Where lines come from: a local file or stdin ([`local`]), and the GitHub
//! gist behind the telemetry (`fetch`).

pub mod local;
