//! Charts as SVG and PNG, drawn with plotters.
//!
//! A [`Chart`] is a small, prepared description (title, axis with its unit,
//! bars or series); [`Chart::svg`] and [`Chart::png`] draw it. Both backends
//! share one drawing path. Text is laid out (and, in PNGs, rasterised) with
//! the bundled DejaVu Sans (`assets/fonts/`, registered as `sans-serif`), so a
//! machine without system fonts draws the same pixels; SVGs name the generic
//! `sans-serif` family so a browser uses its own. Colours are the Okabe–Ito
//! palette, distinguishable with the common colour-vision deficiencies.
//!
//! [`summary_charts`] builds the standard set from any [`Summary`]; the
//! report builds the same kinds from its privacy-checked tables.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Once, OnceLock};

use anyhow::anyhow;
use plotters::coord::Shift;
use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use rustc_hash::{FxHashMap, FxHashSet};

use super::text::terminal_safe;
use crate::metrics::stats::wilson95;
use crate::metrics::{Filters, MetricId, MetricRows, Row, Summary, Value, shown_order};

/// Width of every chart in pixels (SVG user units and PNG pixels).
pub const WIDTH: u32 = 800;

/// The label of the row that gathers values too small (or too many) to show.
pub const OTHER: &str = "Other";

/// The font every chart's text is measured and rasterised with.
const FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
/// The family the font is registered under (and the SVGs name).
const FAMILY: &str = "sans-serif";

/// Okabe & Ito (2008) colour-blind-safe palette, yellow last (low contrast on white).
pub const PALETTE: [RGBColor; 7] = [
    RGBColor(0x00, 0x72, 0xB2), // blue
    RGBColor(0xE6, 0x9F, 0x00), // orange
    RGBColor(0x00, 0x9E, 0x73), // bluish green
    RGBColor(0xD5, 0x5E, 0x00), // vermillion
    RGBColor(0xCC, 0x79, 0xA7), // reddish purple
    RGBColor(0x56, 0xB4, 0xE9), // sky blue
    RGBColor(0xF0, 0xE4, 0x42), // yellow
];
/// Grey for "Other".
const GREY: RGBColor = RGBColor(0x99, 0x99, 0x99);
const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
const MUTED: RGBColor = RGBColor(0x55, 0x55, 0x55);

const TITLE_AREA: u32 = 58;
const LEGEND_WIDTH: u32 = 170;
/// The most series a legend lists.
const LEGEND_ROWS: usize = 14;

/// One horizontal bar: a percentage, optionally with its 95% interval.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// Category label (untrusted text; sanitised when drawn).
    pub label: String,
    /// Value in percent.
    pub percent: f64,
    /// 95% interval in percent.
    pub interval: Option<(f64, f64)>,
    /// Drawn grey: the "Other" bar.
    pub other: bool,
}

/// A named series of values, one per category (`None`: not shown).
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend label.
    pub name: String,
    /// One value per category.
    pub values: Vec<Option<f64>>,
    /// Drawn grey: the "Other" series.
    pub other: bool,
}

/// One panel of a line chart: a y axis and its values per x category.
#[derive(Debug, Clone, PartialEq)]
pub struct Panel {
    /// The y axis description, with its unit.
    pub axis: String,
    /// Values (`None` breaks the line: not shown).
    pub values: Vec<Option<f64>>,
}

/// What a chart draws.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// Horizontal bars of percentages (x axis in %), top to bottom.
    Bars(Vec<Bar>),
    /// Vertical bars per category, one bar per series side by side (y in %).
    Grouped {
        /// The categories along x.
        categories: Vec<String>,
        /// The series (legend).
        series: Vec<Series>,
    },
    /// Vertical bars per category, series stacked (y in %).
    Stacked {
        /// The categories along x.
        categories: Vec<String>,
        /// The series (legend), bottom first.
        series: Vec<Series>,
    },
    /// Panels of lines over the same categories, stacked vertically.
    Lines {
        /// The categories along x.
        categories: Vec<String>,
        /// The panels, top first.
        panels: Vec<Panel>,
    },
}

/// A chart ready to draw.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// File stem, e.g. `platforms`.
    pub name: String,
    /// Title.
    pub title: String,
    /// One line under the title: what is counted, over which events.
    pub subtitle: String,
    /// The value axis description with its unit (bars: x; others: y).
    pub axis: String,
    /// The category axis description (grouped, stacked and line charts).
    pub category_axis: String,
    /// The content.
    pub kind: Kind,
}

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The bytes are compiled in; failing to parse them is a build defect.
        if plotters::style::register_font(FAMILY, FontStyle::Normal, FONT).is_err() {
            panic!("the bundled DejaVu Sans font does not parse");
        }
    });
}

/// A chart drawn both ways.
#[derive(Debug, Clone, PartialEq)]
pub struct Drawn {
    pub name: String,
    pub svg: String,
    pub png: Vec<u8>,
}

/// Draws every chart as SVG and PNG, in the order given, the charts spread
/// over the cores (PNG compression is most of a report's serial tail).
pub fn draw_all(charts: &[Chart]) -> anyhow::Result<Vec<Drawn>> {
    use rayon::prelude::*;
    charts
        .par_iter()
        .map(|c| {
            Ok(Drawn {
                name: c.name.clone(),
                svg: c.svg()?,
                png: c.png()?,
            })
        })
        .collect()
}

impl Chart {
    /// Height in pixels: bar charts grow with their bars.
    pub fn height(&self) -> u32 {
        match &self.kind {
            Kind::Bars(bars) => (TITLE_AREA + 70 + 30 * bars.len() as u32).max(220),
            Kind::Grouped { .. } | Kind::Stacked { .. } => 440,
            Kind::Lines { panels, .. } => TITLE_AREA + 60 + 190 * panels.len() as u32,
        }
    }

    /// The chart as a standalone SVG document.
    pub fn svg(&self) -> anyhow::Result<String> {
        register_font();
        let mut out = String::new();
        {
            let root =
                SVGBackend::with_string(&mut out, (WIDTH, self.height())).into_drawing_area();
            self.draw(&root)
                .map_err(|e| anyhow!("drawing chart {}: {e}", self.name))?;
            root.present()
                .map_err(|e| anyhow!("drawing chart {}: {e}", self.name))?;
        }
        Ok(out)
    }

    /// The chart as a PNG image (8-bit RGB).
    pub fn png(&self) -> anyhow::Result<Vec<u8>> {
        register_font();
        let (w, h) = (WIDTH, self.height());
        let mut rgb = vec![0u8; (w * h * 3) as usize];
        {
            let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
            self.draw(&root)
                .map_err(|e| anyhow!("drawing chart {}: {e}", self.name))?;
            root.present()
                .map_err(|e| anyhow!("drawing chart {}: {e}", self.name))?;
        }
        let mut out = Vec::new();
        {
            let mut enc = png::Encoder::new(&mut out, w, h);
            enc.set_color(png::ColorType::Rgb);
            enc.set_depth(png::BitDepth::Eight);
            enc.set_compression(png::Compression::Best);
            let mut writer = enc.write_header()?;
            writer.write_image_data(&rgb)?;
            writer.finish()?;
        }
        Ok(out)
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        root.fill(&WHITE)?;
        let (head, body) = root.split_vertically(TITLE_AREA);
        head.draw(&Text::new(
            clip(&self.title, 70),
            (16, 10),
            (FAMILY, 26).into_font().color(&INK),
        ))?;
        head.draw(&Text::new(
            clip(&self.subtitle, SUBTITLE_CHARS),
            (16, 38),
            (FAMILY, 17).into_font().color(&MUTED),
        ))?;
        let body = body.margin(4, 12, 8, 16);
        match &self.kind {
            Kind::Bars(bars) => self.draw_bars(&body, bars),
            Kind::Grouped { categories, series } => {
                self.draw_columns(&body, categories, series, false)
            }
            Kind::Stacked { categories, series } => {
                self.draw_columns(&body, categories, series, true)
            }
            Kind::Lines { categories, panels } => self.draw_lines(&body, categories, panels),
        }
    }

