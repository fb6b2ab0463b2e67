"""``train(cfg)``: one training run from a composed config (called by ``train.py``)."""

from __future__ import annotations

import csv
import json
import logging
import time
from pathlib import Path
from typing import Any

import torch
from omegaconf import DictConfig, OmegaConf
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler
from tqdm import tqdm

from trichometry.errors import CheckpointError, ConfigError
from trichometry.models.checkpoint import load_checkpoint, load_weights, save_checkpoint, unwrap
from trichometry.models.factory import build_model, model_kwargs
from trichometry.models.registry import family_of_variant
from trichometry.training import distributed
from trichometry.training.config import TrainConfig
from trichometry.training.freeze import BRANCHES, freeze, init_from
from trichometry.training.loop import (
    _infinite,
    _output_dir,
    _worker_init,
    build_optimizer,
    seed_everything,
    train_steps,
)

logger = logging.getLogger(__name__)


def _as_config(cfg: DictConfig | TrainConfig) -> tuple[TrainConfig, dict[str, Any]]:
    """A typed config (validated against the schema) and its plain-dict form."""
    schema = OmegaConf.structured(TrainConfig)
    merged = OmegaConf.merge(schema, cfg)  # a misspelt or mistyped key fails here
    plain = OmegaConf.to_container(merged, resolve=True)
    return OmegaConf.to_object(merged), plain  # type: ignore[return-value]


def train(cfg: DictConfig | TrainConfig) -> dict[str, Any]:
    """Train the hair network as ``cfg`` says; write checkpoints and logs; return last metrics.

    Writes under the output folder (Hydra's run directory unless ``output_dir`` is set):
    ``checkpoints/last.pt``, ``checkpoints/best.pt`` (highest validation exit F1),
    ``metrics.csv`` (one row per log / validation), ``cache/`` (generated scenes).

    Raises:
        ConfigError: an invalid option; CheckpointError: a bad ``trainer.resume`` file.
    """
    tc, plain = _as_config(cfg)
    style = dict(tc.data.synth_overrides).get("style", "standard")
    if style != "standard":
        raise ConfigError(
            f"data.synth_overrides.style={style!r}: the held-out rendering style is for evaluation "
            "only (benchmarks/yardstick.py); a model trained on it has no style-shift check left. "
            "Remove the override."
        )
    info = distributed.setup(tc.trainer.device)
    try:
        return _train(tc, plain, info)
    finally:
        distributed.cleanup()


