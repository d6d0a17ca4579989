#!/usr/bin/python3
"""Turn bench/compare.sh's raw CSVs into Markdown tables and a bar chart.

Usage: report.py --runs-csv F --quality-csv F [--floor-csv F] --meta F --out-md F --out-png F

Prints the Markdown report to stdout as well, then one line per corpus with the
compute floor (see floor.py).
"""

import argparse
import csv
import os
import statistics
import sys
from collections import OrderedDict

import floor as floor_mod

TOOL_NOTES = OrderedDict([
    ("imgflow", "one process, its own threads; by default it fsyncs each output before renaming it into "
                "place, which no other tool here does"),
    ("sharp", "Node script `tools/sharp_pool.js`: `sharp(in).rotate().resize({width: 800, height: 800, "
              "fit: 'inside', withoutEnlargement: true}).jpeg({quality: 85})`, a promise pool of files in flight; "
              "`LD_PRELOAD` of Debian's libjemalloc2 unless `SHARP_JEMALLOC=0` (sharp's docs recommend "
              "jemalloc on glibc Linux)"),
    ("vipsthumbnail", "`vipsthumbnail --size '800x800>' -o OUT/%s.jpg[Q=85]` on batches of files under "
                      "`xargs -P`, `VIPS_CONCURRENCY` threads per process"),
    ("pillow-pool", "Python `multiprocessing.Pool(<cores>)` + Pillow: EXIF orientation read first, "
                    "`draft()` (JPEG shrink-on-load, at least 2x the fitted size), "
                    "`thumbnail((800, 800), LANCZOS)`, transpose upright, `save(quality=85)`"),
    ("imagemagick", "`mogrify` (one process, OpenMP threads), JPEG size hint on the jpeg corpus"),
    ("graphicsmagick", "`gm mogrify` (one process, OpenMP threads), JPEG size hint on the jpeg corpus"),
])


def tool_rank(label):
    """Sort key: the peer's place in TOOL_NOTES, its plain label before its @variants."""
    base = label.split("@", 1)[0]
    return (list(TOOL_NOTES).index(base) if base in TOOL_NOTES else 99, label != base, label)


CORPUS_NOTES = {
    "jpeg": "full-resolution JPEG photos (1–16 MP), about a third re-encoded as progressive",
    "png": "PNG, RGB, downscaled to about 2–4 MP",
    "webp": "WebP quality 90, RGB, downscaled to about 2–4 MP",
}


def read_csv(path):
    if not path or not os.path.exists(path):
        return []
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def read_meta(path):
    meta = OrderedDict()
    with open(path) as fh:
        for line in fh:
            key, sep, value = line.rstrip("\n").partition("=")
            if sep:
                meta[key] = value
    return meta


def summarize(rows):
    """rows of one (section, corpus, tool) -> dict of medians, or failure info."""
    bad = [r for r in rows if r["status"] != "ok"]
    good = [r for r in rows if r["status"] == "ok"]
    if not good:
        return {"failed": ", ".join(sorted({r["status"] for r in bad})) or "no run", "runs": len(rows)}
    files = int(good[0]["files"])
    wall = statistics.median(float(r["wall_s"]) for r in good)
    return {
        "failed": None,
        # Some runs failed, others did not: medians of the good ones, flagged.
        "partial": (f" ({len(bad)} of {len(rows)} runs FAILED: "
                    + ", ".join(sorted({r["status"] for r in bad})) + ")") if bad else "",
        "runs": len(good),
        "files": files,
        "wall": wall,
        "cpu": statistics.median(float(r["cpu_s"]) for r in good),
        "rss": statistics.median(float(r["max_rss_kib"]) for r in good) / 1024.0,
        "ips": files / wall if wall > 0 else float("inf"),
    }


