"""Throughput of the synthetic generator: images per second at 1280x960 on one process.

Run:
    .venv/bin/python benchmarks/bench_synth.py [--n 8] [--width 1280] [--height 960] [--um-per-px SCALE]

Prints the per-image wall and CPU times, the median and images/s, and the command that produced them.
Seeds are fixed (0..n-1), so the figure is reproducible up to machine load.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

from trichometry.synth import generate_sample


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=8, help="images to time (seeds 0..n-1)")
    ap.add_argument("--width", type=int, default=1280)
    ap.add_argument("--height", type=int, default=960)
    ap.add_argument("--um-per-px", type=float, default=None, help="fix the scale (default: drawn 2-10)")
    args = ap.parse_args(argv)
    kw = {"width": args.width, "height": args.height}
    if args.um_per_px is not None:
        kw["um_per_px"] = args.um_per_px
    generate_sample(10_000, **kw)  # warm-up: imports, OpenCV init
    times, cpu = [], []
    for seed in range(args.n):
        t0, c0 = time.perf_counter(), time.process_time()
        s = generate_sample(seed, **kw)
        dt, dc = time.perf_counter() - t0, time.process_time() - c0
        times.append(dt)
        cpu.append(dc)
        print(
            f"seed {seed}: {dt * 1000:7.1f} ms wall {dc * 1000:7.1f} ms cpu  {s.truth.um_per_px:5.2f} um/px  "
            f"{len(s.truth.hairs):4d} hairs drawn, {s.truth.count:4d} counted"
        )
    med = statistics.median(times)
    print(f"median {med * 1000:.1f} ms/image, mean {statistics.mean(times) * 1000:.1f} ms/image")
    size = f"{args.width}x{args.height}"
    print(f"throughput: {len(times) / sum(times):.2f} images/s at {size} (one process, wall)")
    per_core = len(cpu) / sum(cpu)
    print(f"cpu time: {statistics.mean(cpu) * 1000:.1f} ms/image = {per_core:.2f} images/s per busy core")
    print(f"load average while measuring: {os.getloadavg()[0]:.1f} (other jobs inflate wall times)")
    print(
        "command: .venv/bin/python " + " ".join([sys.argv[0], *(argv if argv is not None else sys.argv[1:])])
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
