#!/usr/bin/python3
"""Summarise Google Benchmark JSON from bench/micro.sh as a Markdown table.

Usage: micro_report.py MICRO_JSON OUT_MD

One row per benchmark: the median over repetitions (or the single run when
there were no repetitions) of CPU and wall time per image, images/s and Mpx/s,
and the coefficient of variation of the CPU time when Google Benchmark gave one.
"""

import json
import sys
from collections import OrderedDict

TO_MS = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}


def rows_by_name(benchmarks):
    """name -> {"median": row, "cv": row}, in the order of the run."""
    out = OrderedDict()
    for b in benchmarks:
        name = b.get("run_name", b["name"])
        kind = b.get("aggregate_name") if b.get("run_type") == "aggregate" else "single"
        out.setdefault(name, {})
        if kind in ("median", "cv"):
            out[name][kind] = b
        elif kind == "single":
            out[name].setdefault("single", b)  # first repetition when not aggregated
    return out


def fmt(value, digits):
    return "" if value is None else f"{value:.{digits}f}"


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(sys.argv[1]) as fh:
        doc = json.load(fh)
    ctx = doc.get("context", {})
    md = ["# imgflow stage micro-benchmarks\n"]
    md.append("Per-image cost of each CPU stage on one thread (OpenCV set to one thread and glibc's "
              "malloc thresholds set as the imgflow CLI sets them), on the photos in `sample_images/` and in-memory PNG, WebP and progressive-JPEG "
              "re-encodes of `kite.jpg`. Produced by `bench/micro.sh`; raw data in `micro.json`.\n")
    load = ", ".join(f"{x:.2f}" for x in ctx.get("load_avg", []))
    md.append(f"- Machine: {ctx.get('num_cpus')} CPUs at {ctx.get('mhz_per_cpu')} MHz, host "
              f"`{ctx.get('host_name')}`; load average at start {load or 'n/a'}")
    md.append(f"- Date: {ctx.get('date')}; imgflow {ctx.get('imgflow_version', '?')} "
              f"(git {ctx.get('git', '?')}), built {ctx.get('imgflow_build_type', '?')}")
    if ctx.get("library_build_type") == "debug":
        md.append("- Debian's libbenchmark calls itself a debug build; that concerns only its own "
                  "timing loop, not the code measured")
    rows = rows_by_name(doc.get("benchmarks", []))
    reps = max((b.get("repetitions", 1) for b in doc.get("benchmarks", [])), default=1)
    md.append(f"- Each row: median of {reps} repetition(s) (Google Benchmark picks the iterations per "
              "repetition); CV = standard deviation / mean of the CPU time over the repetitions\n")
    md.append("| benchmark | what | CPU ms/image | wall ms/image | images/s | Mpx/s | CV |")
    md.append("|---|---|---:|---:|---:|---:|---:|")
    for name, kinds in rows.items():
        row = kinds.get("median") or kinds.get("single")
        if row is None:
            continue
        if row.get("error_occurred"):
            md.append(f"| `{name}` | FAILED: {row.get('error_message', '')} | | | | | |")
            continue
        scale = TO_MS[row.get("time_unit", "ns")]
        cv = kinds.get("cv")
        cv_text = f"{cv['cpu_time'] * 100:.1f}%" if cv else ""
        md.append(f"| `{name}` | {row.get('label', '')} | {fmt(row['cpu_time'] * scale, 2)} "
                  f"| {fmt(row['real_time'] * scale, 2)} | {fmt(row.get('items_per_second'), 1)} "
                  f"| {fmt(row.get('Mpx'), 1)} | {cv_text} |")
    md.append("")
    md.append("Names are `<stage>/<format>/<photo>/<variant>`. `decode/.../scale:1/N`: the "
              "decoder asked (through `DecodeOptions::at_least`) for no less than 1/N of each side, so "
              "TurboJPEG's shrink-on-load picks that scale; `box800`: what the pipeline asks for when "
              "every output fits 800x800 (the fitted size times its default shrink-on-load margin, Options::shrink_margin). "
              "`resize/...`: `imgflow::resize` with default options (filter auto) to fit 800x800, from a "
              "full decode or a shrink-on-load result. `encode/...`: an 800x533 crop of `kite.jpg`. "
              "`path/...`: `read_file`, `read_header`, `decode` (box800), `resize`, `encode` JPEG q85, "
              "the per-image work of `bench/compare.sh`'s job without the file write. Mpx/s counts the "
              "decoded pixels (decode), the pixels in (resize, encode) or the full-size source (path).")
    md.append("")
    with open(sys.argv[2], "w") as fh:
        fh.write("\n".join(md))
    return 0


if __name__ == "__main__":
    sys.exit(main())
