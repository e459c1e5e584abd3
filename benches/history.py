"""Benchmark of `jmo-analyze fetch --history` on a gist with thousands of
revisions, beside git reading every version alone.

A real telemetry gist gets one revision per client PATCH: the file grows a
line at a time, so N revisions hold about N^2/2 lines in all, and a client's
read-modify-write now and then drops the line of the PATCH before it (this
script drops one in every 7). The gist is a bare repository written with
`git fast-import` (packed and deltified, as a clone from GitHub is) from
lines of the project's seeded generator; a small HTTP server on 127.0.0.1
answers the API's one request with the newest revision and the repository's
path as `git_pull_url`. Every run starts from an empty archive and must end
with every line any revision held (checked). The peer reads what the walk
must read and nothing else: every commit's version of the file through
`git rev-list` and one `git cat-file --batch`, to /dev/null.

    python3 benches/history.py --bin target/release/jmo-analyze \
        --generate target/release/examples/generate --revisions 4000
"""
import argparse
import http.server
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import compare  # noqa: E402  (run_once/measure: the same timing as compare.py)

FILE = "jmo-telemetry-events.jsonl"
GIST = "0123456789abcdef"
CLOBBER_EVERY = 7


def versions(lines):
    """Yields each revision's content: one line more each time, except that
    every CLOBBER_EVERY-th writer read the file before the previous PATCH
    and wrote it back with its own line, dropping that PATCH's."""
    kept = []
    for i, line in enumerate(lines, 1):
        if i % CLOBBER_EVERY == 0 and kept:
            kept.pop()
        kept.append(line)
        yield b"".join(kept)


def build_repo(repo, lines):
    subprocess.run(["git", "init", "-q", "--bare", str(repo)], check=True)
    proc = subprocess.Popen(
        ["git", "--git-dir", str(repo), "fast-import", "--quiet"], stdin=subprocess.PIPE
    )
    out = proc.stdin
    content = b""
    for n, content in enumerate(versions(lines), 1):
        out.write(b"commit refs/heads/main\n")
        out.write(b"committer Gist <gist@example.com> %d +0000\n" % (1700000000 + n))
        out.write(b"data 3\nrev\n")
        out.write(b"M 100644 inline %s\ndata %d\n" % (FILE.encode(), len(content)))
        out.write(content)
        out.write(b"\n")
    out.close()
    if proc.wait() != 0:
        sys.exit("git fast-import failed")
    subprocess.run(
        ["git", "--git-dir", str(repo), "symbolic-ref", "HEAD", "refs/heads/main"], check=True
    )
    return content


def serve(body):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", required=True)
    ap.add_argument("--generate", required=True, help="the generator example's binary")
    ap.add_argument("--revisions", type=int, default=4000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--work", help="folder for the repository (default: a temporary one)")
    a = ap.parse_args()

    work = Path(a.work or tempfile.mkdtemp(prefix="jmo-history-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        ok = bench(a, work)
    finally:
        if not a.work:
            shutil.rmtree(work)  # a large repository at 4,000 revisions
    sys.exit(0 if ok else 1)


def bench(a, work):
    """Builds the gist in `work`, times the commands, checks the archive;
    returns whether the archive holds every line."""
    source = work / "lines.jsonl"
    subprocess.run(
        [a.generate, "--seed", "7", "--clean", "--events", str(a.revisions), "--out", source],
        check=True,
    )
    lines = [l + b"\n" for l in source.read_bytes().split(b"\n") if l.strip()]
    repo = work / "gist.git"
    if repo.exists():
        shutil.rmtree(repo)
    latest = build_repo(repo, lines)
    total = sum(len(v) for v in versions(lines))
    body = json.dumps({
        "id": GIST,
        "files": {FILE: {"filename": FILE, "size": len(latest), "truncated": False,
                         "content": latest.decode()}},
        "git_pull_url": str(repo),
        "truncated": False,
    }).encode()
    server = serve(body)
    archive = work / "out" / "events.jsonl"
    q = shlex.quote
    fetch = (
        f"rm -rf {q(str(work / 'out'))} && exec {q(a.bin)} fetch --history --gist-id {GIST} "
        f"--api-url http://127.0.0.1:{server.server_port} -o {q(str(archive))}"
    )
    git_dir = q(f"--git-dir={repo}")
    walk = (
        f"git {git_dir} rev-list HEAD | sed 's/$/:{FILE}/' "
        f"| git {git_dir} cat-file --batch > /dev/null"
    )
    cmds = {
        "git: every revision's file, read": ["bash", "-o", "pipefail", "-c", walk],
        "jmo-analyze fetch --history": ["sh", "-c", fetch],
    }
    for var in ("JMO_TELEMETRY_GITHUB_TOKEN", "GITHUB_TOKEN", "GH_TOKEN"):
        os.environ.pop(var, None)  # the local server needs none; never send one
    m = compare.measure(cmds, a.runs, warmup=1)
    print(f"{a.revisions:,} revisions, {len(latest) / 1e6:.1f} MB at the newest, "
          f"{total / 1e9:.2f} GB in all versions; medians of {a.runs} runs after 1 untimed round\n")
    print("| command | wall s | CPU s | peak RSS MB | wall vs git |")
    print("|---|---:|---:|---:|---:|")
    peer = m["git: every revision's file, read"]["wall"]
    for name, r in m.items():
        print(f"| {name} | {r['wall']:.3f} | {r['cpu']:.3f} | {r['rss']:.0f} | {r['wall'] / peer:.2f}x |")
    held = set(lines)
    got = [l for l in archive.read_bytes().split(b"\n") if l.strip()]
    ok = len(got) == len(held) and set(l + b"\n" for l in got) == held
    print(f"\n{'PASS' if ok else 'FAIL'}  the archive holds every line any revision held: "
          f"{len(got):,} lines, {len(held):,} written")
    server.shutdown()
    return ok


if __name__ == "__main__":
    main()
