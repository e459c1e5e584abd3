//! JSON: the stable schema `jmo-analyze.summary/1` (see README).

use std::io::{self, Write};

use super::Renderer;
use crate::metrics::Summary;

/// Pretty-printed JSON, keys in a fixed order, a final newline.
pub struct JsonRenderer;

impl Renderer for JsonRenderer {
    fn write_to(&self, summary: &Summary, out: &mut dyn Write) -> anyhow::Result<()> {
        // An I/O error stays one (a closed pipe ends the run quietly).
        serde_json::to_writer_pretty(&mut *out, summary).map_err(|e| match e.is_io() {
            true => anyhow::Error::from(io::Error::from(e)),
            false => e.into(),
        })?;
        out.write_all(b"\n")?;
        Ok(())
    }
}