def group(rows, section):
    out = OrderedDict()
    for r in rows:
        if r["section"] != section:
            continue
        out.setdefault((r["corpus"], r["tool"]), []).append(r)
    return OrderedDict((k, summarize(v)) for k, v in out.items())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs-csv", required=True)
    ap.add_argument("--quality-csv")
    ap.add_argument("--floor-csv", help="stage times of the -j 1 runs (floor.py add)")
    ap.add_argument("--meta", required=True)
    ap.add_argument("--out-md", required=True)
    ap.add_argument("--out-png", required=True)
    args = ap.parse_args()

    runs = read_csv(args.runs_csv)
    quality = {(r["corpus"], r["tool"]): r for r in read_csv(args.quality_csv)}
    meta = read_meta(args.meta)
    main_stats = group(runs, "main")
    scaling = group(runs, "scaling")
    corpora = list(OrderedDict.fromkeys(c for c, _ in main_stats))
    tools = list(OrderedDict.fromkeys(t for _, t in main_stats))
    tools.sort(key=tool_rank)
    versions = OrderedDict((k[len("version_"):], v) for k, v in meta.items() if k.startswith("version_"))

    md = []
    title = "imgflow vs. other batch resizers"
    if meta.get("quick") == "1":
        title += " (QUICK SMOKE TEST: small corpus, 1 run; not for conclusions)"
    md.append(f"# {title}\n")
    md.append("Task for every tool: fit inside 800x800, never enlarge, write JPEG quality 85.\n")
    md.append(f"- Machine: {meta.get('nproc')} cores (`nproc`), {meta.get('cpu')}, {meta.get('memory')}, "
              f"Linux {meta.get('kernel')}; load average at start {meta.get('load_at_start')}")
    md.append(f"- Date: {meta.get('date')}")
    others = [float(r["other_cpu_s"]) / max(float(r["wall_s"]), 0.01)
              for r in runs if r.get("other_cpu_s") and r["status"] == "ok"]
    busy_caption = ""
    if others:
        if statistics.median(others) > 0.2:
            busy_caption = f"; BUSY MACHINE: other processes used a median {statistics.median(others):.2f} cores"
        busy = (" — **the machine was busy with other work: treat the numbers with care**"
                if statistics.median(others) > 0.2 else "")
        md.append(f"- CPU used by other processes during the timed runs (machine-wide busy time from /proc/stat "
                  f"minus the tool's own): median {statistics.median(others):.2f} cores, "
                  f"max {max(others):.2f} cores{busy}")
    else:
        loads = [float(r["load1_before"]) for r in runs if r.get("load1_before")]
        if loads:
            md.append(f"- 1-minute load average before each timed run (includes the benchmark's own previous run, "
                      f"about {meta.get('nproc')} when a tool saturates the cores): median "
                      f"{statistics.median(loads):.2f}, max {max(loads):.2f}")
    md.append(f"- Corpus: {meta.get('count')} files per format, from the photos in Debian's "
              f"plasma-workspace-wallpapers and gnome-backgrounds; {meta.get('runs')} timed run(s) per tool "
              f"per corpus, tools alternating round-robin, fresh output folder each run, files in the page cache")
    md.append("- Versions:")
    for tool, v in versions.items():
        md.append(f"  - {tool}: {v}")
    md.append("")

    for corpus in corpora:
        md.append(f"## {corpus} corpus ({CORPUS_NOTES.get(corpus, '')})\n")
        md.append("| tool | median wall (s) | median CPU (s) | median peak RSS (MiB) | images/s "
                  "| vs imgflow | mean PSNR (dB) |")
        md.append("|---|---:|---:|---:|---:|---:|---:|")
        base = main_stats.get((corpus, "imgflow"))
        base_ips = base["ips"] if base and not base["failed"] else None
        for tool in tools:
            s = main_stats.get((corpus, tool))
            if s is None:
                continue
            if s["failed"]:
                md.append(f"| {tool} | FAILED ({s['failed']}) | | | | | |")
                continue
            ratio = f"{s['ips'] / base_ips:.2f}" if base_ips else "n/a"
            q = quality.get((corpus, tool))
            if q and q["images"] != "0":
                psnr = f"{float(q['mean_psnr_y_db']):.2f}"
                notes = []
                if q["missing"] != "0":
                    notes.append(f"{q['missing']} unreadable/missing")
                if q["size_errors"] != "0":
                    notes.append(f"{q['size_errors']} wrong size")
                if notes:
                    psnr += " (" + ", ".join(notes) + ")"
            else:
                psnr = "n/a"
            md.append(f"| {tool}{s['partial']} | {s['wall']:.2f} | {s['cpu']:.2f} | {s['rss']:.1f} | {s['ips']:.1f} "
                      f"| {ratio} | {psnr} |")
        md.append("")

    floor_lines = []
    if scaling:
        cores = int(meta.get("nproc") or 1)
        floors = floor_mod.summarize(read_csv(args.floor_csv), scaling, cores)
        md.extend(scaling_section(scaling, floors, cores))
        floor_lines = [console_floor_line(f, cores) for f in floors.values()]

    md.append("## Notes\n")
    md.append("- **median wall**: elapsed seconds of the whole batch (median over runs). **median CPU**: user + "
              "system seconds of the command and every child it waited for (xargs' vipsthumbnail processes, "
              "the Pool workers), from GNU `/usr/bin/time`.")
    md.append("- **median peak RSS**: GNU time's `%M`, the peak resident set of the *largest single process* "
              "(the command or any one waited-for child), not a sum over processes. For the multi-process tools "
              "(vipsthumbnail under xargs, Pillow Pool) the memory of all processes together is higher.")
    md.append("- **images/s** = files / median wall. **vs imgflow** = images/s divided by imgflow's on the same "
              "corpus (imgflow = 1.00; above 1 means faster than imgflow).")
    md.append("- **mean PSNR**: per output, PSNR of 8-bit luma (BT.601 Y) against the source decoded in full by "
              "Pillow and resized with `Image.LANCZOS` to the same size as that output; averaged over the corpus "
              "(outputs of the last run). Higher is closer to the reference; it includes the JPEG q85 loss.")
    md.append("- Commands:")
    for tool in tools:
        note = TOOL_NOTES.get(tool.split("@", 1)[0], "")
        command = meta.get("command_" + tool)
        parts = ([note] if note else []) + ([f"`{command}`"] if command else [])
        if parts:
            md.append(f"  - {tool}: " + ": ".join(parts))
    md.append(f"- Raw data: `{os.path.basename(args.runs_csv)}` (every run), "
              f"`{os.path.basename(args.quality_csv or '')}` (PSNR per tool and corpus). "
              f"The whole benchmark took {meta.get('elapsed_s', '?')} s.")
    md.append("")
    text = "\n".join(md)
    with open(args.out_md, "w") as fh:
        fh.write(text)
    print(text)
    for line in floor_lines:
        print(line)

    write_chart(args.out_png, main_stats, corpora, tools, meta, versions, busy_caption)
    return 0


