#!/usr/bin/env python3
"""bench/scale.sh's report: medians per case and tool, ratios, and a chart.

Usage: scale_report.py RUNS_CSV OUT_MD OUT_PNG MACHINE_LINE
"""
import csv
import statistics
import sys
from collections import defaultdict


def median(values):
    return statistics.median(values) if values else float("nan")


def main():
    runs_csv, out_md, out_png, machine = sys.argv[1:5]
    rows = list(csv.DictReader(open(runs_csv)))
    groups = defaultdict(list)
    for r in rows:
        groups[(r["section"], r["case"], r["tool"])].append(r)

    def med(section, case, tool, field):
        vals = [float(r[field]) for r in groups[(section, case, tool)] if r[field] != "NA"]
        return median(vals)

    lines = [f"# imgflow scale benchmark\n", f"{machine}; medians of the runs in {runs_csv.split('/')[-1]}.\n"]
    files_cases = sorted({c for (s, c, _) in groups if s == "files"}, key=int)
    chart = {}
    if files_cases:
        base = med("files", files_cases[0], "imgflow", "rss_kb")
        lines += ["\n## Files: memory against the number of files\n",
                  "imgflow -r -s 32 --no-fsync --report over N tiny JPEGs (64x36) in 1,000-file folders.\n",
                  "| files | wall s | files/s | peak RSS MB | RSS vs " + f"{int(files_cases[0]):,}" +
                  " | first output s |", "|---:|---:|---:|---:|---:|---:|"]
        xs, ys = [], []
        for c in files_cases:
            wall = med("files", c, "imgflow", "wall_s")
            rss = med("files", c, "imgflow", "rss_kb")
            first = med("files", c, "imgflow", "first_output_s")
            lines.append(f"| {int(c):,} | {wall:.2f} | {int(c) / wall:,.0f} | {rss / 1024:.1f} | "
                         f"{rss / base:.2f}x | {first:.3f} |")
            xs.append(int(c))
            ys.append(rss / 1024)
        chart["files"] = (xs, ys)
    if any(s == "peers" for (s, _, _) in groups):
        lines += ["\n## Peers on tiny images\n",
                  "10,000 tiny JPEGs in one folder, fit in 32x32, JPEG out; sharp with its "
                  "promise pool (2x cores in flight, jemalloc), vipsthumbnail under "
                  "xargs -P <cores> with one libvips thread each.\n",
                  "| tool | wall s | files/s | peak RSS MB | imgflow's files/s vs this |",
                  "|---|---:|---:|---:|---:|"]
        ours = 10000 / med("peers", "tiny10000", "imgflow", "wall_s")
        bars = []
        for tool in ("imgflow", "sharp", "vipsthumbnail"):
            if not groups[("peers", "tiny10000", tool)]:
                continue
            wall = med("peers", "tiny10000", tool, "wall_s")
            rate = 10000 / wall
            lines.append(f"| {tool} | {wall:.2f} | {rate:,.0f} | "
                         f"{med('peers', 'tiny10000', tool, 'rss_kb') / 1024:.1f} | {ours / rate:.2f}x |")
            bars.append((tool, rate))
        chart["peers"] = bars
    kinds = [k for k in ("png", "jpeg", "progressive") if groups[("images", k, "imgflow")]]
    if kinds:
        lines += ["\n## One 96-megapixel photo to 800 px\n",
                  "12000x8000, made from sample_images/kite.jpg; PNG, baseline JPEG (q90), progressive JPEG.\n",
                  "| input | tool | wall s | peak RSS MB |", "|---|---|---:|---:|"]
        bars = []
        for k in kinds:
            for tool in ("imgflow", "vipsthumbnail", "sharp"):
                if not groups[("images", k, tool)]:
                    continue
                wall = med("images", k, tool, "wall_s")
                rss = med("images", k, tool, "rss_kb") / 1024
                lines.append(f"| {k} | {tool} | {wall:.2f} | {rss:.0f} |")
                bars.append((f"{k}\n{tool}", rss))
        chart["images"] = bars
    open(out_md, "w").write("\n".join(lines) + "\n")

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    panels = [p for p in ("files", "peers", "images") if p in chart]
    if not panels:
        return
    fig, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 4.2))
    if len(panels) == 1:
        axes = [axes]
    for ax, p in zip(axes, panels):
        if p == "files":
            xs, ys = chart[p]
            ax.plot(xs, ys, marker="o")
            ax.set_xscale("log")
            ax.set_ylim(0, max(ys) * 1.3)
            ax.set_xlabel("files")
            ax.set_ylabel("peak RSS (MB)")
            ax.set_title("imgflow: memory vs number of files")
        else:
            labels, values = zip(*chart[p])
            colors = {"imgflow": "tab:blue", "sharp": "tab:orange", "vipsthumbnail": "tab:green"}
            ax.bar(range(len(values)), values,
                   color=[colors.get(label.split("\n")[-1], "grey") for label in labels])
            if p == "images":
                labels = [label.replace("\n", " ") for label in labels]
                ax.set_xticks(range(len(values)), labels, fontsize=7, rotation=40, ha="right")
            else:
                ax.set_xticks(range(len(values)), labels)
            ax.set_ylabel("files/s" if p == "peers" else "peak RSS (MB)")
            ax.set_title("tiny images: files/s" if p == "peers" else "96 MP photo: peak RSS")
    fig.tight_layout()
    fig.savefig(out_png, dpi=110)


if __name__ == "__main__":
    main()
