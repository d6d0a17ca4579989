#!/usr/bin/python3
"""The Python section of the bench: imgflow from Python against the usual Pillow scripts.

Usage: python_compare.py [--runs N] [--threads N] JPEG_DIR

Every contender makes 800x800 (fit inside, never enlarged), upright, quality-85
JPEGs of every file in JPEG_DIR (the bench's JPEG corpus, see
tools/make_corpus.py), into a fresh folder; the contenders alternate, N runs
each (default 3), and the table gives the median wall time, images/s and the
ratios the issue's targets are about:

  pool+pillow      tools/pillow_pool.py: multiprocessing.Pool + Pillow with
                   draft() shrink-on-load and thumbnail((800, 800)), run as its
                   own process (the fair version of the classic script)
  threads+pillow   concurrent.futures.ThreadPoolExecutor + the same Pillow code
  threads+imgflow  ThreadPoolExecutor + imgflow.thumbnail() + write the bytes
  imgflow.run      imgflow.run(JPEG_DIR, out, size="800x800", quality=85)
  imgflow CLI      the imgflow command with the same options

Then the GIL check: imgflow.thumbnail() on the photos held in memory from 1
thread and from --threads threads (each thread doing every photo), alternating,
medians (target: 1.8x on 2 cores),
and how late a sleeping thread wakes while another calls thumbnail() (see
wake_up_delay; --threads-only runs just this part).

imgflow.run and the command fsync each output before renaming it into place;
the others write without fsync. Needs Debian's python3-pil and the imgflow
module (PYTHONPATH=build/python/module, or installed); the command is
IMGFLOW_BINARY or build/imgflow.
"""

import argparse
import itertools
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH / "tools"))

import imgflow  # noqa: E402
import pillow_pool  # noqa: E402

SIZE, QUALITY = "800x800", 85


def pool_pillow(inputs, out, threads):
    subprocess.run([sys.executable, str(BENCH / "tools" / "pillow_pool.py"), str(inputs), str(out),
                    str(threads)], check=True)


def threads_pillow(inputs, out, threads):
    jobs = [(str(p), str(out / (p.stem + ".jpg"))) for p in sorted(inputs.iterdir())]
    with ThreadPoolExecutor(threads) as pool:
        errors = [e for e in pool.map(pillow_pool.resize_one, jobs) if e]
    assert not errors, errors


def threads_imgflow(inputs, out, threads):
    def one(path):
        (out / (path.stem + ".jpg")).write_bytes(imgflow.thumbnail(path, SIZE, quality=QUALITY))

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, sorted(inputs.iterdir())))


def imgflow_run(inputs, out, threads):
    report = imgflow.run(inputs, out, size=SIZE, quality=QUALITY, threads=threads)
    assert report["summary"]["failed"] == 0, report["summary"]


def imgflow_cli(inputs, out, threads):
    binary = os.environ.get("IMGFLOW_BINARY", str(BENCH.parent / "build" / "imgflow"))
    subprocess.run([binary, "-s", SIZE, "-q", str(QUALITY), "-j", str(threads), "--quiet",
                    "-o", str(out), str(inputs)], check=True)


