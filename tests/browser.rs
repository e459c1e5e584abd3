//! Opens the committed example `report.html` in headless Chromium: the page
//! must render (a screenshot that is not blank, with the charts' colours in
//! it) and log no console error (a script error, a blocked request). A
//! control page with a deliberate error proves the error check can fail.
//!
//! Needs `/usr/bin/chromium` (`.ci/run` installs it); set `JMO_CHROMIUM` to
//! use another binary.

use std::path::{Path, PathBuf};
use std::process::Command;

fn chromium() -> PathBuf {
    let path = std::env::var_os("JMO_CHROMIUM")
        .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
    assert!(
        path.exists(),
        "{} not found: install it (apt-get install chromium) or set JMO_CHROMIUM",
        path.display()
    );
    path
}

/// Loads `page` headless; returns the screenshot (RGB rows) and chromium's stderr.
fn open(page: &Path, shot: &Path, height: u32) -> ((u32, u32, Vec<u8>), String) {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--window-size=1000,{height}"))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "chromium failed: {log}");
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(shot).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let rgb: Vec<u8> = buf[..info.buffer_size()]
        .chunks(channels)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect();
    ((info.width, info.height, rgb), log)
}

/// Console messages chromium logged at warning level or above, and load errors.
fn page_errors(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|l| {
            (l.contains("CONSOLE") && !l.contains(":INFO:CONSOLE") && !l.contains(":VERBOSE"))
                || l.contains("Uncaught")
                || l.contains("Refused to")
                || l.contains("net::ERR_")
        })
        .collect()
}

#[test]
fn example_report_renders_without_errors() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = std::fs::read_dir(root.join("reports"))
        .expect("reports/ holds the example report")
        .map(|e| e.unwrap().path())
        .min()
        .expect("a quarter in reports/");
    let page = dir.join("report.html");
    let tmp = tempfile::tempdir().unwrap();
    let ((w, h, rgb), log) = open(&page, &tmp.path().join("shot.png"), 4000);
    assert_eq!((w, h), (1000, 4000));
    let errors = page_errors(&log);
    assert!(errors.is_empty(), "the page logged errors: {errors:#?}");
    let pixels = rgb.len() / 3;
    let ink = rgb.chunks(3).filter(|p| p.iter().any(|&c| c < 200)).count();
    assert!(
        ink * 50 > pixels,
        "screenshot is (nearly) blank: {ink} of {pixels} pixels inked"
    );
    // The charts' first colour (Okabe–Ito blue #0072B2), antialiasing aside.
    let blue = rgb
        .chunks(3)
        .filter(|p| p[0] < 20 && (100..130).contains(&p[1]) && (165..190).contains(&p[2]))
        .count();
    assert!(blue > 2000, "no chart drawn: {blue} chart-blue pixels");
}

#[test]
fn the_error_check_sees_a_broken_page() {
    let tmp = tempfile::tempdir().unwrap();
    let page = tmp.path().join("broken.html");
    std::fs::write(
        &page,
        "<!DOCTYPE html><html><body><p>x</p><script>undefined_function();</script></body></html>",
    )
    .unwrap();
    let (_, log) = open(&page, &tmp.path().join("shot.png"), 300);
    assert!(
        !page_errors(&log).is_empty(),
        "a script error went unnoticed: {log}"
    );
}
