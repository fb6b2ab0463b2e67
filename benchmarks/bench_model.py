"""Speed of each model variant on this machine: training throughput and full-image inference.

Usage::

    nice python benchmarks/bench_model.py --variants tiny small base --threads 2

Training: images/s of optimisation steps (forward, losses, backward, AdamW) on random
``crop`` x ``crop`` batches (data loading excluded). Inference: seconds for one
1280x960 RGB image through :class:`trichometry.inference.Predictor` at the canonical scale
(tiling, blending and resampling included). Prints a Markdown table (and JSON with --json).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from trichometry.inference.predictor import Predictor
from trichometry.models import create_model, model_kwargs, save_checkpoint
from trichometry.models.net import count_parameters
from trichometry.training.config import LossConfig
from trichometry.training.losses import total_loss


def bench_train(name: str, crop: int, batch: int, steps: int, device: str) -> float:
    """Images per second of training steps (after one warm-up step)."""
    model = create_model(name).to(device).train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(0)
    shape = (batch, 1, crop, crop)
    data = {
        "image": torch.rand(batch, 3, crop, crop, generator=g),
        "shaft": (torch.rand(shape, generator=g) > 0.9).float(),
        "shaft_weight": torch.ones(shape),
        "exit": torch.zeros(shape),
        "exit_weight": torch.ones(shape),
        "diameter": torch.rand(shape, generator=g) * 10,
        "mil": torch.zeros(shape, dtype=torch.long),
    }
    data["exit"][:, :, crop // 2, crop // 2] = 1.0
    data = {k: v.to(device) for k, v in data.items()}
    times = []
    for i in range(steps + 1):
        t = time.perf_counter()
        loss, _ = total_loss(model(data["image"]), data, LossConfig(), model.diameter_scale)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if device == "cuda":
            torch.cuda.synchronize()
        if i:
            times.append(time.perf_counter() - t)
    return batch / statistics.median(times)


def bench_infer(name: str, device: str, repeats: int, tile: int) -> float:
    """Median seconds to predict one 1280x960 image."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{name}.pt"
        save_checkpoint(path, create_model(name), model_name=name, model_kwargs=model_kwargs(name))
        pred = Predictor(path, device=device, tile_px=tile)
    image = np.random.default_rng(0).integers(0, 255, (960, 1280, 3), dtype=np.uint8)
    pred.predict(image, pred.canonical_um_per_px)  # warm-up
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        pred.predict(image, pred.canonical_um_per_px)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--variants", nargs="+", default=["tiny", "small", "base"])
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads (0 = default)")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--crop", type=int, default=160)
    ap.add_argument("--batch", type=int, default=6)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--tile", type=int, default=512)
    ap.add_argument("--json", default=None, help="also write the figures to this JSON file")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    rows = []
    for name in args.variants:
        params = count_parameters(create_model(name))
        ips = bench_train(name, args.crop, args.batch, args.steps, args.device)
        sec = bench_infer(name, args.device, args.repeats, args.tile)
        rows.append(
            {"variant": name, "parameters": params, "train_images_per_s": ips, "infer_s_1280x960": sec}
        )
    env = {
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "load_average_1min": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "device": args.device,
        "torch": torch.__version__,
        "crop": args.crop,
        "batch": args.batch,
        "tile": args.tile,
    }
    print(
        f"| variant | parameters | train images/s ({args.crop}x{args.crop}, batch {args.batch}) | "
        "inference s per 1280x960 |"
    )
    print("|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['variant']} | {r['parameters'] / 1e6:.2f} M | {r['train_images_per_s']:.2f} | "
            f"{r['infer_s_1280x960']:.2f} |"
        )
    print(json.dumps(env))
    if args.json:
        Path(args.json).write_text(json.dumps({"env": env, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
