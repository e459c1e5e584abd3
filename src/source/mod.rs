//! source

pub mod archive;
pub mod gist;
pub mod history;
