"""The training loop: small functions (``train_steps``, ``evaluate``) and ``train(cfg)``."""

from __future__ import annotations

import logging
import math
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, DistributedSampler

from trichometry.errors import ConfigError
from trichometry.inference.peaks import find_exit_points
from trichometry.models.checkpoint import unwrap
from trichometry.training.config import TrainConfig
from trichometry.training.datasets import BoxDataset, DiskDataset, MixedDataset, SynthDataset
from trichometry.training.freeze import set_train_mode, trainable
from trichometry.training.metrics import VAL_MATCH_UM, MetricAccumulator
from trichometry.training.transforms import build_transform

logger = logging.getLogger(__name__)


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (all devices)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)  # noqa: NPY002 - libraries may use the legacy global
    torch.manual_seed(seed)


def _worker_init(worker_id: int) -> None:
    seed = torch.initial_seed() % 2**32
    np.random.seed(seed)  # noqa: NPY002
    random.seed(seed)


def build_datasets(cfg: TrainConfig, out_dir: Path, progress: bool) -> tuple[Any, Any]:
    """Training and validation data sets as the config says."""
    d = cfg.data
    cache = Path(d.cache_dir) if d.cache_dir else out_dir / "cache"
    train_tf = build_transform(cfg.augmentation, d.crop_px, train=True)
    val_tf = build_transform(cfg.augmentation, d.scene_px, train=False)
    if d.disk_root:
        train_ds: Any = DiskDataset(d, "train", train_tf)
        val_ds: Any = DiskDataset(d, "val", val_tf)
    else:
        train_ds = SynthDataset(d, "train", train_tf, cache, progress)
        val_ds = SynthDataset(d, "val", val_tf, cache, progress)
    if d.fdu_root and d.fdu_fraction > 0:
        train_ds = MixedDataset(train_ds, BoxDataset(d, "train", train_tf), d.fdu_fraction)
    elif d.fdu_fraction > 0:
        raise ConfigError("data.fdu_fraction > 0 needs data.fdu_root (the Pascal-VOC box folder).")
    return train_ds, val_ds


def build_optimizer(cfg: TrainConfig, model: torch.nn.Module) -> tuple[torch.optim.Optimizer, Any]:
    """Optimiser and a per-step LambdaLR (linear warm-up, then cosine or constant)."""
    o = cfg.optim
    if o.name == "adamw":
        opt: torch.optim.Optimizer = torch.optim.AdamW(trainable(model), lr=o.lr, weight_decay=o.weight_decay)
    elif o.name == "sgd":
        opt = torch.optim.SGD(
            trainable(model), lr=o.lr, momentum=o.momentum, weight_decay=o.weight_decay, nesterov=True
        )
    else:
        raise ConfigError(f"unknown optim.name {o.name!r}; use adamw or sgd.")
    if o.scheduler not in ("cosine", "constant"):
        raise ConfigError(f"unknown optim.scheduler {o.scheduler!r}; use cosine or constant.")
    total = max(cfg.trainer.max_steps, 1)

    def factor(step: int) -> float:
        if step < o.warmup_steps:
            return (step + 1) / o.warmup_steps
        if o.scheduler == "constant":
            return 1.0
        frac = (step - o.warmup_steps) / max(total - o.warmup_steps, 1)
        return 0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * min(frac, 1.0)))

    return opt, torch.optim.lr_scheduler.LambdaLR(opt, factor)


@torch.no_grad()
def evaluate(model: torch.nn.Module, loader: DataLoader, device: torch.device, canonical_um: float) -> dict:
    """Validation figures on held-out synthetic scenes (canonical scale).

    Returns:
        ``f1`` (exit points matched within 15 um, as ``validate``), ``count_mae``/``count_bias``
        (hairs per scene), ``dice`` (shaft mask at 0.5), ``diameter_mae_um``.
    """
    net = unwrap(model)
    was_training = net.training
    net.eval()
    acc = MetricAccumulator(match_px=VAL_MATCH_UM / canonical_um)
    for batch in loader:
        out = net.activate(net(batch["image"].to(device))).float().cpu().numpy()
        for i in range(out.shape[0]):
            pred_pts = find_exit_points(out[i, 1], threshold=0.3, min_distance_px=2.0)
            true_pts = find_exit_points(batch["exit"][i, 0].numpy(), threshold=0.99, min_distance_px=0.5)
            acc.add(
                pred_pts,
                true_pts,
                out[i, 0] >= 0.5,
                batch["shaft"][i, 0].numpy() > 0.5,
                out[i, 2] * canonical_um,
                batch["diameter"][i, 0].numpy() * canonical_um,
            )
    net.train(was_training)
    r = acc.result()
    r["diameter_mae_um"] = r.pop("diameter_mae")
    return r


def train_steps(
    model: torch.nn.Module,
    batches: Any,
    opt: torch.optim.Optimizer,
    sched: Any,
    scaler: torch.amp.GradScaler,
    cfg: TrainConfig,
    device: torch.device,
    n: int,
    loss_fn: Any,
) -> dict[str, float]:
    """Run ``n`` optimisation steps from the ``batches`` iterator with the family's
    ``loss_fn(raw, batch, cfg, network)``; returns mean loss parts."""
    set_train_mode(model, cfg.trainer.train_only)
    sums: dict[str, float] = {}
    use_amp = cfg.trainer.amp and device.type == "cuda"
    for _ in range(n):
        batch = {k: v.to(device, non_blocking=True) for k, v in next(batches).items()}
        with torch.autocast(device.type, dtype=torch.float16, enabled=use_amp):
            raw = model(batch["image"])
        loss, parts = loss_fn(raw.float(), batch, cfg, unwrap(model))
        opt.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        if cfg.optim.grad_clip > 0:
            scaler.unscale_(opt)
            torch.nn.utils.clip_grad_norm_(trainable(model), cfg.optim.grad_clip)
        scaler.step(opt)
        scaler.update()
        sched.step()
        parts["loss"] = float(loss.detach())
        for k, v in parts.items():
            sums[k] = sums.get(k, 0.0) + v
    return {k: v / max(n, 1) for k, v in sums.items()}


def _infinite(loader: DataLoader, start_epoch: int) -> Any:
    epoch = start_epoch
    while True:
        if isinstance(loader.sampler, DistributedSampler):
            loader.sampler.set_epoch(epoch)
        if hasattr(loader.dataset, "set_epoch"):
            loader.dataset.set_epoch(epoch)
        yield from loader
        epoch += 1


def _output_dir(cfg: TrainConfig) -> Path:
    if cfg.output_dir:
        return Path(cfg.output_dir)
    try:
        from hydra.core.hydra_config import HydraConfig

        return Path(HydraConfig.get().runtime.output_dir)
    except (ImportError, ValueError):
        return Path.cwd()
