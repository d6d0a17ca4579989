#!/usr/bin/python3
"""The compute floor of an imgflow run, from its JSON report's per-file stage times.

The floor is the sum of imgflow's own per-image stage times (read, decode,
resize, encode, write: `files[].timings_ms` in `--report`) measured on one
thread (`-j 1`), divided by the cores: the wall time no scheduler can beat with
these codecs. bench/compare.sh records one row per `-j 1` run:

    floor.py add --report REPORT.json --corpus NAME --run N --csv FLOOR.csv

and bench/tools/report.py compares the floor with the `-j <cores>` wall time.
"""

import argparse
import csv
import json
import os
import statistics
import sys

STAGES = ("read", "decode", "resize", "encode", "write")
COLUMNS = ("corpus", "run", "files", "timed_files") + tuple(f"{s}_s" for s in STAGES) + ("stage_sum_s",)


def stage_totals(report_path):
    """Seconds per stage summed over the report's files, with the file counts."""
    with open(report_path) as fh:
        files = json.load(fh).get("files", [])
    totals = dict.fromkeys(STAGES, 0.0)
    timed = 0
    for entry in files:
        timings = entry.get("timings_ms")
        if not isinstance(timings, dict):
            continue
        timed += 1
        for stage in STAGES:
            totals[stage] += float(timings.get(stage, 0.0)) / 1000.0
    row = {"files": len(files), "timed_files": timed}
    row.update({f"{s}_s": round(totals[s], 4) for s in STAGES})
    row["stage_sum_s"] = round(sum(totals.values()), 4)
    return row


def add(args):
    row = {"corpus": args.corpus, "run": args.run}
    row.update(stage_totals(args.report))
    new = not os.path.exists(args.csv) or os.path.getsize(args.csv) == 0
    with open(args.csv, "a", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        if new:
            writer.writeheader()
        writer.writerow(row)
    if row["timed_files"] == 0:
        print(f"floor: {args.report} has no timings_ms (an imgflow without per-file stage timings?)",
              file=sys.stderr)
        return 1
    return 0


def summarize(floor_rows, scaling, cores):
    """Per corpus: the median stage times of the -j 1 runs, the floor, and how the
    -j <cores> median wall compares with it. `scaling` maps (corpus, label) to
    report.py's run summaries (label imgflow-j1 / imgflow-j<cores>)."""
    out = {}
    for corpus in dict.fromkeys(r["corpus"] for r in floor_rows):
        rows = [r for r in floor_rows if r["corpus"] == corpus and int(r["timed_files"]) > 0]
        s = {"corpus": corpus, "runs": len(rows), "cores": cores}
        if rows:
            for key in [f"{st}_s" for st in STAGES] + ["stage_sum_s"]:
                s[key] = statistics.median(float(r[key]) for r in rows)
            s["files"] = int(rows[0]["files"])
            s["floor_s"] = s["stage_sum_s"] / cores
        j1 = scaling.get((corpus, "imgflow-j1"))
        jn = scaling.get((corpus, f"imgflow-j{cores}"))
        s["j1_wall_s"] = j1["wall"] if j1 and not j1["failed"] else None
        s["jn_wall_s"] = jn["wall"] if jn and not jn["failed"] else None
        s["wall_over_floor"] = (s["jn_wall_s"] / s["floor_s"]
                                if s.get("floor_s") and s["jn_wall_s"] else None)
        s["speedup"] = (s["j1_wall_s"] / s["jn_wall_s"]
                        if s["j1_wall_s"] and s["jn_wall_s"] else None)
        out[corpus] = s
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    a = sub.add_parser("add", help="append the stage totals of one -j 1 report to FLOOR.csv")
    a.add_argument("--report", required=True)
    a.add_argument("--corpus", required=True)
    a.add_argument("--run", required=True)
    a.add_argument("--csv", required=True)
    args = ap.parse_args()
    return add(args)


if __name__ == "__main__":
    sys.exit(main())