    fn draw_bars<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        bars: &[Bar],
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        if bars.is_empty() {
            return no_data(area);
        }
        let n = bars.len() as i32;
        let top = bars
            .iter()
            .map(|b| b.interval.map_or(b.percent, |i| i.1.max(b.percent)))
            .fold(0.0, f64::max);
        let x_max = nice_ceiling(top).min(100.0).max(top);
        // Fitted by their drawn width, not their characters (a review:
        // 25 W's ran off the image's left edge).
        let labels = distinct_labels(bars.iter().map(|b| b.label.as_str()), |s| fit(s, 26, 214));
        let label_px = labels
            .iter()
            .map(|l| text_width(l) + 16)
            .max()
            .unwrap_or(40)
            .clamp(40, 230);
        let mut chart = ChartBuilder::on(area)
            .margin_right(64)
            .x_label_area_size(48)
            .y_label_area_size(label_px)
            // One bar would make the range 0..0, which has no size to map
            // onto: no label is drawn. It gets a second, empty row.
            .build_cartesian_2d(0f64..x_max, (0..(n - 1).max(1)).into_segmented())?;
        let label_of = |v: &SegmentValue<i32>| match v {
            SegmentValue::CenterOf(i) if (0..n).contains(i) => labels[(n - 1 - i) as usize].clone(),
            _ => String::new(),
        };
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(bars.len())
            .y_label_formatter(&label_of)
            .x_labels(6)
            .x_label_formatter(&|v| format!("{v:.0}%"))
            .x_desc(self.axis.as_str())
            .label_style((FAMILY, 17).into_font().color(&INK))
            .axis_desc_style((FAMILY, 17).into_font().color(&INK))
            .max_light_lines(1)
            .light_line_style(RGBColor(0xF4, 0xF4, 0xF4))
            .bold_line_style(RGBColor(0xDD, 0xDD, 0xDD))
            .draw()?;
        for (i, bar) in bars.iter().enumerate() {
            let y = n - 1 - i as i32;
            let colour = if bar.other { GREY } else { PALETTE[0] };
            let mut rect = Rectangle::new(
                [
                    (0.0, SegmentValue::Exact(y)),
                    (bar.percent, SegmentValue::Exact(y + 1)),
                ],
                colour.filled(),
            );
            rect.set_margin(5, 5, 0, 0);
            chart.plotting_area().draw(&rect)?;
            let mut end = bar.percent;
            if let Some((lo, hi)) = bar.interval {
                let centre = SegmentValue::CenterOf(y);
                let ink = INK.stroke_width(2);
                chart.plotting_area().draw(&PathElement::new(
                    vec![(lo, centre.clone()), (hi, centre.clone())],
                    ink,
                ))?;
                for x in [lo, hi] {
                    chart.plotting_area().draw(
                        &(EmptyElement::at((x, centre.clone()))
                            + PathElement::new(vec![(0, -6), (0, 6)], ink)),
                    )?;
                }
                end = end.max(hi);
            }
            chart.plotting_area().draw(
                &(EmptyElement::at((end, SegmentValue::CenterOf(y)))
                    + Text::new(
                        format!("{}%", super::percent_digits(bar.percent / 100.0)),
                        (6, 0),
                        (FAMILY, 15)
                            .into_font()
                            .color(&INK)
                            .pos(Pos::new(HPos::Left, VPos::Center)),
                    )),
            )?;
        }
        Ok(())
    }

    fn draw_columns<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        categories: &[String],
        series: &[Series],
        stacked: bool,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        if categories.is_empty() || series.is_empty() {
            return no_data(area);
        }
        let (plot, legend) = area.split_horizontally(WIDTH - LEGEND_WIDTH - 28);
        draw_legend(&legend, series)?;
        let g = categories.len();
        let top = if stacked {
            100.0
        } else {
            let m = series
                .iter()
                .flat_map(|s| s.values.iter().flatten())
                .fold(0.0, |a: f64, &b| a.max(b));
            nice_ceiling(m).min(100.0).max(m)
        };
        let step = label_step(categories, 560);
        // Fitted by their drawn width too (a review: 14 W's ran into the
        // next label): as wide as 14 ordinary characters.
        let labels = distinct_labels(categories.iter().map(String::as_str), |c| fit(c, 14, 120));
        let label_of = |v: &f64| {
            let i = (v - 0.5).round();
            if (v - 0.5 - i).abs() < 1e-9
                && i >= 0.0
                && (i as usize) < g
                && (i as usize).is_multiple_of(step)
            {
                labels[i as usize].clone()
            } else {
                String::new()
            }
        };
        let mut chart = ChartBuilder::on(&plot)
            .x_label_area_size(52)
            .y_label_area_size(60)
            .build_cartesian_2d(0f64..g as f64, 0f64..top)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(2 * g + 1)
            .x_label_formatter(&label_of)
            .y_labels(6)
            .y_label_formatter(&|v| format!("{v:.0}%"))
            .x_desc(self.category_axis.as_str())
            .y_desc(self.axis.as_str())
            .label_style((FAMILY, 16).into_font().color(&INK))
            .axis_desc_style((FAMILY, 17).into_font().color(&INK))
            .max_light_lines(1)
            .light_line_style(RGBColor(0xF4, 0xF4, 0xF4))
            .bold_line_style(RGBColor(0xDD, 0xDD, 0xDD))
            .draw()?;
        let m = series.len() as f64;
        for (c, _) in categories.iter().enumerate() {
            let mut base = 0.0;
            for (s, ser) in series.iter().enumerate() {
                let Some(v) = ser.values.get(c).copied().flatten() else {
                    continue;
                };
                let colour = series_colour(ser, s);
                let (x0, x1, y0, y1) = if stacked {
                    let r = (c as f64 + 0.15, c as f64 + 0.85, base, base + v);
                    base += v;
                    r
                } else {
                    let w = 0.8 / m;
                    let x0 = c as f64 + 0.1 + s as f64 * w;
                    (x0, x0 + w, 0.0, v)
                };
                let mut rect = Rectangle::new([(x0, y0), (x1, y1)], colour.filled());
                rect.set_margin(0, 0, 1, 1);
                chart.plotting_area().draw(&rect)?;
            }
        }
        Ok(())
    }

    fn draw_lines<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        categories: &[String],
        panels: &[Panel],
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        if categories.is_empty() || panels.is_empty() {
            return no_data(area);
        }
        let n = categories.len();
        let step = label_step(categories, 640);
        let labels = distinct_labels(categories.iter().map(String::as_str), |c| fit(c, 10, 90));
        let label_of = |v: &f64| {
            let i = v.round();
            if (v - i).abs() < 1e-9
                && i >= 0.0
                && (i as usize) < n
                && (i as usize).is_multiple_of(step)
            {
                labels[i as usize].clone()
            } else {
                String::new()
            }
        };
        let rows = area.split_evenly((panels.len(), 1));
        for (p, (panel, cell)) in panels.iter().zip(rows.iter()).enumerate() {
            let last = p + 1 == panels.len();
            let top = panel
                .values
                .iter()
                .flatten()
                .fold(0.0, |a: f64, &b| a.max(b));
            let y_max = nice_ceiling(top).max(1.0);
            let x_max = (n.max(2) - 1) as f64;
            let mut chart = ChartBuilder::on(cell)
                .margin_top(6)
                .margin_right(12)
                .x_label_area_size(if last { 52 } else { 24 })
                .y_label_area_size(64)
                .build_cartesian_2d(-0.3f64..x_max + 0.3, 0f64..y_max)?;
            let mut mesh = chart.configure_mesh();
            mesh.x_labels(n.min(60) + 1)
                .x_label_formatter(&label_of)
                .y_labels(5)
                .y_label_formatter(&|v| thousands(*v))
                .y_desc(panel.axis.as_str())
                .label_style((FAMILY, 16).into_font().color(&INK))
                .axis_desc_style((FAMILY, 17).into_font().color(&INK))
                .max_light_lines(1)
                .light_line_style(RGBColor(0xF4, 0xF4, 0xF4))
                .bold_line_style(RGBColor(0xDD, 0xDD, 0xDD));
            if last {
                mesh.x_desc(self.category_axis.as_str());
            }
            mesh.draw()?;
            let colour = PALETTE[p % PALETTE.len()];
            let mut run: Vec<(f64, f64)> = Vec::new();
            let mut runs = Vec::new();
            for (i, v) in panel.values.iter().enumerate() {
                match v {
                    Some(v) => run.push((i as f64, *v)),
                    None => runs.push(std::mem::take(&mut run)),
                }
            }
            runs.push(run);
            for run in runs.into_iter().filter(|r| !r.is_empty()) {
                chart.draw_series(LineSeries::new(run.clone(), colour.stroke_width(3)))?;
                chart.draw_series(run.into_iter().map(|p| Circle::new(p, 4, colour.filled())))?;
            }
        }
        Ok(())
    }
}

fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    series: &[Series],
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    // Fitted by their drawn width to the legend's room (a review: 16 W's
    // ran off the image, their distinguishing ends cut off).
    // The 14 drawn, apart from each other (labelling every series cost a
    // review's 8,000 duration buckets seconds).
    let drawn = &series[..series.len().min(LEGEND_ROWS)];
    let names = distinct_labels(drawn.iter().map(|s| s.name.as_str()), |n| fit(n, 16, 146));
    for (i, s) in drawn.iter().enumerate() {
        let y = 12 + 24 * i as i32;
        area.draw(&Rectangle::new(
            [(14, y), (28, y + 14)],
            series_colour(s, i).filled(),
        ))?;
        area.draw(&Text::new(
            names[i].clone(),
            (36, y + 7),
            (FAMILY, 15)
                .into_font()
                .color(&INK)
                .pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
    }
    Ok(())
}

fn no_data<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let (w, h) = area.dim_in_pixel();
    area.draw(&Text::new(
        "No data to show",
        (w as i32 / 2, h as i32 / 2),
        (FAMILY, 16)
            .into_font()
            .color(&MUTED)
            .pos(Pos::new(HPos::Center, VPos::Center)),
    ))
}

fn series_colour(s: &Series, i: usize) -> RGBColor {
    if s.other {
        GREY
    } else {
        PALETTE[i % PALETTE.len()]
    }
}

/// Show every `step`-th category label so labels do not collide.
fn label_step(categories: &[String], px: usize) -> usize {
    let widest = categories
        .iter()
        .map(|c| c.chars().count().min(14))
        .max()
        .unwrap_or(1);
    let per_label = widest * 8 + 12;
    let fit = (px / per_label).max(1);
    categories.len().div_ceil(fit).max(1)
}

/// The smallest 1, 2 or 5 × 10ⁿ at or above `v` (at least 1).
pub fn nice_ceiling(v: f64) -> f64 {
    if v.is_nan() || v <= 1.0 {
        return 1.0;
    }
    let mag = 10f64.powf(v.log10().floor());
    for m in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if m * mag >= v - 1e-9 {
            return m * mag;
        }
    }
    10.0 * mag
}

