"""Side-by-side benchmark of jmo-analyze against cat, DuckDB, the guide's jq
recipes and the guide's Python script. Run through benches/compare.sh.

Every command runs several times; the table shows medians of wall time, CPU
time (user + sys) and peak RSS (from wait4, per process), and ratios against a
peer measured in the same run. Commands compared with each other run in
interleaved rounds (one run of each in turn, then the next round), so a change
in a shared machine's load moves all of them alike instead of one command's
block of runs. The counts of jmo-analyze are checked against DuckDB's on the
same file, and its `input.sha256` against Python's hashlib. Reading and
hashing the file alone runs as one more peer: every summary carries that hash,
a serial stream, so it is a floor under jmo-analyze's wall time, and the
checks that compare with `cat` and DuckDB say what that floor allows.
Hostile files (one line listing 100,000 names, one object of 100,000 keys,
100,000 names then 200,000 installations, 200 installations each listing
20,000 names, a million distinct names, 20,000 profiles whose table cells
each need a complement) check that no command takes time or memory that
grows faster than the input.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def run_once(cmd, ok=(0,)):
    """Runs cmd once, its output thrown away; returns (wall s, cpu s, peak
    rss MB, MB read from disk). An exit code outside `ok` stops the
    benchmark. Its errors go to a file, not a pipe: a pipe read only after
    the command ends would hold a command writing more than the pipe holds."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode not in ok:
            err.seek(0)
            sys.exit(f"command failed ({proc.returncode}): {cmd}\n{err.read().decode(errors='replace')[-4000:]}")
    # ru_inblock counts 512-byte blocks read from the disk (not the page cache).
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, usage.ru_inblock * 512 / 1e6


def measure(cmds, runs, warmup=0, ok=(0,)):
    """Runs every command of `cmds` (name -> argv) `runs` times, in
    interleaved rounds, after `warmup` untimed rounds (they bring the files
    into the page cache, so no timed run reads the disk because an earlier
    command's file pushed them out); returns name -> medians of wall s and
    cpu s, the largest peak RSS MB of the runs, and the most MB a run read
    from the disk."""
    for _ in range(warmup):
        for cmd in cmds.values():
            run_once(cmd, ok)
    samples = {name: [] for name in cmds}
    for _ in range(runs):
        for name, cmd in cmds.items():
            samples[name].append(run_once(cmd, ok))
    return {
        name: {
            "wall": statistics.median(x[0] for x in s),
            "cpu": statistics.median(x[1] for x in s),
            "rss": max(x[2] for x in s),
            "disk": max(x[3] for x in s),
            "runs": runs,
        }
        for name, s in samples.items()
    }


def hostile_names(scale):
    """The hostile files' unit at `scale`: names listed, keys, or a tenth of
    the distinct names."""
    return 100_000 * scale // 10


