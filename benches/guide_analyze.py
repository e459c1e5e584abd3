"""The telemetry guide's "Python Analysis Script" (event types, unique users,
platforms, profiles, tool failures), as the guide gives it except that the
common fields are read with .get(): the guide's e["anonymous_id"] raises
KeyError on the gist's own first line (the telemetry.initialized marker)."""
import json
import sys
from collections import Counter


def analyze_telemetry(jsonl_path):
    events = []
    with open(jsonl_path) as f:
        for line in f:
            if line.strip():
                events.append(json.loads(line))
    print(f"Total Events: {len(events)}")
    event_types = Counter(e["event"] for e in events)
    for event, count in event_types.most_common():
        print(f"  {event}: {count}")
    print(f"Unique Users: {len(set(e.get('anonymous_id') for e in events))}")
    platforms = Counter(e.get("platform") for e in events)
    for platform, count in platforms.most_common():
        print(f"  {platform}: {count} ({count / len(events) * 100:.1f}%)")
    scan_events = [e for e in events if e["event"] == "scan.started"]
    profiles = Counter(e["metadata"]["profile"] for e in scan_events)
    for profile, count in profiles.most_common():
        print(f"  {profile}: {count} ({count / len(scan_events) * 100:.1f}%)")
    fail_events = [e for e in events if e["event"] == "tool.failed"]
    for tool, count in Counter(e["metadata"]["tool"] for e in fail_events).most_common():
        print(f"  {tool}: {count}")


if __name__ == "__main__":
    analyze_telemetry(sys.argv[1])