CONTENDERS = [("pool+pillow", pool_pillow), ("threads+pillow", threads_pillow),
              ("threads+imgflow", threads_imgflow), ("imgflow.run", imgflow_run),
              ("imgflow CLI", imgflow_cli)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("inputs", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--threads-only", action="store_true",
                        help="only the GIL check (imgflow.thumbnail() from 1 and N threads)")
    args = parser.parse_args()
    if args.threads_only:
        rate, busy = thread_scaling(args.inputs, args.threads, args.runs)
        print(f"imgflow.thumbnail(): 1 thread {rate[1]:.1f} images/s ({busy[1]:.2f} CPU s/s), "
              f"{args.threads} threads {rate[args.threads]:.1f} images/s "
              f"({busy[args.threads]:.2f} CPU s/s): {rate[args.threads] / rate[1]:.2f}x")
        released, held = gil_check(args.inputs)
        print(f"GIL: a sleeping thread wakes {released:.1f} ms late while another runs "
              f"imgflow.thumbnail(), {held:.1f} ms late beside a C loop that holds the GIL")
        return
    count = sum(1 for p in args.inputs.iterdir() if p.is_file())
    # Read every file once, so that no contender pays for a cold cache.
    for p in args.inputs.iterdir():
        p.read_bytes()
    seconds = {name: [] for name, _ in CONTENDERS}
    with tempfile.TemporaryDirectory(prefix="imgflow-pybench-") as work:
        for run in range(args.runs):
            for name, contender in CONTENDERS:
                out = Path(work) / f"{name.replace(' ', '_')}-{run}"
                out.mkdir()
                start = time.perf_counter()
                contender(args.inputs, out, args.threads)
                seconds[name].append(time.perf_counter() - start)
                written = sum(1 for _ in out.iterdir())
                assert written == count, f"{name} wrote {written} of {count} files"
                shutil.rmtree(out)
    median = {name: statistics.median(s) for name, s in seconds.items()}
    rate = {name: count / m for name, m in median.items()}
    print(f"{count} JPEGs -> {SIZE} q{QUALITY}, {args.threads} threads/processes, "
          f"{args.runs} runs each (alternating), medians:\n")
    print("| contender | median s | images/s | vs pool+pillow |")
    print("|---|---:|---:|---:|")
    for name, _ in CONTENDERS:
        print(f"| {name} | {median[name]:.2f} | {rate[name]:.1f} | "
              f"{rate[name] / rate['pool+pillow']:.2f}x |")
    print("\nTargets:")
    checks = [("imgflow.run >= 2.5x pool+pillow", rate["imgflow.run"] / rate["pool+pillow"], 2.5),
              ("threads+imgflow >= 2x pool+pillow",
               rate["threads+imgflow"] / rate["pool+pillow"], 2.0),
              ("imgflow.run within 5% of the CLI", rate["imgflow.run"] / rate["imgflow CLI"], 0.95)]
    for what, value, target in checks:
        print(f"- {what}: {value:.2f}x ({'met' if value >= target else 'missed'})")
    if args.threads > 1:
        rate, busy = thread_scaling(args.inputs, args.threads, args.runs)
        ratio = rate[args.threads] / rate[1]
        print(f"- imgflow.thumbnail() from {args.threads} threads: {rate[args.threads]:.1f} "
              f"images/s against {rate[1]:.1f} from 1: {ratio:.2f}x "
              f"({'met' if ratio >= 1.8 else 'missed'}; target 1.8x on 2 cores); CPU seconds "
              f"per wall second {busy[args.threads]:.2f} against {busy[1]:.2f} from 1 thread")
        released, held = gil_check(args.inputs)
        print(f"- GIL: a sleeping thread wakes {released:.1f} ms late while another runs "
              f"imgflow.thumbnail(), {held:.1f} ms late beside a C loop that holds the GIL")


def thread_scaling(inputs, threads, runs):
    """imgflow.thumbnail() on in-memory photos from 1 thread and from `threads`
    threads, each thread making a thumbnail of every photo (the same work per
    thread, so that they finish together: a shared queue of 100 photos of 1 to
    16 MP leaves one thread alone with the last large photo). Median images/s,
    and the CPU seconds the process used per wall second (at most 1 if the GIL
    serialized the threads, whatever else runs on the machine)."""
    photos = [p.read_bytes() for p in sorted(inputs.iterdir())]
    seconds = {1: [], threads: []}
    busy = {1: [], threads: []}

    def every_photo(_):
        for data in photos:
            imgflow.thumbnail(data, SIZE, quality=QUALITY)

    for _ in range(runs):
        for n in seconds:
            start, cpu = time.perf_counter(), time.process_time()
            with ThreadPoolExecutor(n) as pool:
                list(pool.map(every_photo, range(n)))
            seconds[n].append(time.perf_counter() - start)
            busy[n].append((time.process_time() - cpu) / seconds[n][-1])
    return ({n: n * len(photos) / statistics.median(s) for n, s in seconds.items()},
            {n: statistics.median(b) for n, b in busy.items()})


def wake_up_delay(work, seconds=3.0):
    """Median ms a thread sleeping 2 ms waits past its time while another thread
    calls `work` over and over: about 0 if `work` releases the GIL, about the
    length of a call if it holds it. Unlike throughput, this does not depend on
    how many cores the rest of the machine leaves free."""
    stop = threading.Event()

    def loop():
        while not stop.is_set():
            work()

    worker = threading.Thread(target=loop)
    worker.start()
    delays = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        start = time.perf_counter()
        time.sleep(0.002)
        delays.append(time.perf_counter() - start - 0.002)
    stop.set()
    worker.join()
    return statistics.median(delays) * 1000


def gil_check(inputs):
    photos = itertools.cycle([p.read_bytes() for p in sorted(inputs.iterdir())[:20]])
    released = wake_up_delay(lambda: imgflow.thumbnail(next(photos), SIZE, quality=QUALITY))
    held = wake_up_delay(lambda: sum(range(3_000_000)))  # a C loop that keeps the GIL
    return released, held


if __name__ == "__main__":
    main()