/// The characters of a subtitle a chart shows; a longer one is cut.
pub const SUBTITLE_CHARS: usize = 88;

/// Untrusted text made safe and short for a chart: control characters shown
/// escaped (they are not valid in SVG), at most `max` characters.
fn clip(s: &str, max: usize) -> String {
    clip_safe(&drawable(terminal_safe(s)), max)
}

/// Whether the bundled font has a glyph for `c`: it draws every other
/// character as the same box.
fn font_draws(c: char) -> bool {
    use ab_glyph::Font as _;
    static FONT_REF: OnceLock<Option<ab_glyph::FontRef<'static>>> = OnceLock::new();
    (FONT_REF.get_or_init(|| ab_glyph::FontRef::try_from_slice(FONT).ok()))
        .as_ref()
        .is_none_or(|font| font.glyph_id(c).0 != 0)
}

/// Text made safe ([`terminal_safe`]) as the charts draw it: a character
/// the bundled font has no glyph for is written `\u{…}` (a review:
/// `高速` and `深度` were both drawn `□□` in the PNGs). A client's own
/// backslash is doubled already, so no text can pass for that form.
fn drawable(s: Cow<'_, str>) -> Cow<'_, str> {
    if s.chars().all(|c| c.is_ascii() || font_draws(c)) {
        return s;
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if c.is_ascii() || font_draws(c) {
            out.push(c);
        } else {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        }
    }
    Cow::Owned(out)
}

/// [`clip`] of text already made safe.
fn clip_safe(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// The labels of a chart's client values (or rows), each made safe and cut
/// by `cut`, and none the same as another (a review: platforms that differ
/// after their 25th character both read `Linux (official build, al…`). Those
/// whose cut labels are the same are cut in the middle instead, as far from
/// their end as tells them apart (`Linux (official b…ok) X1`), or, when no
/// end of the room `cut` leaves does, numbered in order (`Linux (offic…#2`).
/// A label `cut` leaves whole is never changed.
fn distinct_labels<'a>(
    texts: impl IntoIterator<Item = &'a str>,
    cut: impl Fn(&str) -> String,
) -> Vec<String> {
    let safe: Vec<String> = texts
        .into_iter()
        .map(|t| drawable(terminal_safe(t)).into_owned())
        .collect();
    let mut labels: Vec<String> = safe.iter().map(|t| cut(t)).collect();
    // Each value's cut label without its `…`: the most of its start that
    // fits beside one.
    let heads: Vec<Vec<char>> = (labels.iter())
        .map(|label| label.strip_suffix('…').unwrap_or(label).chars().collect())
        .collect();
    let fits = |candidate: &str| cut(candidate) == candidate;
    // The label of value `i` made of the start of its cut label, `…` and an
    // `end`: as many characters as its cut label, fewer only while it does
    // not fit (reviews: tried from the whole text, two 20,000-character
    // values took 84 s; from the room's characters, a character at a time,
    // 4,000 values in one group took 27 s).
    let joined = |i: usize, end: &str| {
        let head = &heads[i];
        let mut keep = head.len().saturating_sub(end.chars().count());
        loop {
            let candidate: String =
                head[..keep].iter().chain(['…'].iter()).collect::<String>() + end;
            if keep == 0 || fits(&candidate) {
                return candidate;
            }
            keep -= 1;
        }
    };
    let mut seen: FxHashMap<String, Vec<usize>> = FxHashMap::default();
    for (i, label) in labels.iter().enumerate() {
        seen.entry(label.clone()).or_default().push(i);
    }
    // A label left whole stays: the others of its group are told from it.
    let mut groups: Vec<Vec<usize>> = (seen.into_values())
        .filter(|g| g.len() > 1)
        .map(|g| g.into_iter().filter(|&i| labels[i] != safe[i]).collect())
        .collect();
    groups.sort_unstable();
    let mut changing = vec![false; labels.len()];
    for &i in groups.iter().flatten() {
        changing[i] = true;
    }
    // The labels that stay, and those given so far: none is given twice.
    // (Made once: per group, a review's 4,000 colliding pairs took 70 s.)
    let mut taken: FxHashSet<String> = (labels.iter().zip(&changing))
        .filter(|(_, changing)| !**changing)
        .map(|(label, _)| label.clone())
        .collect();
    for group in groups {
        let room = group
            .iter()
            .map(|&i| labels[i].chars().count())
            .max()
            .unwrap_or(0);
        // Each member's last characters, as many as a label could show.
        let ends: Vec<Vec<char>> = (group.iter())
            .map(|&i| {
                let mut end: Vec<char> = safe[i].chars().rev().take(room).collect();
                end.reverse();
                end
            })
            .collect();
        let tails = |t: usize| -> Vec<String> {
            (group.iter().zip(&ends))
                .map(|(&i, end)| {
                    let end: String = end[end.len().saturating_sub(t)..].iter().collect();
                    joined(i, &end)
                })
                .collect()
        };
        // Apart from each other and from every label taken.
        let free = |cut: &[String]| {
            let set: FxHashSet<&String> = cut.iter().collect();
            set.len() == cut.len() && cut.iter().all(|label| !taken.contains(label))
        };
        let by_end = (1..room / 2).map(tails).find(|cut| free(cut));
        let mut n = 0;
        let chosen = by_end.unwrap_or_else(|| {
            (group.iter())
                .map(|&i| {
                    loop {
                        n += 1;
                        let label = joined(i, &format!("#{n}"));
                        if !taken.contains(&label) {
                            break label;
                        }
                    }
                })
                .collect()
        });
        for (&i, label) in group.iter().zip(chosen) {
            taken.insert(label.clone());
            labels[i] = label;
        }
    }
    labels
}

/// The width in pixels of `s` in the labels' font (17 px).
fn text_width(s: &str) -> u32 {
    register_font();
    (FAMILY, 17)
        .into_font()
        .box_size(s)
        .map_or(s.chars().count() as u32 * 10, |(w, _)| w)
}

/// [`clip_safe`] to at most `max` characters and `max_px` pixels of the
/// labels' font.
fn fit(s: &str, max: usize, max_px: u32) -> String {
    let mut out = clip_safe(s, max);
    while text_width(&out) > max_px && out.chars().count() > 1 {
        let mut chars: Vec<char> = out.chars().collect();
        if chars.last() == Some(&'…') {
            chars.pop();
        }
        chars.pop();
        out = chars.into_iter().chain(['…']).collect();
    }
    out
}

fn thousands(v: f64) -> String {
    if v.fract().abs() > 1e-9 {
        return format!("{v:.1}");
    }
    let digits = format!("{:.0}", v.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if v < 0.0 { format!("-{out}") } else { out }
}

/// Percent of `count` over `of`, with the 95% Wilson interval in percent.
pub fn percent_with_interval(count: u64, of: u64) -> (f64, Option<(f64, f64)>) {
    let p = if of == 0 {
        0.0
    } else {
        100.0 * count as f64 / of as f64
    };
    let ci = wilson95(count, of).map(|i| (100.0 * i.low, 100.0 * i.high));
    (p, ci)
}

/// Horizontal share bars of a one-dimensional metric: the `top` largest values,
/// the rest (and the report's `Other` row, not a client's value `Other`)
/// gathered in one grey bar; intervals over the metric's denominator.
pub fn share_bars(metric: &MetricRows, top: usize) -> Vec<Bar> {
    let mut bars = Vec::new();
    let (mut rest_count, mut rest) = (0u64, false);
    for row in &metric.rows {
        if row.other || bars.len() >= top {
            rest_count += row.count;
            rest = true;
            continue;
        }
        let (percent, interval) = percent_with_interval(row.count, metric.denominator);
        bars.push(Bar {
            label: client_text(&row.value),
            percent,
            interval,
            other: false,
        });
    }
    if rest {
        let (percent, interval) = percent_with_interval(rest_count, metric.denominator);
        bars.push(Bar {
            label: OTHER.into(),
            percent,
            interval,
            other: true,
        });
    }
    bars
}

/// A client's value as a chart labels it: its text, but a client's value
/// `Other` in quotes, so that it never reads as the chart's own rest bar or
/// series, which is told apart by its colour alone (a review); `null`,
/// which would read as the bar of events without the value (a review); an
/// empty one, which would be a bar without a label; and one that starts with a
/// quote, so that none reads as another's label (`"Other"` sent as it is
/// was labelled as the client's `Other`, a review): a quoted label is
/// always a value that needed the quotes, with them taken off.
fn client_text(v: &Value) -> String {
    match v {
        Value::Str(text) => crate::metrics::quoted_if_read_as_other(text, &[OTHER]).into_owned(),
        v => v.text().to_owned(),
    }
}

/// Per ISO week: events and active installations, in week order.
/// `None` marks a week not shown (hidden by the privacy threshold).
pub type WeekActivity = Vec<(String, Option<(u64, u64)>)>;

/// Weekly activity of a summary, every week of [`shown_weeks`] (weeks
/// without events are zero), and the usage events of the weeks not shown.
pub fn weekly_activity(summary: &Summary) -> (WeekActivity, u64) {
    let act = summary.metric(MetricId::ActiveInstallations);
    let weeks: BTreeMap<String, (u64, u64)> = act
        .rows
        .iter()
        .filter(|r| r.group_text() == Some("week"))
        .map(|r| (r.value.text().to_string(), (r.events.unwrap_or(0), r.count)))
        .collect();
    let events = weeks.iter().map(|(w, v)| (w.as_str(), v.0));
    let (shown, outside) = shown_weeks(events);
    let activity = shown
        .into_iter()
        .map(|w| {
            let v = weeks.get(&w).copied().unwrap_or((0, 0));
            (w, Some(v))
        })
        .collect();
    (activity, outside)
}

/// The most weeks a weekly chart spans (about 19 years).
const MAX_WEEKS: i64 = 1000;

/// The weeks a weekly chart shows, of `weeks` (label, events): every week
/// from the first to the last, or, when those are more than `MAX_WEEKS`
/// apart, the span of that many weeks that holds the most events (the
/// latest of equals), so that a few events with far-off timestamps (a
/// client's clock, a forged line) do not push the rest off the chart (a
/// review: one event dated 1970 left every week of 2025 out); and the
/// events of the weeks left out.
pub fn shown_weeks<'a>(weeks: impl IntoIterator<Item = (&'a str, u64)>) -> (Vec<String>, u64) {
    let mut dated: Vec<(i64, &str, u64)> = weeks
        .into_iter()
        .filter_map(|(w, n)| {
            let monday = week_monday(w)?;
            Some((
                i64::from(chrono::Datelike::num_days_from_ce(&monday)) / 7,
                w,
                n,
            ))
        })
        .collect();
    dated.sort_unstable();
    // In u128: no sum of u64 counts overflows it.
    let total: u128 = dated.iter().map(|d| u128::from(d.2)).sum();
    let (mut best, mut best_sum) = (None, 0u128);
    let (mut start, mut sum) = (0usize, 0u128);
    for (end, &(index, _, n)) in dated.iter().enumerate() {
        sum += u128::from(n);
        while index - dated[start].0 >= MAX_WEEKS {
            sum -= u128::from(dated[start].2);
            start += 1;
        }
        if best.is_none() || sum >= best_sum {
            (best, best_sum) = (Some((start, end)), sum);
        }
    }
    match best {
        Some((first, last)) => (
            week_range(dated[first].1, dated[last].1),
            u64::try_from(total - best_sum).unwrap_or(u64::MAX),
        ),
        None => (Vec::new(), 0),
    }
}

