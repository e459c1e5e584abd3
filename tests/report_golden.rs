//! The committed example report is reproducible: regenerating every
//! `reports/<quarter>/` from `fixtures/events.jsonl` with the default flags
//! gives the same files, byte for byte.

use std::collections::BTreeMap;
use std::path::Path;

use assert_cmd::Command;

fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

#[test]
fn committed_reports_regenerate_byte_for_byte() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut quarters: Vec<String> = std::fs::read_dir(root.join("reports"))
        .expect("reports/ holds the example report")
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    quarters.sort();
    assert!(!quarters.is_empty(), "reports/ holds no quarter");
    for q in quarters {
        let tmp = tempfile::tempdir().unwrap();
        let out = Command::cargo_bin("jmo-analyze")
            .unwrap()
            .current_dir(root)
            .args([
                "report",
                "fixtures/events.jsonl",
                "--quarter",
                &q,
                "--quiet",
                "--out",
            ])
            .arg(tmp.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let want = files(&root.join("reports").join(&q));
        let got = files(tmp.path());
        let hint = format!(
            "regenerate with: cargo run -- report fixtures/events.jsonl --quarter {q} --out reports/{q}"
        );
        assert_eq!(
            want.keys().collect::<Vec<_>>(),
            got.keys().collect::<Vec<_>>(),
            "reports/{q}: file list differs; {hint}"
        );
        for (name, bytes) in &want {
            assert!(bytes == &got[name], "reports/{q}/{name} differs; {hint}");
        }
    }
}
