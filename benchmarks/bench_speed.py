"""The cost of ``analyze`` in ResNet-18 forward passes, both timed in the same run.

Times torchvision's ``resnet18(weights=None)`` on a ``(1, 3, 960, 1280)`` input and
``trichometry.analysis.analyze`` (read, quality control, detect, measure: the default
path a clinician's photo takes) on held-out images of 1280x960, on this machine's CPU
with the same thread count, and prints the ratio (the target is at most 0.5). Held-out
images: the FDU ``val`` photos where present (never copied; cropped to 1280x960), else
generated scenes from the held-out seeds (900000 on).

Usage::

    python benchmarks/bench_speed.py                  # shipped model, 2 threads, 10 images
    python benchmarks/bench_speed.py --model run/checkpoints/best.pt --images 20 --out speed.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

HELD_OUT_SEED0 = 900_000
SIZE = (960, 1280)  # (H, W) of the reference input


def _median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def resnet18_seconds(repeats: int) -> float:
    from torchvision.models import resnet18

    net = resnet18(weights=None).eval()
    x = torch.rand(1, 3, *SIZE)
    with torch.inference_mode():
        net(x)  # warm-up
        return _median_time(lambda: net(x), repeats)


def held_out_images(n: int, fdu_root: Path) -> tuple[list[np.ndarray], float, str]:
    """``n`` images of 1280x960, their scale and where they come from."""
    h, w = SIZE
    if fdu_root.is_dir():
        from trichometry.data.voc import iter_voc

        out = []
        for item in iter_voc(fdu_root, "val", um_per_px=2.8):
            out.append(np.ascontiguousarray(item.image[:h, :w]))
            if len(out) >= n:
                break
        return out, 2.8, f"FDU val ({fdu_root})"
    from trichometry.synth import generate_sample

    imgs = [generate_sample(HELD_OUT_SEED0 + i, width=w, height=h, um_per_px=3.0).image for i in range(n)]
    return imgs, 3.0, "generated held-out seeds"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default=None, help="checkpoint (default: the shipped model)")
    ap.add_argument("--images", type=int, default=10)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=5, help="ResNet-18 timings (median)")
    ap.add_argument("--fdu-root", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data/fdu")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    from trichometry.analysis import analyze, get_detector

    images, um, source = held_out_images(args.images, args.fdu_root)
    detector = get_detector("model", args.model)  # loaded once, as a server or batch run would
    analyze(images[0], um_per_px=um, model=detector)  # warm-up
    r18 = resnet18_seconds(args.repeats)
    per_image = []
    parts: dict[str, list[float]] = {}
    for img in images:
        t0 = time.perf_counter()
        res = analyze(img, um_per_px=um, model=detector)
        per_image.append(time.perf_counter() - t0)
        for k, v in res.timings_s.items():
            parts.setdefault(k, []).append(v)
    analyze_s = statistics.median(per_image)
    doc = {
        "threads": args.threads,
        "images": len(images),
        "source": source,
        "resnet18_s": r18,
        "analyze_s": analyze_s,
        "ratio": analyze_s / r18,
        "target_ratio": 0.5,
        "analyze_parts_s": {k: statistics.median(v) for k, v in parts.items()},
        "torch": torch.__version__,
    }
    print(json.dumps(doc, indent=2))
    print(
        f"analyze {analyze_s:.3f} s / ResNet-18 {r18:.3f} s = {doc['ratio']:.2f} forwards per image "
        f"(target <= 0.5) on {len(images)} {source} images, {args.threads} threads",
        file=sys.stderr,
    )
    if args.out:
        from trichometry.utils.atomic import atomic_write_text

        atomic_write_text(args.out, json.dumps(doc, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