/// The Monday of ISO week `2026-W03`.
pub(crate) fn week_monday(label: &str) -> Option<chrono::NaiveDate> {
    let (y, w) = label.split_once("-W")?;
    chrono::NaiveDate::from_isoywd_opt(y.parse().ok()?, w.parse().ok()?, chrono::Weekday::Mon)
}

/// What the activity chart's subtitle adds when the first or the last of
/// its `weeks` reaches past the period `[since, until)` (either end open):
/// their bars hold only part of a week (a review: 2026-W14 read 332 events
/// in one quarter's chart and 816 in the next).
pub(crate) fn partial_weeks(
    weeks: &WeekActivity,
    since: Option<crate::event::time::Micros>,
    until: Option<crate::event::time::Micros>,
) -> &'static str {
    const WEEK: i64 = 7 * 86_400_000_000;
    let partial = |i: usize| {
        (weeks.get(i))
            .and_then(|(w, _)| week_monday(w))
            .and_then(|m| m.and_hms_opt(0, 0, 0))
            .map(|m| m.and_utc().timestamp_micros())
            .is_some_and(|start| {
                since.is_some_and(|s| s > start) || until.is_some_and(|u| u < start + WEEK)
            })
    };
    let last = weeks.len().saturating_sub(1);
    match (partial(0), last > 0 && partial(last)) {
        (true, _) if last == 0 => "; the one week drawn partial",
        (true, true) => "; first and last weeks partial",
        (true, false) => "; first week partial",
        (false, true) => "; last week partial",
        (false, false) => "",
    }
}

/// Every ISO week label (`2026-W03`) from `first` to `last` inclusive.
pub fn week_range(first: &str, last: &str) -> Vec<String> {
    let (Some(mut d), Some(end)) = (week_monday(first), week_monday(last)) else {
        return vec![first.to_string()];
    };
    let mut out = Vec::new();
    while d <= end && out.len() < MAX_WEEKS as usize {
        let w = chrono::Datelike::iso_week(&d);
        out.push(format!("{}-W{:02}", w.year(), w.week()));
        d += chrono::Duration::days(7);
    }
    out
}

/// The events-and-installations-per-week line chart.
pub fn activity_chart(weeks: &WeekActivity, subtitle: &str) -> Chart {
    Chart {
        name: "activity".into(),
        title: "Events and active installations per ISO week".into(),
        subtitle: subtitle.into(),
        axis: String::new(),
        category_axis: "ISO week (UTC)".into(),
        kind: Kind::Lines {
            categories: weeks.iter().map(|(w, _)| w.clone()).collect(),
            panels: vec![
                Panel {
                    axis: "usage events / week".into(),
                    values: weeks.iter().map(|(_, v)| v.map(|v| v.0 as f64)).collect(),
                },
                Panel {
                    axis: "installations / week".into(),
                    values: weeks.iter().map(|(_, v)| v.map(|v| v.1 as f64)).collect(),
                },
            ],
        },
    }
}

/// The canonical order of duration buckets (others follow, sorted).
const DURATION_ORDER: [&str; 4] = ["<5min", "5-15min", "15-30min", ">30min"];

/// The most clients' values a grouped chart draws apart: one colour of the
/// palette each, none twice, and Other grey.
const MAX_SERIES: usize = 6;

/// Shares within each group of a grouped metric as grouped bars: groups
/// along x (largest first), values as series (buckets in canonical order).
/// Also returns the events of the groups drawn.
pub fn grouped_shares(metric: &MetricRows, max_groups: usize) -> (Vec<String>, Vec<Series>, u64) {
    // By the group itself, not its text: a client's profile "null" is not
    // the group of events without a profile, though both read `null`.
    let mut group_total: BTreeMap<Option<&Value>, u64> = BTreeMap::new();
    for r in &metric.rows {
        *group_total.entry(r.group.as_ref()).or_insert(0) += r.count;
    }
    let mut groups: Vec<(Option<&Value>, u64)> = group_total.into_iter().collect();
    groups.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| shown_order(a.0, b.0)));
    groups.truncate(max_groups);
    // Series: each value, by the value itself and not its text (a client's
    // duration "null" is not the events without one), buckets in canonical
    // order, then the rest as tables show them, then the report's Other
    // (not a client's value `Other`).
    let rank = |other: bool, v: &Value| {
        let bucket = DURATION_ORDER
            .iter()
            .position(|b| *v == Value::Str((*b).into()))
            .unwrap_or(DURATION_ORDER.len());
        (other, bucket, v.text().to_owned(), v.clone())
    };
    let order: BTreeSet<(bool, usize, String, Value)> = metric
        .rows
        .iter()
        .map(|r| rank(r.other, &r.value))
        .collect();
    // Each (group, value)'s row (the first of any that share both), found
    // once per point instead of by a search of all rows: a client can send
    // many values.
    let mut cells: FxHashMap<(Option<&Value>, bool, &Value), &Row> = FxHashMap::default();
    for r in &metric.rows {
        cells
            .entry((r.group.as_ref(), r.other, &r.value))
            .or_insert(r);
    }
    let values_of = |other: bool, v: &Value| -> Vec<Option<f64>> {
        groups
            .iter()
            .map(|(g, total)| {
                (cells.get(&(*g, other, v)))
                    .map(|r| 100.0 * r.count as f64 / (*total).max(1) as f64)
            })
            .collect()
    };
    // At most `MAX_SERIES` of the clients' values, drawn apart: the
    // buckets, then those of the most events in the groups drawn (a
    // review: 14 made-up buckets were drawn in the palette's 7 colours
    // twice over, and 54 of them past the legend's rows). The rest, with
    // the report's Other, are one grey series, Other; a value of no group
    // drawn is none.
    let mut weight: FxHashMap<&Value, u64> = FxHashMap::default();
    for r in &metric.rows {
        if !r.other && groups.iter().any(|g| g.0 == r.group.as_ref()) {
            *weight.entry(&r.value).or_insert(0) += r.count;
        }
    }
    let mut ranked: Vec<&(bool, usize, String, Value)> = (order.iter())
        .filter(|(other, _, _, v)| !other && weight.contains_key(v))
        .collect();
    ranked.sort_by_key(|(_, bucket, _, v)| {
        (
            *bucket == DURATION_ORDER.len(),
            std::cmp::Reverse(weight[v]),
        )
    });
    let kept: FxHashSet<&Value> = ranked.iter().take(MAX_SERIES).map(|o| &o.3).collect();
    let mut series: Vec<Series> = (order.iter())
        .filter(|(other, _, _, v)| !other && kept.contains(v))
        .map(|(_, _, _, v)| Series {
            name: client_text(v),
            other: false,
            values: values_of(false, v),
        })
        .collect();
    let rest: Vec<Vec<Option<f64>>> = (ranked.iter().skip(MAX_SERIES))
        .map(|(_, _, _, v)| values_of(false, v))
        .chain(
            (order.iter())
                .filter(|o| o.0)
                .map(|(_, _, _, v)| values_of(true, v)),
        )
        .collect();
    if !rest.is_empty() {
        series.push(Series {
            name: OTHER.to_owned(),
            other: true,
            values: (0..groups.len())
                .map(|g| (rest.iter().filter_map(|values| values[g])).reduce(|a, b| a + b))
                .collect(),
        });
    }
    let labels = groups
        .iter()
        // As the values are labelled (a review: an empty profile had no
        // label here, `""` in the profiles chart), and no profile as the
        // tables show it.
        .map(|g| g.0.map_or_else(|| "null".to_owned(), client_text))
        .collect();
    let drawn = groups.iter().map(|g| g.1).sum();
    (labels, series, drawn)
}