def write_hostile(folder, scale, write=True):
    """Writes the hostile files (lines any client can send, built to make a
    careless reader slow or big) into `folder`, each `scale` x 10,000 names
    or keys, `scale` x 20 installations, `scale` x 100,000 distinct names or
    `scale` x 2,000 profiles ([`hostile_names`]), unless they are there or `write`
    is false; returns name -> (path, what it holds). The file names carry a
    version: change it with the files' content, or old files are reused."""
    n = hostile_names(scale)
    head = ('{"event": "scan.started", "version": "1.0.0", "platform": "Linux", "python_version": "3.11", '
            '"anonymous_id": "%s", "timestamp": "2026-02-03T10:00:00.000000+00:00", "metadata": ')
    uid = lambda i: "%08x-0000-4000-8000-%012x" % (i >> 48, i & 0xFFFFFFFFFFFF)
    tools = lambda items: '{"mode": "cli", "profile": "fast", "tools": [%s]}' % ", ".join('"t%d"' % i for i in items)
    rotated = lambda k, m: list(range(k, m)) + list(range(k))

    def cells():
        for i in range(2 * n):
            if i % (n // 5) == 0:
                # Each a different text: read item by item, not from the memo.
                yield head % "00000000-0000-4000-8000-000000000000" + tools(rotated(i // (n // 5), n)) + "}"
            yield head % uid(i + 2) + tools([n - 1]) + "}"

    def wide():
        for i in range(20 * scale):
            yield head % uid(i + 2) + tools(rotated(i, 20_000)) + "}"

    def distinct():
        for e in range(10 * n // 50):
            yield head % uid(e % 100 + 2) + tools(range(e * 50, e * 50 + 50)) + "}"

    # Profiles that each need a complement in the report's tables: 5
    # installations (the report's k) finish a scan of the profile in one
    # time bucket and 1 in another, so hiding the small cell alone would
    # give it away by subtraction.
    done = ('{"event": "scan.completed", "version": "1.0.0", "platform": "Linux", "python_version": "3.11", '
            '"anonymous_id": "%s", "timestamp": "2026-02-03T10:00:00.000000+00:00", "metadata": {"mode": "cli", '
            '"profile": "p%d", "duration_bucket": "%s", "tools_succeeded": 3, "tools_failed": 0, "total_findings_bucket": "0"}}')

    def groups():
        for g in range(n // 5):
            for i in range(6):
                yield done % (uid(6 * g + i + 2), g, "<5min" if i < 5 else "5-15min")

    def text():
        yield ('{"event": "test.event", "timestamp": "2026-02-03T10:00:00Z", "metadata": {"message": "%s"}}'
               % ("at " * n + "://" * n))

    def paths():
        items = "[" + ", ".join(['"a b"'] * n) + "]"
        inner = "{" + ", ".join(['"s%06d_abcdefghijklmnopqrstuvwxyz": "a b"' % i for i in range(n)] + ['"list": ' + items]) + "}"
        for i in reversed(range(14)):
            inner = '{"k%02d_abcdefghijklmnopqrstuvwxyz0123456789": %s}' % (i, inner)
        yield head % uid(1) + inner + "}"

    # Each key twice, the second time after all the others.
    keys = lambda: [head % uid(1) + "{" + ", ".join('"k%d": %d' % (i % (n // 2), i) for i in range(n)) + "}}"]
    files = {
        "hostile-list": (f"one line listing {n:,} tool names, then again reversed", lambda: [head % uid(1) + tools(list(range(n)) + list(range(n))[::-1]) + "}"]),
        "hostile-keys": (f"one line whose metadata has {n:,} keys, each twice", keys),
        "hostile-cells": (f"{n:,} tool names listed, then {2 * n:,} installations listing the last", cells),
        "hostile-wide": (f"{20 * scale:,} installations each listing the same 20,000 tool names", wide),
        "hostile-distinct": (f"{10 * n:,} distinct tool names, 50 to an event, from 100 installations", distinct),
        "hostile-groups": (f"{n // 5:,} profiles of 6 installations, each needing a complement in the report", groups),
        # What `audit`'s rules search text for, over and over: each search
        # once read the rest of the line (quadratic: 38 s and 100 s for
        # 300,000 repeats).
        "hostile-text": (f"one test.event whose message repeats `at ` and `://` {n:,} times each", text),
        # Every value a finding of `audit` under one long path (two reviews:
        # the path was read again for each, 444 s for 50,000 list items in a
        # debug build, then 12 s for 50,000 sibling keys in a release build).
        "hostile-paths": (f"one line whose metadata nests 14 keys of 40 characters over {n:,} two-word strings and {n:,} keys", paths),
        # Many values of few bytes each: `validate` and `audit` build a tree
        # of the line, each `{}` made room for 8 members (a review: 3.1 GB
        # for a line of 16 MiB); now a tree holds at most 500,000 values.
        "hostile-containers": (f"one line whose metadata lists {20 * n:,} empty objects", lambda: [head % uid(1) + '{"x": [' + ", ".join(["{}"] * (20 * n)) + "]}}"]),
    }
    out = {}
    for name, (what, lines) in files.items():
        path = Path(folder) / f"{name}-v2-{scale}.jsonl"
        if write and not path.exists():
            tmp = path.with_suffix(".tmp")
            with open(tmp, "w") as f:
                for line in lines():
                    f.write(line + "\n")
            tmp.rename(path)
        out[name] = (path, what)
    return out


def hostile_rows(a, warmup, rows, checks):
    """Runs each command on each hostile file ([`write_hostile`]) at two
    sizes (one in smoke mode) and adds their rows and checks. Time that grows
    with the size's square (comparing every item with every other) shows as
    a ratio near 4 between the sizes; linear work stays near 2."""
    verbs = {
        "summary": lambda f: [a.bin, "summary", str(f), "--format", "json", "-q"],
        "summary (terminal)": lambda f: [a.bin, "summary", str(f), "-q"],
        "report": lambda f: [a.bin, "report", str(f), "--quarter", "2026-Q1", "--out", str(Path(a.big).parent / "report-hostile")],
        "validate": lambda f: [a.bin, "validate", str(f)],
        "audit": lambda f: [a.bin, "audit", str(f)],
    }
    scales = [1] if a.smoke else [5, 10]
    folder = str(Path(a.big).parent)
    # Written by a child: the peak RSS that wait4 reports for a command
    # starts from this process's own peak (Linux carries a process's peak
    # over an exec), so this one must not grow by building the files.
    for scale in scales:
        code = f"import sys; sys.path.insert(0, {str(HERE)!r}); import compare; compare.write_hostile({folder!r}, {scale})"
        subprocess.run([sys.executable, "-B", "-c", code], check=True)
    hostile = {scale: write_hostile(folder, scale, write=False) for scale in scales}
    cmds = {(v, name, scale): make(path) for scale, files in hostile.items() for name, (path, _) in files.items() for v, make in verbs.items()}
    # validate and audit exit 1 when they find something (these files
    # are made to hold what they look for).
    hm = measure(cmds, 1 if a.smoke else 3, warmup, ok=(0, 1))
    for name in hostile[scales[-1]]:
        over = []
        for v in verbs:
            for scale in scales:
                path, what = hostile[scale][name]
                got = hm[(v, name, scale)]
                rows.append(fmt_row(f"jmo-analyze {v}: {what}", f"{path.name} ({path.stat().st_size / 1e6:.1f} MB)", got))
                if got["rss"] > 400 and name != "hostile-distinct":
                    over.append(f"{v} at size {scale}: {got['rss']:.0f} MB")
            if len(scales) == 2:
                half, full = hm[(v, name, scales[0])], hm[(v, name, scales[1])]
                if full["wall"] > 3 * half["wall"] + 0.05:
                    over.append(f"{v}: {full['wall']:.2f} s against {half['wall']:.2f} s at half the size")
                # Few installations, many cells each: a summary's memory
                # grows with their cells' bits (a set of cell numbers per
                # installation measured 1 MB per MB of input). The report
                # also lists each cell's installations (8 bytes a pair), so
                # its memory follows such a file by design.
                grew = full["rss"] - half["rss"]
                added = (hostile[scales[1]][name][0].stat().st_size - hostile[scales[0]][name][0].stat().st_size) / 1e6
                if name == "hostile-wide" and v == "summary" and grew > 0.6 * added:
                    over.append(f"{v}: {grew:.0f} MB more for {added:.0f} MB more input")
                # Every distinct value is a row of the output, so memory
                # follows them; what counts is how much each costs. The
                # report keeps each cell's installations for the privacy
                # rules and a summary for two quarters.
                values = 10 * (hostile_names(scales[1]) - hostile_names(scales[0]))
                per_value = 1000 if v == "report" else 500
                if name == "hostile-distinct" and grew * 1e6 > per_value * values:
                    over.append(f"{v}: {grew * 1e6 / values:.0f} bytes more per distinct value")
        if not a.smoke:
            if name == "hostile-distinct":
                bound = "peak RSS at most 500 bytes more per distinct value (report 1,000)"
            else:
                bound = "peak RSS <= 400 MB"
                if name == "hostile-wide":
                    bound += ", and summary at most 0.6 MB more per MB more input"
            checks.append((f"{name}: twice the size takes at most 3x the time (+0.05 s), {bound}", not over, "; ".join(over) or "all within"))
    # Each name is listed twice in one event: once each, all of them.
    path = hostile[scales[-1]]["hostile-list"][0]
    out = json.loads(subprocess.run([a.bin, "summary", str(path), "--format", "json", "-q"], capture_output=True, check=True, text=True).stdout)
    tools = out["metrics"]["scan_tools"]
    want = 10_000 * scales[-1]
    right = len(tools) == want and all(r["count"] == 1 for r in tools)
    checks.append((f"{path.name}: each of {want:,} names listed twice in one event counts once", right, f"{len(tools):,} rows, counts {sorted({r['count'] for r in tools})}"))


def keyed(name, rows, diffs):
    """A metric's rows as value -> count, values written as the peers write
    them (null "null", booleans "true"/"false"). A value met twice (a row
    repeated, or `null` beside the string "null") is a difference: it must
    not be merged into one count that happens to agree."""
    got = {}
    for row in rows:
        v = row["value"]
        key = "null" if v is None else (str(v).lower() if isinstance(v, bool) else str(v))
        if key in got:
            diffs.append(f"{name}: value {key!r} in two rows")
        got[key] = got.get(key, 0) + row["count"]
    return got


def compare_counts(jmo, peer, peer_name):
    """Lists every count where jmo-analyze's summary (parsed JSON) and a
    peer's counts (`{"unique_ids": N, "metrics": {name: {value: count}}}`,
    plus any other total the summary has under `input` or `totals`)
    disagree. Every metric the peer has is compared, whole."""
    diffs = []
    for key, want in peer.items():
        if key == "metrics":
            continue
        got = jmo["totals"].get(key, jmo["input"].get(key))
        if got != want:
            diffs.append(f"{key}: jmo {got} {peer_name} {want}")
    for name, want in peer["metrics"].items():
        if name not in jmo["metrics"]:
            diffs.append(f"{name}: not in jmo-analyze's summary")
            continue
        got = keyed(name, jmo["metrics"][name], diffs)
        if got != want:
            diffs.append(f"{name}: jmo {got} {peer_name} {want}")
    return diffs


def fmt_row(name, file, m, peer=None):
    ratio = f"{m['wall'] / peer['wall']:.2f}x" if peer else ""
    par = m["cpu"] / m["wall"] if m["wall"] > 0 else 0
    return f"| {name} | {file} | {m['runs']} | {m['wall']:.3f} | {m['cpu']:.3f} | {par:.2f} | {m['rss']:.0f} | {ratio} |"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--python", required=True, help="python with duckdb installed")
    ap.add_argument("--big", required=True, help="the ~1 GB file")
    ap.add_argument("--expected", help="the generator's ground truth for --big (its --expected)")
    ap.add_argument("--huge", help="the ~4 GB file")
    ap.add_argument("--medium", help="the ~100 MB file for jq and the guide's script")
    ap.add_argument("--small", required=True, help="a real-size file (~750 events)")
    ap.add_argument("--quarter", help="quarter for the report run")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1, help="untimed rounds before the timed ones")
    ap.add_argument("--smoke", action="store_true", help="correctness only, one run each")
    a = ap.parse_args()
    runs = 1 if a.smoke else a.runs
    warmup = 0 if a.smoke else a.warmup
    out_json = Path(a.big).with_suffix(".summary.json")

    rows, checks = [], []
    size = Path(a.big).stat().st_size / 1e6
    big = f"{Path(a.big).name} ({size:.0f} MB)"

    # The 1 GB file's commands, the report and the 4 GB file: one set of
    # rounds. Every output goes to /dev/null through the command's stdout
    # (never `-o`: the runs compared do the same work, and no regression
    # of `-o` can touch the device); the JSON compared is written after.
    cmds = {
        "cat": ["cat", a.big],
        "jmo": [a.bin, "summary", a.big, "--format", "json", "-q"],
        "duck": [a.python, str(HERE / "duckdb_counts.py"), a.big],
        # What DuckDB's time holds besides the work: Python, the module, a
        # connection.
        "duck-start": [a.python, "-c", "import duckdb; duckdb.connect()"],
        # The floor: every summary carries the SHA-256 of its input, one
        # serial stream (see sha256_file.py).
        "sha": [sys.executable, str(HERE / "sha256_file.py"), a.big],
    }
    if a.quarter:
        cmds["report"] = [a.bin, "report", a.big, "--quarter", a.quarter, "--out", str(Path(a.big).parent / "report-out")]
    if a.huge:
        cmds["huge"] = [a.bin, "summary", a.huge, "--format", "json", "-q"]
    m = measure(cmds, runs, warmup)
    cat, jmo, duck, sha, start = m["cat"], m["jmo"], m["duck"], m["sha"], m["duck-start"]
    rows += [
        fmt_row("cat FILE > /dev/null", big, cat),
        fmt_row("jmo-analyze summary --format json", big, jmo),
        fmt_row("DuckDB (duckdb_counts.py)", big, duck, jmo),
        fmt_row("DuckDB's start alone (python: import duckdb, connect)", "", start),
        fmt_row("SHA-256 of the file alone (sha256_file.py: OpenSSL, one core)", big, sha, jmo),
    ]
    if not a.smoke:
        # A run that read its file from the disk measured the disk: the
        # warm-up round is there to prevent it, this says when it did not.
        # The host reclaims a few cached pages now and then; a read of at
        # most 1 % of the command's file (16 MB at least) moves its time by
        # less than the runs' own spread.
        read = {name: Path(a.huge if name == "huge" else a.big).stat().st_size / 1e6 for name in m}
        read["duck-start"] = 0
        # Named as the table names them (a review: "huge" was the script's
        # own word for the 4 GB summary).
        label = {"cat": "cat", "jmo": "summary", "duck": "DuckDB", "duck-start": "DuckDB's start",
                 "sha": "SHA-256 alone", "report": "report", "huge": f"the {Path(a.huge or '').name} summary"}
        cold = [f"{label[name]} {x['disk']:.0f} MB" for name, x in m.items() if x["disk"] > max(16, read[name] / 100)]
        most = max(m, key=lambda name: m[name]["disk"])
        checks.append(("every timed run read its files from the page cache (ru_inblock: at most 1 % of its file from the disk)", not cold, "; ".join(cold) or f"the most: {label[most]} {m[most]['disk']:.0f} MB"))

    subprocess.run([a.bin, "summary", a.big, "--format", "json", "-q", "-o", str(out_json)], check=True)
    summary = json.loads(out_json.read_text())
    duck_out = subprocess.run([a.python, str(HERE / "duckdb_counts.py"), a.big], capture_output=True, check=True, text=True).stdout
    diffs = compare_counts(summary, json.loads(duck_out), "duckdb")
    checks.append(("counts equal DuckDB's", not diffs, "; ".join(diffs)[:2000] or "all equal"))
    if a.expected:
        # A second, independent truth: what the generator wrote, counted
        # from its typed events (DuckDB and jmo-analyze could share a
        # mistake in reading the file).
        diffs = compare_counts(summary, json.loads(Path(a.expected).read_text()), "generator")
        checks.append(("counts equal the generator's ground truth (--expected)", not diffs, "; ".join(diffs)[:2000] or "all equal"))
    digest = subprocess.run([sys.executable, str(HERE / "sha256_file.py"), a.big], capture_output=True, check=True, text=True).stdout.strip()
    ours = summary["input"]["sha256"]
    checks.append(("input.sha256 equals the file's SHA-256", ours == digest, f"{ours}" if ours == digest else f"jmo {ours}, hashlib {digest}"))

    if not a.smoke:
        # What the hash alone allows: jmo-analyze cannot end before its
        # input's SHA-256 does. DuckDB's time holds its start (Python, the
        # module); the ratio without it is shown beside.
        floor = f"SHA-256 of the file alone {sha['wall']:.2f} s"
        net = (duck["wall"] - start["wall"]) / jmo["wall"]
        checks.append(("DuckDB wall / jmo wall >= 4", duck["wall"] / jmo["wall"] >= 4, f"{duck['wall'] / jmo['wall']:.2f}x, {net:.2f}x without DuckDB's start ({floor}: DuckDB {duck['wall'] / sha['wall']:.2f}x that)"))
        # A `cat` that waited for the disk (the host drops cached pages now
        # and then) is no yardstick: its pass would be the cache's, not ours.
        cached = cat["cpu"] / cat["wall"] >= 0.9
        detail = f"{jmo['wall'] / cat['wall']:.2f}x ({floor}: {sha['wall'] / cat['wall']:.2f}x cat)" + ("" if cached else f" (not counted: cat read from disk, CPU/wall {cat['cpu'] / cat['wall']:.2f})")
        checks.append(("jmo wall / cat wall <= 5", cached and jmo["wall"] / cat["wall"] <= 5, detail))
        big_runs = {"summary": jmo, "report": m.get("report"), "summary of the 4 GB file": m.get("huge")}
        over = [f"{name} {x['rss']:.0f} MB" for name, x in big_runs.items() if x and x["rss"] > 400]
        checks.append(("peak RSS <= 400 MB (every run: summary, report, the 4 GB summary)", not over, "; ".join(over) or f"summary {jmo['rss']:.0f} MB at most"))
        checks.append(("CPU / wall >= 1.7", jmo["cpu"] / jmo["wall"] >= 1.7, f"{jmo['cpu'] / jmo['wall']:.2f}"))

    small = measure({"small": [a.bin, "summary", a.small, "--format", "json", "-q"]}, max(runs, 10) if not a.smoke else 1, warmup)["small"]
    rows.append(fmt_row("jmo-analyze summary (real-size file)", Path(a.small).name, small))
    if not a.smoke:
        checks.append(("real-size file < 20 ms", small["wall"] < 0.020, f"{small['wall'] * 1000:.1f} ms"))

    if a.quarter:
        rep = m["report"]
        rows.append(fmt_row(f"jmo-analyze report --quarter {a.quarter}", big, rep, jmo))
        if not a.smoke:
            checks.append(("report <= 1.5x summary", rep["wall"] / jmo["wall"] <= 1.5, f"{rep['wall'] / jmo['wall']:.2f}x"))

    if a.huge:
        hsize = Path(a.huge).stat().st_size / 1e6
        huge = m["huge"]
        rows.append(fmt_row("jmo-analyze summary --format json", f"{Path(a.huge).name} ({hsize:.0f} MB)", huge, jmo))
        # A file cut short (a generator stopped halfway) would pass easily.
        times = hsize / size
        whole = 3.9 <= times <= 4.1
        checks.append(("4 GB time <= 4.4x 1 GB", whole and huge["wall"] / jmo["wall"] <= 4.4, f"{huge['wall'] / jmo['wall']:.2f}x" + ("" if whole else f" (not counted: the files are {times:.2f}x in size, not 4x: delete them and run again)")))
        checks.append(("4 GB peak RSS <= 1.5x 1 GB", huge["rss"] / jmo["rss"] <= 1.5, f"{huge['rss']:.0f} MB vs {jmo['rss']:.0f} MB"))

    if a.medium:
        msize = Path(a.medium).stat().st_size / 1e6
        med = f"{Path(a.medium).name} ({msize:.0f} MB)"
        mruns = 1 if a.smoke else 3
        mm = measure({
            "jm": [a.bin, "summary", a.medium, "--format", "json", "-q"],
            "jq": ["bash", str(HERE / "guide_jq.sh"), a.medium],
            "py": [sys.executable, str(HERE / "guide_analyze.py"), a.medium],
        }, mruns, warmup)
        jm, jq, py = mm["jm"], mm["jq"], mm["py"]
        rows += [fmt_row("jmo-analyze summary --format json", med, jm), fmt_row("guide's jq recipes (guide_jq.sh)", med, jq, jm), fmt_row("guide's Python script", med, py, jm)]

    hostile_rows(a, warmup, rows, checks)

    print(f"machine: {os.cpu_count()} cores, {os.uname().machine}; medians of wall and CPU, and the largest peak RSS, of the runs shown, after {warmup} untimed round(s)")
    print()
    print("| command | file | runs | wall s | CPU s | CPU/wall | peak RSS MB | wall vs jmo-analyze |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(r)
    print()
    failed = 0
    for name, ok, detail in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {name}: {detail}")
        failed += not ok
    print(f"\n{len(checks) - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
