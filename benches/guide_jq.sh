#!/usr/bin/env bash
# The telemetry guide's jq recipes ("Analysis Examples (jq)"), run one after another.
set -euo pipefail
f=$1
jq -r '.event' "$f" | sort | uniq -c >/dev/null
jq -r 'select(.event == "scan.started") | .metadata.profile' "$f" | sort | uniq -c | sort -rn >/dev/null
jq -r 'select(.event == "tool.failed") | .metadata.tool' "$f" | sort | uniq -c | sort -rn >/dev/null
jq -r '.platform' "$f" | sort | uniq -c >/dev/null
jq -r 'select(.event == "scan.started") | .metadata.mode' "$f" | sort | uniq -c >/dev/null
jq -r 'select(.event == "scan.completed") | .metadata.duration_bucket' "$f" | sort | uniq -c >/dev/null
# As the guide writes it: jq stops with an error on each scan without
# target_types (jq 1.7 then exits 5), which the guide's reader sees and goes on.
{ jq -r 'select(.event == "scan.started") | .metadata.target_types | to_entries | map(select(.value > 0)) | length' "$f" 2>/dev/null || true; } \
  | awk '{if($1>1) multi++; else single++} END {print "Single:", single, "Multi:", multi}' >/dev/null
jq -r 'select(.event == "wizard.completed") | .metadata.artifact_generated' "$f" | sort | uniq -c >/dev/null
jq -r 'select(.event == "report.generated") | .metadata.output_formats[]' "$f" | sort | uniq -c | sort -rn >/dev/null