SPEEDUP_TARGET = 1.8   # -j 2 over -j 1 images/s on 2 cores (the performance issue's target)
FLOOR_TARGET = 1.05    # -j <cores> wall within 5% of the compute floor


def scaling_section(scaling, floors, cores):
    """Markdown: -j 1 vs -j <cores> per corpus, the compute floor, and peak RSS with 10x files."""
    jn = f"imgflow-j{cores}"
    md = ["## imgflow scaling and compute floor\n"]
    corpora = list(OrderedDict.fromkeys(c for c, t in scaling if t in ("imgflow-j1", jn)))
    if corpora:
        md.append(f"| corpus | files | `-j 1` wall (s) | `-j {cores}` wall (s) | `-j 1` images/s "
                  f"| `-j {cores}` images/s | speed-up | peak RSS `-j 1` / `-j {cores}` (MiB) |")
        md.append("|---|---:|---:|---:|---:|---:|---:|---:|")
        for corpus in corpora:
            a, b = scaling.get((corpus, "imgflow-j1")), scaling.get((corpus, jn))
            cells = [corpus]
            if not a or not b or a["failed"] or b["failed"]:
                bad = "; ".join(f"{lbl}: FAILED ({s['failed']})" for lbl, s in (("-j 1", a), (f"-j {cores}", b))
                                if s and s["failed"])
                md.append(f"| {corpus} | {bad or 'missing runs'} | | | | | | |")
                continue
            speedup = b["ips"] / a["ips"]
            cells += [str(a["files"]), f"{a['wall']:.2f}{a['partial']}", f"{b['wall']:.2f}{b['partial']}",
                      f"{a['ips']:.1f}", f"{b['ips']:.1f}", f"**{speedup:.2f}x**", f"{a['rss']:.1f} / {b['rss']:.1f}"]
            md.append("| " + " | ".join(cells) + " |")
        md.append("")
        if cores == 2:
            md.append(f"- Speed-up = `-j 2` images/s / `-j 1` images/s (target ≥ {SPEEDUP_TARGET}; parallel "
                      "efficiency = speed-up / 2).")
        else:
            md.append(f"- Speed-up = `-j {cores}` images/s / `-j 1` images/s (ideal {cores}).")
        md.append("")

    if floors:
        md.append("### Compute floor\n")
        md.append(f"imgflow's own per-image stage times (`timings_ms` in `--report`) summed over the `-j 1` run, "
                  f"divided by the {cores} cores: the wall time no scheduler can beat with these codecs. "
                  f"Target: `-j {cores}` wall within 5% of the floor (wall / floor ≤ {FLOOR_TARGET}). "
                  "Stage columns: seconds summed over the corpus (share of the sum); medians over the runs.\n")
        md.append(f"| corpus | read | decode | resize | encode | write | stage sum (s) | floor (s) "
                  f"| `-j {cores}` wall (s) | wall / floor |")
        md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for f in floors.values():
            if "floor_s" not in f:
                md.append(f"| {f['corpus']} | n/a: no `timings_ms` in the `-j 1` reports (an imgflow without "
                          "per-file stage timings, or the run failed) | | | | | | | | |")
                continue
            total = f["stage_sum_s"] or 1.0
            stages = [f"{f[k + '_s']:.2f} ({f[k + '_s'] / total * 100:.0f}%)" for k in floor_mod.STAGES]
            wall = f"{f['jn_wall_s']:.2f}" if f["jn_wall_s"] else "n/a"
            ratio = f"**{f['wall_over_floor']:.2f}**" if f["wall_over_floor"] else "n/a"
            md.append(f"| {f['corpus']} | " + " | ".join(stages)
                      + f" | {f['stage_sum_s']:.2f} | {f['floor_s']:.2f} | {wall} | {ratio} |")
        md.append("")
        md.append("- read and write run on imgflow's I/O threads (`--readers`, `--writers`); write includes the "
                  "fsync of each output. The floor assumes every stage could share the cores perfectly.")
        md.append("")

    small, big = scaling.get(("jpeg", "imgflow")), scaling.get(("jpeg_x10", "imgflow"))
    if small and big:
        md.append("### Memory with 10x as many files (jpeg, default `-j`)\n")
        md.append("| measurement | files | median wall (s) | images/s | median peak RSS (MiB) |")
        md.append("|---|---:|---:|---:|---:|")
        for label, s in (("default `-j`", small), ("default `-j`, 10x files", big)):
            if s["failed"]:
                md.append(f"| {label} | FAILED ({s['failed']}) | | | |")
            else:
                md.append(f"| {label}{s['partial']} | {s['files']} | {s['wall']:.2f} | {s['ips']:.1f} | {s['rss']:.1f} |")
        md.append("")
        if not small["failed"] and not big["failed"]:
            g = (big["rss"] - small["rss"]) / small["rss"] * 100
            md.append(f"- Peak RSS growth with 10x as many files ({small['files']} -> {big['files']}): "
                      f"**{g:+.1f}%** ({small['rss']:.1f} -> {big['rss']:.1f} MiB)")
            md.append("")
    return md


