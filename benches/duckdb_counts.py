"""The guide's summary counts, computed by DuckDB, printed as JSON.

Usage: python duckdb_counts.py FILE
Output: {"unique_ids": N, "metrics": {"event_types": {"scan.started": N, ...}, ...}}
with null values keyed "null", so it compares directly with jmo-analyze's JSON.
"""
import json
import sys

import duckdb

COLUMNS = {
    "event": "VARCHAR",
    "platform": "VARCHAR",
    "anonymous_id": "VARCHAR",
    "metadata": "STRUCT(mode VARCHAR, profile VARCHAR, tool VARCHAR, duration_bucket VARCHAR,"
    " artifact_generated VARCHAR, output_formats VARCHAR[],"
    " target_types STRUCT(repos BIGINT, images BIGINT, urls BIGINT, iac BIGINT, gitlab BIGINT, k8s BIGINT))",
}

QUERIES = {
    "event_types": "SELECT event, count(*) FROM e GROUP BY 1",
    # Common-field breakdowns count usage events: not test events nor the gist's marker.
    "platforms": "SELECT platform, count(*) FROM e WHERE event NOT IN ('test', 'test.event', 'telemetry.initialized') GROUP BY 1",
    "profiles": "SELECT metadata.profile, count(*) FROM e WHERE event = 'scan.started' GROUP BY 1",
    "modes": "SELECT metadata.mode, count(*) FROM e WHERE event = 'scan.started' GROUP BY 1",
    "tool_failures": "SELECT metadata.tool, count(*) FROM e WHERE event = 'tool.failed' GROUP BY 1",
    "duration_buckets": "SELECT metadata.duration_bucket, count(*) FROM e WHERE event = 'scan.completed' GROUP BY 1",
    "multi_target": """SELECT CASE WHEN metadata.target_types IS NULL THEN NULL
                              WHEN (coalesce(metadata.target_types.repos, 0) > 0)::INT + (coalesce(metadata.target_types.images, 0) > 0)::INT
                                 + (coalesce(metadata.target_types.urls, 0) > 0)::INT + (coalesce(metadata.target_types.iac, 0) > 0)::INT
                                 + (coalesce(metadata.target_types.gitlab, 0) > 0)::INT + (coalesce(metadata.target_types.k8s, 0) > 0)::INT > 1
                              THEN 'multi' ELSE 'single' END, count(*)
                       FROM e WHERE event = 'scan.started' GROUP BY 1""",
    "wizard_artifacts": "SELECT metadata.artifact_generated, count(*) FROM e WHERE event = 'wizard.completed' GROUP BY 1",
    # A format listed twice in one event counts once, as jmo-analyze counts it.
    "output_formats": "SELECT f, count(*) FROM (SELECT unnest(list_distinct(metadata.output_formats)) AS f FROM e WHERE event = 'report.generated') GROUP BY 1",
}


def main(path: str) -> None:
    con = duckdb.connect()
    cols = ", ".join(f"{k}: '{v}'" for k, v in COLUMNS.items())
    con.execute(f"CREATE TEMP TABLE e AS SELECT * FROM read_ndjson('{path}', columns={{{cols}}})")
    out = {"metrics": {}}
    out["unique_ids"] = con.execute(
        "SELECT count(DISTINCT nullif(trim(anonymous_id), '')) FROM e WHERE event NOT IN ('test', 'test.event', 'telemetry.initialized')"
    ).fetchone()[0]
    for name, sql in QUERIES.items():
        out["metrics"][name] = {("null" if k is None else str(k)): n for k, n in con.execute(sql).fetchall()}
    json.dump(out, sys.stdout, sort_keys=True)


if __name__ == "__main__":
    main(sys.argv[1])
