//! Where lines come from: a local file or stdin ([`local`]), and the GitHub
//! gist behind the telemetry (`fetch`): the gist API client ([`gist`]), the
//! local archive that only grows ([`archive`]) and the gist's git history
//! ([`history`]).

pub mod archive;
pub mod gist;
pub mod history;
pub mod local;