def console_floor_line(f, cores):
    """One console line per corpus: floor, -j <cores> wall, their ratio, and the speed-up."""
    head = f"[compare] floor {f['corpus']}: "
    if "floor_s" not in f:
        return head + "n/a (no timings_ms in the -j 1 reports)"
    line = head + f"stage time at -j 1 {f['stage_sum_s']:.2f} s / {cores} cores = {f['floor_s']:.2f} s"
    if f["wall_over_floor"]:
        verdict = "meets" if f["wall_over_floor"] <= FLOOR_TARGET else "misses"
        line += (f"; -j {cores} wall {f['jn_wall_s']:.2f} s = {f['wall_over_floor']:.2f}x the floor "
                 f"({verdict} <= {FLOOR_TARGET})")
    if f["speedup"]:
        line += f"; -j {cores} / -j 1 images/s {f['speedup']:.2f}x"
        if cores == 2:
            line += f" ({'meets' if f['speedup'] >= SPEEDUP_TARGET else 'misses'} >= {SPEEDUP_TARGET})"
    return line


def write_chart(path, stats, corpora, tools, meta, versions, busy_caption=""):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(11, 6.5))
    width = 0.8 / max(1, len(tools))
    top = 0.0
    for i, tool in enumerate(tools):
        xs, ys = [], []
        for j, corpus in enumerate(corpora):
            s = stats.get((corpus, tool))
            if s and not s["failed"]:
                xs.append(j + (i - (len(tools) - 1) / 2) * width)
                ys.append(s["ips"])
                top = max(top, s["ips"])
        bars = ax.bar(xs, ys, width, label=tool,
                      edgecolor="black" if tool == "imgflow" else None, linewidth=1.2)
        ax.bar_label(bars, fmt="%.1f", fontsize=7, padding=2)
    ax.set_xticks(range(len(corpora)))
    ax.set_xticklabels([f"{c} ({meta.get('count')} files)" for c in corpora])
    ax.set_ylabel("images / second (higher is better)")
    title = "Batch resize to fit 800x800, JPEG q85: throughput"
    if meta.get("quick") == "1":
        title += " (quick smoke test)"
    ax.set_title(title)
    # Room above the tallest bar for the legend, which would hide its label.
    if top > 0:
        ax.set_ylim(0, top * 1.35)
    ax.legend(ncol=3, fontsize=9, loc="upper right")
    ax.grid(axis="y", alpha=0.3)
    caption = (f"{meta.get('nproc')} cores, {meta.get('cpu')}, {meta.get('date')}; median of "
               f"{meta.get('runs')} run(s){busy_caption}\n" + "; ".join(f"{k}: {v}" for k, v in versions.items()))
    fig.text(0.01, 0.01, caption, fontsize=6.5, va="bottom", ha="left", wrap=True)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(main())