def _train(tc: TrainConfig, plain: dict[str, Any], info: distributed.DistInfo) -> dict[str, Any]:
    out = _output_dir(tc)
    out.mkdir(parents=True, exist_ok=True)
    if tc.trainer.num_threads > 0:
        torch.set_num_threads(tc.trainer.num_threads)
    seed_everything(tc.seed + info.rank)
    progress = tc.trainer.progress and info.is_main
    fam = family_of_variant(tc.model.name)
    hooks = fam.hooks()
    train_ds, val_data = hooks.datasets(tc, out, progress)
    kwargs = model_kwargs(tc.model.name, **hooks.model_overrides(tc))
    model = build_model(kwargs, fam.arch).to(info.device)
    if tc.trainer.init_from:
        if tc.trainer.resume:
            raise ConfigError("set trainer.init_from or trainer.resume, not both.")
        source = tc.trainer.init_from
        if source == "shipped":  # the package's default detector (fine-tuning a clinic's reviews)
            from trichometry.inference.loading import default_model_path

            source = str(default_model_path())
        src = load_checkpoint(source, map_location=info.device)
        fresh = init_from(model, src, new_modules=tc.trainer.train_only or BRANCHES)
        logger.info("weights from %s (%d tensors initialised afresh)", source, len(fresh))
    elif not tc.trainer.resume:
        done = hooks.init_weights(model, tc)
        if done:
            logger.info("starting weights: %s", done)
    if tc.trainer.train_only:
        n = freeze(model, tc.trainer.train_only)
        logger.info("training only %s: %d parameters", tc.trainer.train_only, n)
    opt, sched = build_optimizer(tc, model)
    scaler = torch.amp.GradScaler(info.device.type, enabled=tc.trainer.amp and info.device.type == "cuda")
    step, best_score = 0, float("-inf")
    if tc.trainer.resume:
        ckpt = load_checkpoint(tc.trainer.resume, map_location=info.device)
        load_weights(model, ckpt, expected_name=tc.model.name)
        try:
            for key, obj in (("optimizer", opt), ("scheduler", sched), ("scaler", scaler)):
                if key in ckpt:
                    obj.load_state_dict(ckpt[key])
        except (ValueError, KeyError, RuntimeError) as exc:
            raise CheckpointError(f"cannot resume optimiser state from {tc.trainer.resume}: {exc}.") from exc
        step = int(ckpt.get("step", 0))
        best_score = float(ckpt.get("metrics", {}).get("best_score", float("-inf")))
        logger.info("resumed from %s at step %d", tc.trainer.resume, step)
    if step >= tc.trainer.max_steps:
        raise ConfigError(
            f"the resumed run is already at step {step} >= trainer.max_steps={tc.trainer.max_steps}; "
            "raise trainer.max_steps to train on."
        )
    if info.world > 1:
        model = DistributedDataParallel(
            model, device_ids=[info.device] if info.device.type == "cuda" else None
        )

    sampler = DistributedSampler(train_ds, shuffle=True, seed=tc.seed) if info.world > 1 else None
    gen = torch.Generator().manual_seed(tc.seed + info.rank)
    loader = DataLoader(
        train_ds,
        batch_size=tc.trainer.batch_size,
        shuffle=sampler is None,
        sampler=sampler,
        drop_last=True,
        num_workers=tc.data.num_workers,
        worker_init_fn=_worker_init,
        generator=gen,
        pin_memory=info.device.type == "cuda",
        persistent_workers=tc.data.num_workers > 0,
    )
    if len(loader) == 0:
        raise ConfigError(
            f"data.train_size ({len(train_ds)}) is smaller than trainer.batch_size ({tc.trainer.batch_size})."
        )
    batches = _infinite(loader, start_epoch=step // len(loader))

    ckpt_dir = out / "checkpoints"
    log_path = out / "metrics.csv"
    writer = _tensorboard(tc, out) if info.is_main else None
    data_prov = {**hooks.provenance(tc, train_ds), "train_items": len(train_ds)}
    metrics: dict[str, Any] = {}
    bar = tqdm(total=tc.trainer.max_steps, initial=step, desc="train", disable=not progress)
    t0, seen = time.time(), 0
    while step < tc.trainer.max_steps:
        n = min(
            tc.trainer.log_every,
            tc.trainer.max_steps - step,
            tc.trainer.val_every - step % tc.trainer.val_every,
        )
        parts = train_steps(model, batches, opt, sched, scaler, tc, info.device, n, hooks.loss)
        step += n
        seen += n * tc.trainer.batch_size * info.world
        bar.update(n)
        bar.set_postfix(loss=f"{parts['loss']:.3f}")
        row = {"step": step, "lr": sched.get_last_lr()[0], "images_per_s": seen / (time.time() - t0), **parts}
        out_of_time = tc.trainer.max_minutes is not None and (time.time() - t0) / 60 >= tc.trainer.max_minutes
        is_val = step % tc.trainer.val_every == 0 or step >= tc.trainer.max_steps or out_of_time
        if is_val:
            val = hooks.validate(unwrap(model), val_data, info.device, tc)
            row.update({f"val_{k}": v for k, v in val.items()})
            metrics = {**val, "step": step}
        if info.is_main:
            _log_row(log_path, row, writer, step)
            if is_val:
                best = val["score"] > best_score
                best_score = max(best_score, val["score"])
                metrics["best_score"] = best_score
                save = dict(
                    model_name=tc.model.name,
                    model_kwargs=kwargs,
                    canonical_um_per_px=tc.data.canonical_um_per_px,
                    config=plain,
                    data=data_prov,
                    metrics=metrics,
                    step=step,
                    optimizer=opt,
                    scheduler=sched,
                    scaler=scaler,
                )
                save_checkpoint(ckpt_dir / "last.pt", model, **save)
                if best:
                    save_checkpoint(ckpt_dir / "best.pt", model, **save)
                logger.info("step %d: %s", step, json.dumps({k: round(v, 4) for k, v in val.items()}))
        if out_of_time:
            logger.warning("trainer.max_minutes=%s spent: stopping at step %d", tc.trainer.max_minutes, step)
            break
    bar.close()
    if writer is not None:
        writer.close()
    return metrics


def _tensorboard(tc: TrainConfig, out: Path) -> Any:
    if not tc.trainer.tensorboard:
        return None
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        logger.warning("trainer.tensorboard=true but tensorboard is not installed; logging to CSV only.")
        return None
    return SummaryWriter(str(out / "tensorboard"))


def _log_row(path: Path, row: dict[str, Any], writer: Any, step: int) -> None:
    """Append one row to the CSV log (rewriting the header when new columns appear)."""
    rows: list[dict[str, Any]] = []
    if path.is_file():
        with path.open(newline="") as fh:
            rows = list(csv.DictReader(fh))
    rows.append({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()})
    cols: list[str] = []
    for r in rows:
        cols += [c for c in r if c not in cols]
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=cols)
        w.writeheader()
        w.writerows(rows)
    if writer is not None:
        for k, v in row.items():
            if isinstance(v, (int, float)) and k != "step":
                writer.add_scalar(k, v, step)
