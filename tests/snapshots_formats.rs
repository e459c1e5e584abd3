//! Snapshot tests: every output format of `summary` on a hand-written fixture
//! (reviewed by hand; `cargo insta review` after an intended change).

use assert_cmd::Command;

fn render(format: &str) -> String {
    let out = Command::cargo_bin("jmo-analyze")
        .unwrap()
        .args(["summary", "fixtures/edge/minimal.jsonl", "--format", format])
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn every_format_snapshot() {
    for format in ["table", "json", "csv", "markdown"] {
        insta::assert_snapshot!(format!("minimal_{format}"), render(format));
    }
}
