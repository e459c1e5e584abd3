//! JSON: the stable schema `jmo-analyze.summary/1` (see README).

use super::Renderer;
use crate::metrics::Summary;

/// Pretty-printed JSON, keys in a fixed order, a final newline.
pub struct JsonRenderer;

impl Renderer for JsonRenderer {
    fn render(&self, summary: &Summary) -> anyhow::Result<Vec<u8>> {
        let mut out = serde_json::to_vec_pretty(summary)?;
        out.push(b'\n');
        Ok(out)
    }
}
