#!/usr/bin/env python3
"""Fails if a locked dependency declares a newer Rust than Cargo.toml's
rust-version (the crate would then not build with `--locked` on the Rust it
promises). Only one toolchain is installed here, so this reads the
dependencies' own `rust-version` fields instead of building with an older
Rust."""
import json
import subprocess
import sys


def version(text):
    """`1.95` and `1.95.0` alike: (1, 95, 0)."""
    return (tuple(int(part) for part in text.split(".")) + (0, 0))[:3]


meta = json.loads(
    subprocess.run(
        ["cargo", "metadata", "--locked", "--format-version", "1"],
        check=True,
        stdout=subprocess.PIPE,  # cargo's errors go to the log
        text=True,
    ).stdout
)
ours = next(p for p in meta["packages"] if p["id"] in meta["workspace_members"])
promised = ours.get("rust_version")
if not promised:
    sys.exit("Cargo.toml: set package.rust-version (the oldest Rust this crate builds with)")
newer = sorted(
    (version(p["rust_version"]), p["name"], p["version"], p["rust_version"])
    for p in meta["packages"]
    if p.get("rust_version") and version(p["rust_version"]) > version(promised)
)
for _, name, ver, need in newer:
    print(f"{name} {ver} needs Rust {need}", file=sys.stderr)
if newer:
    sys.exit(
        f"Cargo.toml promises rust-version {promised}, but the locked dependencies above need "
        "a newer Rust: raise rust-version, or pin those dependencies to older versions "
        "(cargo update -p NAME --precise VERSION)"
    )
declared = sum(1 for p in meta["packages"] if p.get("rust_version") and p is not ours)
print(
    f"rust-version {promised}: no locked dependency declares a newer Rust "
    f"({declared} of {len(meta['packages']) - 1} declare one)"
)