/// Version adoption per week: the `top` versions overall as stacked shares
/// of each week's usage events, the rest as "Other", over the weeks of
/// [`shown_weeks`]; and the usage events of the weeks not shown.
pub fn version_adoption(metric: &MetricRows, top: usize) -> (Vec<String>, Vec<Series>, u64) {
    // By the value itself, not its text; the report's Other rows only in
    // the rest (a client can send the version `Other`).
    let mut totals: BTreeMap<&Value, u64> = BTreeMap::new();
    let mut weeks: BTreeMap<String, u64> = BTreeMap::new();
    for r in &metric.rows {
        if !r.other {
            *totals.entry(&r.value).or_insert(0) += r.count;
        }
        *weeks
            .entry(r.group_text().unwrap_or_default().to_string())
            .or_insert(0) += r.count;
    }
    let mut ranked: Vec<(&Value, u64)> = totals.into_iter().collect();
    ranked.sort_by(|a, b| {
        b.1.cmp(&a.1)
            .then_with(|| shown_order(Some(a.0), Some(b.0)))
    });
    let shown: Vec<&Value> = ranked.into_iter().take(top).map(|v| v.0).collect();
    let (categories, outside) = shown_weeks(weeks.iter().map(|(w, n)| (w.as_str(), *n)));
    // Each week's rows, gathered once (not searched for at every point).
    let mut of_week: FxHashMap<&str, Vec<&Row>> = FxHashMap::default();
    for r in &metric.rows {
        if let Some(week) = r.group_text() {
            of_week.entry(week).or_default().push(r);
        }
    }
    let share = |week: &str, pick: &dyn Fn(&Row) -> bool| -> Option<f64> {
        let total = *weeks.get(week)?;
        let n: u64 = (of_week.get(week).into_iter().flatten())
            .filter(|r| pick(r))
            .map(|r| r.count)
            .sum();
        (total > 0).then(|| 100.0 * n as f64 / total as f64)
    };
    let mut series: Vec<Series> = shown
        .iter()
        .map(|v| Series {
            name: client_text(v),
            other: false,
            values: categories
                .iter()
                .map(|w| share(w, &|r: &Row| !r.other && r.value == **v))
                .collect(),
        })
        .collect();
    let rest = Series {
        name: OTHER.into(),
        other: true,
        values: categories
            .iter()
            .map(|w| share(w, &|r: &Row| r.other || !shown.contains(&&r.value)))
            .collect(),
    };
    if rest.values.iter().flatten().any(|v| *v > 0.0) {
        series.push(rest);
    }
    // The year is left out when every week has the same (a review: weeks
    // of two years read `W01 … W49 | W01`).
    let year = |w: &String| w.split_once('-').map(|(year, _)| year.to_owned());
    let one_year = categories.iter().map(year).collect::<FxHashSet<_>>().len() <= 1;
    let short = categories
        .iter()
        .map(|w| match w.split_once('-') {
            Some((_, week)) if one_year => week.to_string(),
            _ => w.clone(),
        })
        .collect();
    (short, series, outside)
}

/// The failure-rate chart's subtitle: why there is no bar under a filter
/// that splits scans, else what a bar is, and how many of the table's
/// `tools` are `drawn` when not all are.
fn failure_rates_subtitle(filters: &Filters, drawn: usize, tools: usize) -> String {
    match filters.splits_scans() {
        Some(_) if filters.exclude_ci => {
            "No rates under --exclude-ci: it drops CI scans' starts, not their tool.failed".into()
        }
        Some(_) => {
            "No rates under --version: one run may send its events under several versions".into()
        }
        None if drawn < tools => format!(
            "{drawn} of {} tool{}; tool.failed over scans enabling it; 95% Wilson whiskers",
            thousands(tools as f64),
            if tools == 1 { "" } else { "s" }
        ),
        None => "tool.failed events over scans that enabled the tool; 95% Wilson whiskers".into(),
    }
}

/// The tools the failure-rate chart draws at most: those of the highest
/// rates (rates do not add up to an `Other` bar).
pub const FAILURE_RATE_BARS: usize = 12;

/// Failure rate per tool with its interval: failures over scan.started
/// events that enabled the tool.
pub fn failure_rate_bars(metric: &MetricRows, top: usize) -> Vec<Bar> {
    let mut rows: Vec<_> = metric
        .rows
        .iter()
        .filter(|r| r.runs.is_some_and(|n| n > 0) && r.rate.is_some() && !r.other)
        .collect();
    rows.sort_by(|a, b| {
        b.rate
            .partial_cmp(&a.rate)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| a.value.text().cmp(b.value.text()))
    });
    rows.into_iter()
        .take(top)
        .map(|r| {
            let runs = r.runs.unwrap_or(0);
            let (percent, interval) = percent_with_interval(r.count.min(runs), runs);
            Bar {
                label: client_text(&r.value),
                percent: if r.count > runs {
                    100.0 * r.rate.unwrap_or(0.0)
                } else {
                    percent
                },
                interval,
                other: false,
            }
        })
        .collect()
}

fn bars_chart(name: &str, title: &str, subtitle: String, axis: &str, bars: Vec<Bar>) -> Chart {
    Chart {
        name: name.into(),
        title: title.into(),
        subtitle,
        axis: axis.into(),
        category_axis: String::new(),
        kind: Kind::Bars(bars),
    }
}

/// The standard charts of a summary (or of a report's published view):
/// activity per week, platforms, profiles, modes, output formats, tool
/// failure rates, version adoption per week, durations by profile.
/// `weeks` is the weekly activity to plot (see [`weekly_activity`]).
/// `lists_over_every_event`: the report's list shares are over every event
/// of the type, one without a list counting as none; `summary`'s are over
/// the events that carry a list.
pub fn standard_charts(
    summary: &Summary,
    weeks: &WeekActivity,
    lists_over_every_event: bool,
) -> Vec<Chart> {
    let m = |id| summary.metric(id);
    let events = |id: MetricId, what: &str| {
        format!(
            "Share of {} {what}; whiskers: 95% Wilson interval",
            thousands(m(id).denominator as f64)
        )
    };
    let mut charts = vec![activity_chart(
        weeks,
        &format!(
            "{} usage events from {} installations",
            thousands(summary.totals.usage_events as f64),
            thousands(summary.totals.unique_ids as f64)
        ),
    )];
    charts.push(bars_chart(
        "platforms",
        "Platforms",
        events(MetricId::Platforms, "usage events"),
        "% of usage events",
        share_bars(m(MetricId::Platforms), 8),
    ));
    charts.push(bars_chart(
        "profiles",
        "Scan profiles",
        events(MetricId::Profiles, "scan.started events"),
        "% of scans started",
        share_bars(m(MetricId::Profiles), 8),
    ));
    charts.push(bars_chart(
        "modes",
        "Execution modes",
        events(MetricId::Modes, "scan.started events"),
        "% of scans started",
        share_bars(m(MetricId::Modes), 8),
    ));
    charts.push(bars_chart(
        "output_formats",
        "Report output formats",
        // Within the 88 characters a subtitle shows (a review: a longer one
        // lost its whiskers' note); a report's share is over every event,
        // with or without a list (it said "with a format list" beside 363
        // events, 3 of them without one).
        {
            let n = thousands(m(MetricId::OutputFormats).denominator as f64);
            if lists_over_every_event {
                format!(
                    "All {n} report.generated events, with or without a list; 95% Wilson whiskers"
                )
            } else {
                format!(
                    "Share of {n} report.generated events with a format list; 95% Wilson whiskers"
                )
            }
        },
        "% of reports generated",
        share_bars(m(MetricId::OutputFormats), 10),
    ));
    // Whole within SUBTITLE_CHARS (a review: it lost its whiskers' note),
    // and under a filter that splits scans, why there is no bar (a review:
    // the chart said only "No data to show").
    // And how many tools of the table's are drawn, when not all are (a
    // review: 12 bars of 15 tools, the most reliable ones left out unsaid).
    let rates = m(MetricId::ToolFailureRates);
    let bars = failure_rate_bars(rates, FAILURE_RATE_BARS);
    let tools = rates.rows.iter().filter(|r| !r.other).count();
    charts.push(bars_chart(
        "tool_failure_rates",
        "Tool failure rate",
        failure_rates_subtitle(&summary.period.filters, bars.len(), tools),
        "% of runs that failed",
        bars,
    ));
    let (categories, series, outside) = version_adoption(m(MetricId::VersionsByWeek), 6);
    charts.push(Chart {
        name: "version_adoption".into(),
        title: "JMo version adoption per ISO week".into(),
        subtitle: format!(
            "Share of each week's usage events by JMo version{}",
            not_drawn(outside)
        ),
        axis: "% of the week's usage events".into(),
        category_axis: "ISO week (UTC)".into(),
        kind: Kind::Stacked { categories, series },
    });
    let by_profile = m(MetricId::DurationBucketsByProfile);
    let (categories, series, drawn) = grouped_shares(by_profile, 6);
    // The scans drawn, when profiles are not (the report's hidden ones, a
    // summary's past the sixth): a review could not tie 11,384 scans to
    // the 10,647 of the profiles shown.
    let scans = if drawn < by_profile.denominator {
        format!(
            "{} of {} drawn",
            thousands(drawn as f64),
            thousands(by_profile.denominator as f64)
        )
    } else {
        format!("{} scans", thousands(by_profile.denominator as f64))
    };
    charts.push(Chart {
        name: "durations_by_profile".into(),
        title: "Scan duration by profile".into(),
        subtitle: format!("Completed scans by profile and duration: {scans}"),
        axis: "% of the profile's completed scans".into(),
        category_axis: "profile".into(),
        kind: Kind::Grouped { categories, series },
    });
    charts
}

