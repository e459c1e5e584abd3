#!/usr/bin/env python3
"""Times commands against each other in interleaved rounds: the way to tell
whether a change made jmo-analyze faster on a shared, noisy machine.

    python3 benches/ab.py --runs 7 \\
        'old=target-old/release/jmo-analyze summary bench-data/1g.jsonl -f json' \\
        'new=target/release/jmo-analyze summary bench-data/1g.jsonl -f json' \\
        'cat=cat bench-data/1g.jsonl'

Each argument is LABEL=COMMAND (split as a shell splits words; leading
NAME=VALUE words set the command's environment). After one untimed round,
each round runs every command once, in the given order and then reversed
on the next round, so a slow minute of the host falls on all of them; the
medians of wall and CPU time (user + system, of the command and its
children) are printed, with each command's wall time as a ratio of the
first's. Standard input is empty (to time reading stdin, give a shell:
'stdin=sh -c "jmo-analyze summary - < FILE"'); standard output is thrown
away. A command that exits with a code other than 0 (or one of --ok) stops
the timing with a message.
"""
import argparse
import os
import re
import resource
import shlex
import statistics
import subprocess
import sys
import time


def parse(spec):
    label, sep, command = spec.partition("=")
    if not sep or not label or not command.strip():
        sys.exit(f"ab.py: {spec!r}: give LABEL=COMMAND")
    try:
        words = shlex.split(command)
    except ValueError as e:
        sys.exit(f"ab.py: {spec!r}: {e}")
    env = dict(os.environ)
    # A shell's rule: NAME=VALUE with a NAME of letters, digits and _.
    while words and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", words[0], re.S):
        name, _, value = words.pop(0).partition("=")
        env[name] = value
    if not words:
        sys.exit(f"ab.py: {spec!r}: no command after the environment")
    return label, words, env


def run(label, words, env, ok):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    try:
        code = subprocess.run(
            words, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, env=env
        ).returncode
    except OSError as e:
        sys.exit(f"ab.py: {label}: cannot run {words[0]!r}: {e.strerror}")
    wall = time.perf_counter() - start
    if code < 0:
        sys.exit(f"ab.py: {label}: killed by signal {-code}")
    if code not in ok:
        sys.exit(f"ab.py: {label}: exited with {code} (give --ok {code} if that is its answer)")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=7, help="timed rounds (default 7, at least 1)")
    ap.add_argument("--ok", default="0", help="exit codes that count as success, e.g. 0,1 (default 0)")
    ap.add_argument("commands", nargs="+", metavar="LABEL=COMMAND")
    a = ap.parse_args()
    if a.runs < 1:
        sys.exit("ab.py: --runs must be at least 1")
    try:
        ok = {int(c) for c in a.ok.split(",")}
    except ValueError:
        sys.exit(f"ab.py: --ok {a.ok!r}: give exit codes such as 0,1")
    cmds = [parse(spec) for spec in a.commands]
    if len({label for label, _, _ in cmds}) != len(cmds):
        sys.exit("ab.py: each command needs its own label")
    for label, words, env in cmds:
        run(label, words, env, ok)
    times = {label: [] for label, _, _ in cmds}
    for i in range(a.runs):
        for label, words, env in cmds if i % 2 == 0 else reversed(cmds):
            times[label].append(run(label, words, env, ok))
    first = statistics.median(w for w, _ in times[cmds[0][0]])
    width = max(len("command"), *(len(label) for label in times))
    print(f"{'command':{width}}  wall s (median)  CPU s (median)  wall / {cmds[0][0]}   ({a.runs} round{'' if a.runs == 1 else 's'})")
    for label, runs in times.items():
        wall = statistics.median(w for w, _ in runs)
        cpu = statistics.median(c for _, c in runs)
        print(f"{label:{width}}  {wall:15.3f}  {cpu:14.3f}  {wall / first:8.2f}x")


if __name__ == "__main__":
    main()