/// The standard charts of a summary, weeks from its own activity.
pub fn summary_charts(summary: &Summary) -> Vec<Chart> {
    let (weeks, outside) = weekly_activity(summary);
    let mut charts = standard_charts(summary, &weeks, false);
    let f = &summary.period.filters;
    for chart in charts.iter_mut().filter(|c| c.name == "activity") {
        chart.subtitle += not_drawn(outside).as_str();
        // A period's ends cut the weeks they fall in, as the report's
        // quarter does.
        chart.subtitle += partial_weeks(&weeks, f.since, f.until);
    }
    charts
}

/// What a weekly chart's subtitle says of the events of the weeks it
/// leaves out ([`shown_weeks`]): nothing when there are none.
fn not_drawn(outside: u64) -> String {
    match outside {
        0 => String::new(),
        n => format!(
            "; {} not drawn",
            if n == 1 {
                "1 far-off event".to_owned()
            } else {
                format!("{} far-off events", thousands(n as f64))
            }
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row of `value` (in `group`), the report's Other when `other`.
    fn row(group: Option<Value>, value: Value, count: u64, other: bool) -> Row {
        let mut r = Row::new(value, count);
        r.group = group;
        r.other = other;
        r
    }

    fn rows(id: MetricId, rows: Vec<Row>) -> MetricRows {
        let denominator = rows.iter().map(|r| r.count).sum();
        MetricRows {
            id,
            denominator,
            rows,
        }
    }

    /// A review: `高速` and `深度` were both drawn `□□` in the PNGs, the
    /// bundled font having no glyph for them.
    #[test]
    fn characters_the_font_cannot_draw_are_written_as_escapes() {
        let labels = distinct_labels(
            ["高速", "深度", "Linux ✓ Ωмега", "ci-\u{1f512}", "\\u{9ad8}"],
            |t| fit(t, 40, 400),
        );
        assert_eq!(
            labels,
            [
                "\\u{9ad8}\\u{901f}",
                "\\u{6df1}\\u{5ea6}",
                "Linux ✓ Ωмега",
                "ci-\\u{1f512}",
                // A client's own text of that form, its backslash doubled.
                "\\\\u{9ad8}",
            ]
        );
        // So are the titles and subtitles the chart draws.
        assert_eq!(clip("profile 高", 70), "profile \\u{9ad8}");
        // What it draws is drawn as itself.
        assert!(font_draws('é') && font_draws('✓') && !font_draws('高'));
    }

    /// A client's value `Other` is its own bar, labelled in quotes: the
    /// rest bar was told apart from it by colour alone (a review).
    #[test]
    fn a_clients_value_other_is_its_own_bar_not_the_reports_other() {
        let other = || Value::Str(OTHER.into());
        let m = rows(
            MetricId::Platforms,
            vec![
                row(None, "Linux".into(), 30, false),
                row(None, other(), 18, false),
                row(None, other(), 15, true),
            ],
        );
        let bars = share_bars(&m, 8);
        let shown: Vec<(&str, bool, u64)> = bars
            .iter()
            .map(|b| {
                (
                    b.label.as_str(),
                    b.other,
                    (b.percent * 63.0 / 100.0).round() as u64,
                )
            })
            .collect();
        assert_eq!(
            shown,
            [
                ("Linux", false, 30),
                ("\"Other\"", false, 18),
                (OTHER, true, 15)
            ]
        );
        // Every client's value has a label of its own: one that starts with
        // a quote is quoted too (`"Other"` sent with its quotes read as the
        // client's `Other`, a review).
        let labels: Vec<String> = ["Other", "\"Other\"", "", "\"\"", "\"", "Linux", "a\"b"]
            .into_iter()
            .map(|t| client_text(&Value::Str(t.into())))
            .collect();
        assert_eq!(
            labels,
            [
                "\"Other\"",
                "\"\"Other\"\"",
                "\"\"",
                "\"\"\"\"",
                "\"\"\"",
                "Linux",
                "a\"b"
            ]
        );
        // The worst-failing tool is drawn, whatever its name.
        let mut failing = row(None, other(), 6, false);
        failing.runs = Some(6);
        failing.rate = Some(1.0);
        let mut hidden = row(None, other(), 1, true);
        hidden.runs = Some(9);
        hidden.rate = Some(0.11);
        let mut uncomputed = failing.clone();
        let bars = failure_rate_bars(&rows(MetricId::ToolFailureRates, vec![failing, hidden]), 12);
        let shown: Vec<(&str, f64)> = bars.iter().map(|b| (b.label.as_str(), b.percent)).collect();
        assert_eq!(shown, [("\"Other\"", 100.0)]);
        // A rate the filters left uncomputed (`Filters::splits_scans`) is
        // not drawn from its failures and runs.
        uncomputed.rate = None;
        let bars = failure_rate_bars(&rows(MetricId::ToolFailureRates, vec![uncomputed]), 12);
        assert!(bars.is_empty());
    }

    #[test]
    fn grouped_bars_tell_values_apart_by_value_not_text() {
        let deep = || Some(Value::from("deep"));
        let m = rows(
            MetricId::DurationBucketsByProfile,
            vec![
                row(deep(), Value::Null, 6, false),
                row(deep(), Value::from("null"), 6, false),
                row(deep(), Value::from(OTHER), 3, false),
                row(deep(), Value::from(OTHER), 5, true),
                row(deep(), Value::from("<5min"), 10, false),
            ],
        );
        let (labels, series, _) = grouped_shares(&m, 6);
        assert_eq!(labels, ["deep"]);
        let shown: Vec<(&str, bool, Option<f64>)> = series
            .iter()
            .map(|s| (s.name.as_str(), s.other, s.values[0]))
            .collect();
        let of = |n: f64| Some(100.0 * n / 30.0);
        assert_eq!(
            shown,
            [
                ("<5min", false, of(10.0)),
                ("\"Other\"", false, of(3.0)),
                ("null", false, of(6.0)),
                ("\"null\"", false, of(6.0)),
                (OTHER, true, of(5.0)),
            ]
        );
    }

    /// A review: a client's made-up buckets were each a series, in the
    /// palette's colours again and past the legend's rows.
    #[test]
    fn grouped_shares_draw_six_values_apart_and_the_rest_as_other() {
        let deep = || Some(Value::from("deep"));
        let fast = || Some(Value::from("fast"));
        let mut all = vec![
            row(deep(), Value::from(">30min"), 1, false),
            row(deep(), Value::from("<5min"), 2, false),
            row(fast(), Value::from("5-15min"), 4, false),
            // The report's own rest.
            row(deep(), Value::from(OTHER), 7, true),
        ];
        // d01 to d10, d07 and d03 the largest; d09 only in a group not
        // drawn.
        for (i, n) in [3, 1, 9, 1, 1, 1, 8, 1, 0, 1].into_iter().enumerate() {
            let g = if i == 8 {
                Some(Value::from("rare"))
            } else {
                deep()
            };
            all.push(row(
                g,
                Value::from(format!("d{:02}", i + 1).as_str()),
                n.max(1),
                false,
            ));
        }
        let (labels, series, _) = grouped_shares(&rows(MetricId::DurationBucketsByProfile, all), 2);
        assert_eq!(labels, ["deep", "fast"]);
        let names: Vec<&str> = series.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            ["<5min", "5-15min", ">30min", "d01", "d03", "d07", OTHER]
        );
        // deep: 2 + 1 + 26 of the made-up + 7 = 36 events; the rest is
        // d02, d04 to d06, d08, d10 (1 each) and the report's 7.
        let other = series.last().unwrap();
        assert!(other.other);
        assert_eq!(other.values, [Some(100.0 * 13.0 / 36.0), None]);
        assert_eq!(series[1].values, [None, Some(100.0)]);
        // Each drawn in a colour of its own.
        let colours: std::collections::BTreeSet<_> = (series.iter().enumerate())
            .map(|(i, s)| format!("{:?}", series_colour(s, i)))
            .collect();
        assert_eq!(colours.len(), series.len());
    }

    #[test]
    fn version_adoption_keeps_a_clients_version_other_out_of_the_rest() {
        let week = || Some(Value::from("2026-W06"));
        let m = rows(
            MetricId::VersionsByWeek,
            vec![
                row(week(), Value::from("1.0.0"), 50, false),
                row(week(), Value::from(OTHER), 30, false),
                row(week(), Value::from("0.9.0"), 5, false),
                row(week(), Value::from(OTHER), 15, true),
            ],
        );
        let (weeks, series, _) = version_adoption(&m, 2);
        // Weeks of one year are named without it, of two with it (a
        // review: `W01 … W49 | W01`).
        assert_eq!(weeks, ["W06"]);
        let two = rows(
            MetricId::VersionsByWeek,
            vec![
                row(
                    Some(Value::from("2025-W52")),
                    Value::from("1.0.0"),
                    5,
                    false,
                ),
                row(week(), Value::from("1.0.0"), 5, false),
            ],
        );
        let (two_years, _, _) = version_adoption(&two, 2);
        assert_eq!(two_years.first().map(String::as_str), Some("2025-W52"));
        assert_eq!(two_years.last().map(String::as_str), Some("2026-W06"));
        let shown: Vec<(&str, bool, Option<f64>)> = series
            .iter()
            .map(|s| (s.name.as_str(), s.other, s.values[0]))
            .collect();
        assert_eq!(
            shown,
            [
                ("1.0.0", false, Some(50.0)),
                ("\"Other\"", false, Some(30.0)),
                (OTHER, true, Some(20.0)),
            ]
        );
    }

    #[test]
    fn nice_ceilings() {
        assert_eq!(nice_ceiling(0.0), 1.0);
        assert_eq!(nice_ceiling(0.4), 1.0);
        assert_eq!(nice_ceiling(7.0), 10.0);
        assert_eq!(nice_ceiling(18.0), 20.0);
        assert_eq!(nice_ceiling(21.0), 25.0);
        assert_eq!(nice_ceiling(42.0), 50.0);
        assert_eq!(nice_ceiling(100.0), 100.0);
        assert_eq!(nice_ceiling(1234.0), 2000.0);
    }

    /// A few events far from the rest (a client's clock in 1970 or 2099)
    /// do not push the rest off a weekly chart: the span of at most
    /// [`MAX_WEEKS`] weeks with the most events is drawn, and the events
    /// left out are counted (a review: one event dated 1970 left every
    /// week of 2025 out).
    #[test]
    fn far_off_weeks_do_not_push_the_rest_off_a_weekly_chart() {
        let rest = [("2025-W40", 10), ("2025-W41", 0), ("2025-W42", 7)];
        for far in ["1970-W02", "2099-W10"] {
            let mut weeks = rest.to_vec();
            weeks.push((far, 1));
            let (shown, outside) = shown_weeks(weeks.iter().copied());
            assert_eq!(shown, ["2025-W40", "2025-W41", "2025-W42"], "{far}");
            assert_eq!(outside, 1, "{far}");
        }
        // Within the span, every week is drawn, the far ones too.
        let (shown, outside) = shown_weeks([("2010-W01", 1), ("2025-W40", 5)]);
        assert_eq!(shown.len() as u64, 822);
        assert_eq!((shown[0].as_str(), outside), ("2010-W01", 0));
        // Equal spans: the latest.
        let (shown, outside) = shown_weeks([("1970-W02", 3), ("2099-W10", 3)]);
        assert_eq!((shown, outside), (vec!["2099-W10".to_owned()], 3));
        assert_eq!(shown_weeks([]), (Vec::new(), 0));
        // Counts near u64::MAX do not overflow the sums.
        let (shown, outside) = shown_weeks([("2025-W01", u64::MAX), ("2025-W02", 1)]);
        assert_eq!((shown.len(), outside), (2, 0));
        assert_eq!(not_drawn(0), "");
        assert_eq!(not_drawn(1234), "; 1,234 far-off events not drawn");
    }

    /// Which ends of the drawn weeks a period cuts, by the instant.
    #[test]
    fn partial_weeks_are_those_the_period_cuts() {
        let weeks = |labels: &[&str]| -> WeekActivity {
            labels.iter().map(|w| (w.to_string(), None)).collect()
        };
        let at = |s: &str| crate::event::time::parse_timestamp(s).ok();
        // 2026-W02 is Monday 5 to Sunday 11 January; W03 the next.
        let two = weeks(&["2026-W02", "2026-W03"]);
        assert_eq!(partial_weeks(&two, None, None), "");
        assert_eq!(
            partial_weeks(&two, at("2026-01-05T00:00:00Z"), at("2026-01-19T00:00:00Z")),
            ""
        );
        assert_eq!(
            partial_weeks(&two, at("2026-01-05T00:00:00.000001Z"), None),
            "; first week partial"
        );
        assert_eq!(
            partial_weeks(&two, None, at("2026-01-18T23:00:00Z")),
            "; last week partial"
        );
        assert_eq!(
            partial_weeks(&two, at("2026-01-07T00:00:00Z"), at("2026-01-15T00:00:00Z")),
            "; first and last weeks partial"
        );
        // One week drawn, cut at either end.
        let one = weeks(&["2026-W02"]);
        assert_eq!(
            partial_weeks(&one, None, at("2026-01-10T00:00:00Z")),
            "; the one week drawn partial"
        );
        assert_eq!(partial_weeks(&one, at("2026-01-05T00:00:00Z"), None), "");
        assert_eq!(
            partial_weeks(&weeks(&[]), at("2026-01-07T00:00:00Z"), None),
            ""
        );
    }

    #[test]
    fn weeks_cross_the_year() {
        assert_eq!(
            week_range("2025-W52", "2026-W02"),
            vec!["2025-W52", "2026-W01", "2026-W02"]
        );
        assert_eq!(
            week_range("2026-W53", "2027-W01").len(),
            2,
            "2026 has 53 ISO weeks"
        );
        assert_eq!(thousands(1234567.0), "1,234,567");
    }

    /// Values cut to the same label are told apart by their ends, or else
    /// numbered (a review: two platforms read `Linux (official build, al…`).
    #[test]
    fn no_two_values_share_a_label() {
        let cut = |s: &str| clip_safe(s, 12);
        let texts = [
            "Linux official X1",
            "Linux official X2",
            "short",
            "Linux offi…2",
            "Linux offic…",
        ];
        let labels = distinct_labels(texts, cut);
        // `Linux offi…2` and `Linux offic…` are clients' whole labels: they
        // stay, and more of the others' ends tells them apart.
        let want = [
            "Linux off…X1",
            "Linux off…X2",
            "short",
            "Linux offi…2",
            "Linux offic…",
        ];
        assert_eq!(labels, want);
        // The same end too: numbered in order, the head cut for the number.
        let texts = [
            "Linux official build A with a long end",
            "Linux official build B with a long end",
        ];
        assert_eq!(
            distinct_labels(texts, cut),
            ["Linux off…#1", "Linux off…#2"]
        );
        // Escaped first, so an escape is never cut apart from its end.
        let texts = ["a\u{1b}bcdefghijklm1", "a\u{1b}bcdefghijklm2"];
        let labels = distinct_labels(texts, cut);
        assert_eq!(
            labels.iter().collect::<FxHashSet<_>>().len(),
            2,
            "{labels:?}"
        );
        // Drawn with the bars' room in pixels too.
        let wide = ["W".repeat(40) + "1", "W".repeat(40) + "2"];
        let labels = distinct_labels(wide.iter().map(String::as_str), |s| fit(s, 26, 214));
        assert!(
            labels[0].ends_with("…1") && labels[1].ends_with("…2"),
            "{labels:?}"
        );
        assert!(labels.iter().all(|l| text_width(l) <= 214), "{labels:?}");
        // Long values are cut once each, their labels made from at most
        // the room's characters (a review: two 20,000-character values
        // took 84 s, each label tried from the whole text).
        let long = ["P".repeat(20_000) + "0", "P".repeat(20_000) + "1"];
        let calls = std::cell::Cell::new(0);
        let labels = distinct_labels(long.iter().map(String::as_str), |s| {
            calls.set(calls.get() + usize::from(s.len() > 100));
            clip_safe(s, 12)
        });
        assert_eq!(labels, ["PPPPPPPPPP…0", "PPPPPPPPPP…1"]);
        assert_eq!(calls.get(), 2);
        // A legend's and a grouped chart's category labels fit their room
        // in pixels (a review: 16 W's ran off the image).
        let names: Vec<String> = (0..6).map(|i| format!("{}{i}", "W".repeat(30))).collect();
        let grouped = Chart {
            name: "g".into(),
            title: "g".into(),
            subtitle: String::new(),
            axis: "%".into(),
            category_axis: "c".into(),
            kind: Kind::Grouped {
                categories: names.clone(),
                series: (names.iter())
                    .map(|name| Series {
                        name: name.clone(),
                        values: vec![Some(10.0); 6],
                        other: false,
                    })
                    .collect(),
            },
        };
        let svg = grouped.svg().unwrap();
        let texts: Vec<&str> = (svg.lines())
            .filter(|line| line.starts_with("WWW"))
            .collect();
        // The legend's six, and the categories drawn (every other one).
        assert_eq!(texts.len(), 9, "{svg}");
        assert_eq!(texts.iter().collect::<FxHashSet<_>>().len(), 9, "{texts:?}");
        assert!(texts.iter().all(|t| text_width(t) <= 146), "{texts:?}");
        // As drawn.
        let mut chart = demo_labelled(&wide[0]);
        if let Kind::Bars(bars) = &mut chart.kind {
            let other = Bar {
                label: wide[1].clone(),
                ..bars[0].clone()
            };
            bars.insert(1, other);
        }
        let svg = chart.svg().unwrap();
        let drawn = |end: &str| svg.lines().any(|line| line.ends_with(end));
        assert!(drawn("WWW…1") && drawn("WWW…2"), "{svg}");
    }

    #[test]
    fn labels_are_clipped_and_controls_escaped() {
        assert_eq!(clip("abc", 5), "abc");
        assert_eq!(clip("abcdefgh", 5), "abcd…");
        assert!(!clip("a\u{1b}b", 20).contains('\u{1b}'));
    }

    fn demo() -> Chart {
        demo_labelled("<script>")
    }

    /// [`demo`] with another label on its first bar.
    fn demo_labelled(label: &str) -> Chart {
        bars_chart(
            "demo",
            "Demo <&>",
            "sub".into(),
            "% of events",
            vec![
                Bar {
                    label: label.into(),
                    percent: 60.0,
                    interval: Some((50.0, 70.0)),
                    other: false,
                },
                Bar {
                    label: OTHER.into(),
                    percent: 40.0,
                    interval: None,
                    other: true,
                },
            ],
        )
    }

    /// Every subtitle is whole (a review: the failure rates' lost its
    /// whiskers' note), however large its numbers and whatever the filters.
    #[test]
    fn every_subtitle_fits_whole() {
        use crate::metrics::{Filters, Tally, finalize::finalize};
        let filters = [
            Filters::default(),
            Filters {
                exclude_ci: true,
                ..Filters::default()
            },
            Filters {
                version: Some("1.0".into()),
                ..Filters::default()
            },
        ];
        for filters in filters {
            let tally = Tally::new(std::sync::Arc::new(filters));
            let mut summary = finalize("t", Default::default(), tally);
            for m in &mut summary.metrics {
                m.denominator = 123_456_789_012;
            }
            summary.totals.usage_events = 123_456_789_012;
            summary.totals.unique_ids = 123_456_789;
            for every in [false, true] {
                for chart in standard_charts(&summary, &Vec::new(), every) {
                    let n = chart.subtitle.chars().count();
                    assert!(n <= SUBTITLE_CHARS, "{n}: {}", chart.subtitle);
                }
            }
        }
    }

    /// The failure-rate chart says how many of the table's tools it draws
    /// when not all (a review: 12 bars of 15 tools, unsaid), whole however
    /// many tools there are.
    #[test]
    fn the_failure_rate_chart_counts_the_tools_it_leaves_out() {
        use crate::metrics::{Tally, finalize::finalize};
        let tool = |name: String, failures: u64, runs: Option<u64>| {
            let mut r = row(None, Value::Str(name), failures, false);
            r.runs = runs;
            r.rate = runs
                .filter(|&n| n >= failures)
                .map(|n| failures as f64 / n as f64);
            r
        };
        let chart_of = |tools: Vec<Row>| {
            let tally = Tally::new(std::sync::Arc::new(Filters::default()));
            let mut summary = finalize("t", Default::default(), tally);
            summary.metrics[MetricId::ToolFailureRates as usize] =
                rows(MetricId::ToolFailureRates, tools);
            let charts = standard_charts(&summary, &Vec::new(), false);
            let chart = charts.into_iter().find(|c| c.name == "tool_failure_rates");
            let chart = chart.unwrap();
            let Kind::Bars(bars) = &chart.kind else {
                panic!("{:?}", chart.kind)
            };
            (chart.subtitle.clone(), bars.len())
        };
        // 15 tools with a rate and one failing with no run: 12 drawn.
        let mut tools: Vec<Row> = (0..15)
            .map(|i| tool(format!("t{i}"), i + 1, Some(100)))
            .collect();
        tools.push(tool("no-run".into(), 3, None));
        let (subtitle, bars) = chart_of(tools.clone());
        assert_eq!(bars, FAILURE_RATE_BARS);
        assert_eq!(
            subtitle,
            "12 of 16 tools; tool.failed over scans enabling it; 95% Wilson whiskers"
        );
        // Every tool drawn: no count.
        tools.truncate(12);
        let (subtitle, bars) = chart_of(tools.clone());
        assert_eq!(bars, 12);
        assert_eq!(
            subtitle,
            "tool.failed events over scans that enabled the tool; 95% Wilson whiskers"
        );
        // One tool without a rate (more failures than runs) is counted too.
        tools[0] = tool("over".into(), 9, Some(3));
        assert!(chart_of(tools).0.starts_with("11 of 12 tools; "));
        assert!(failure_rates_subtitle(&Filters::default(), 0, 1).starts_with("0 of 1 tool; "));
        let long = failure_rates_subtitle(&Filters::default(), 12, 123_456_789_012);
        assert!(long.chars().count() <= SUBTITLE_CHARS, "{long}");
        // Under a filter that splits scans, the reason, in the chart itself:
        // a published chart's reader has no README (a review: "see README").
        for filters in [
            Filters {
                exclude_ci: true,
                ..Filters::default()
            },
            Filters {
                version: Some("1".into()),
                ..Filters::default()
            },
        ] {
            let why = failure_rates_subtitle(&filters, 0, 3);
            assert!(why.starts_with("No rates under --"), "{why}");
            assert!(!why.contains("README"), "{why}");
            assert!(why.chars().count() <= SUBTITLE_CHARS, "{why}");
        }
    }

    /// A bar's label fits the room left of the bars whatever its letters
    /// (a review: 25 W's ran off the image's left edge).
    #[test]
    fn wide_labels_are_cut_to_the_room_they_have() {
        let wide = fit(&"W".repeat(300), 26, 214);
        assert!(wide.ends_with('…') && wide.starts_with("WWW"), "{wide}");
        assert!(text_width(&wide) <= 214, "{}", text_width(&wide));
        assert!(wide.chars().count() < 25, "{wide}");
        // Narrow letters keep the 26 characters.
        assert_eq!(fit(&"i".repeat(26), 26, 214), "i".repeat(26));
    }

    #[test]
    fn an_empty_value_is_labelled_as_such() {
        assert_eq!(client_text(&Value::from("")), "\"\"");
        assert_eq!(client_text(&Value::from("fast")), "fast");
        // Groups too, and no group as the tables show it.
        let empty = row(Some(Value::from("")), Value::from("<5min"), 2, false);
        let none = row(None, Value::from("<5min"), 1, false);
        let (labels, _, _) = grouped_shares(
            &rows(MetricId::DurationBucketsByProfile, vec![empty, none]),
            6,
        );
        assert_eq!(labels, ["\"\"", "null"]);
    }

    #[test]
    fn a_chart_of_one_bar_keeps_its_label() {
        for n in 1..=3 {
            let bars = (0..n)
                .map(|i| Bar {
                    label: format!("platform{i}"),
                    percent: 100.0 / n as f64,
                    interval: None,
                    other: false,
                })
                .collect();
            let svg = bars_chart("one", "One", "sub".into(), "% of events", bars)
                .svg()
                .unwrap();
            for i in 0..n {
                assert!(svg.contains(&format!("platform{i}")), "{n} bars: label {i}");
            }
        }
    }

    /// A bar's label reads as the tables do near 0 and 100 % (a review:
    /// 5 of 21,005 read 0.0%, the rest 100.0%, beside <0.1% in the table).
    #[test]
    fn a_bar_near_0_or_100_percent_does_not_read_as_it() {
        let bars = [(0.0238, "rare"), (99.9762, "common")]
            .map(|(percent, label)| Bar {
                label: label.into(),
                percent,
                interval: None,
                other: false,
            })
            .to_vec();
        let svg = bars_chart("near", "Near", "sub".into(), "% of events", bars)
            .svg()
            .unwrap();
        assert!(
            svg.contains("&lt;0.1%") && svg.contains("&gt;99.9%"),
            "{svg}"
        );
        assert!(!svg.contains(">0.0%") && !svg.contains(">100.0%"), "{svg}");
    }

    #[test]
    fn svg_escapes_text_and_is_deterministic() {
        let a = demo().svg().unwrap();
        assert!(a.starts_with("<svg"), "{}", &a[..40]);
        assert!(a.contains("&lt;script&gt;") && !a.contains("<script>"));
        assert!(a.contains("viewBox=\"0 0 800 "));
        assert_eq!(a, demo().svg().unwrap());
    }

    #[test]
    fn a_label_xml_cannot_hold_is_shown_escaped() {
        // U+FFFE and U+FFFF may not appear in XML at all: raw, the SVG
        // would not parse (and would not display).
        let chart = demo_labelled("x\u{ffff}\u{fffe}\u{202e}<");
        let svg = chart.svg().unwrap();
        assert!(!svg.contains(['\u{ffff}', '\u{fffe}', '\u{202e}']));
        assert!(svg.contains("x\\u{ffff}\\u{fffe}\\u{202e}&lt;"), "{svg}");
    }

    #[test]
    fn charts_drawn_together_are_drawn_as_one_by_one() {
        let charts: Vec<Chart> = (0..6)
            .map(|i| Chart {
                name: format!("demo{i}"),
                ..demo()
            })
            .collect();
        let together = draw_all(&charts).unwrap();
        let names: Vec<&str> = together.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(
            names,
            ["demo0", "demo1", "demo2", "demo3", "demo4", "demo5"]
        );
        for (c, d) in charts.iter().zip(&together) {
            assert_eq!(d.svg, c.svg().unwrap());
            assert_eq!(d.png, c.png().unwrap());
        }
    }

    #[test]
    fn png_has_ink_and_is_deterministic() {
        let png = demo().png().unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(png, demo().png().unwrap());
        let decoder = png::Decoder::new(std::io::Cursor::new(&png));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!((info.width, info.height), (WIDTH, demo().height()));
        let dark = buf.chunks(3).filter(|p| p.iter().all(|&c| c < 100)).count();
        assert!(dark > 500, "text and axes drawn: {dark} dark pixels");
    }
}
