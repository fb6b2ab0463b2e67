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
from trichometry.models.checkpoint import load_checkpoint, load_weights, save_checkpoint
from trichometry.models.factory import SEGMENTS, arch_of, build_model, model_kwargs
from trichometry.training import distributed
from trichometry.training.config import TrainConfig
from trichometry.training.freeze import BRANCHES, freeze, init_from
from trichometry.training.loop import (
    _infinite,
    _output_dir,
    _worker_init,
    build_datasets,
    build_optimizer,
    evaluate,
    seed_everything,
    train_steps,
)
from trichometry.training.seg_loop import build_segment_datasets, evaluate_segments, segment_train_steps

logger = logging.getLogger(__name__)


def _as_config(cfg: DictConfig | TrainConfig) -> tuple[TrainConfig, dict[str, Any]]:
    """A typed config (validated against the schema) and its plain-dict form."""
    schema = OmegaConf.structured(TrainConfig)
    merged = OmegaConf.merge(schema, cfg)  # a misspelt or mistyped key fails here
    plain = OmegaConf.to_container(merged, resolve=True)
    return OmegaConf.to_object(merged), plain  # type: ignore[return-value]


def _provenance(cfg: TrainConfig, train_ds: Any) -> dict[str, Any]:
    d = cfg.data
    prov: dict[str, Any] = {
        "synthetic": {
            "generator": "trichometry.synth.generate_sample",
            "train_scenes": d.train_size,
            "val_scenes": d.val_size,
            "seed": d.seed,
            "scene_px": d.scene_px,
            "um_per_px_range": list(d.um_per_px_range),
            "density_per_cm2": list(d.density_per_cm2),
            "overrides": dict(d.synth_overrides),
        }
    }
    if d.fdu_root and d.fdu_fraction > 0 and arch_of(cfg.model.name) == SEGMENTS:
        prov["boxes"] = {
            "root": str(d.fdu_root),
            "split": f"train minus every {d.fdu_holdout_every}th id (sorted), which are the tune images",
            "fraction": d.fdu_fraction,
            "um_per_px": d.fdu_um_per_px,
            "supervision": "one undirected segment per box (the darker diagonal): centre, axis, length",
        }
    elif d.fdu_root and d.fdu_fraction > 0:
        prov["boxes"] = {
            "root": str(d.fdu_root),
            "split": "train",
            "fraction": d.fdu_fraction,
            "um_per_px": d.fdu_um_per_px,
            "supervision": "weak: background outside boxes"
            + (", one exit peak at a box corner (MIL)" if cfg.loss.box_mil > 0 else "")
            + (
                ", pseudo-labelled roots (exit) with their shafts and tips (no exit), nothing else inside"
                if d.fdu_roots
                else ", nothing inside"
            ),
        }
        if d.fdu_roots:
            from trichometry.training.pseudolabel import describe

            prov["boxes"]["roots"] = describe(d.fdu_roots)
    prov["train_items"] = len(train_ds)
    return prov


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
    arch = arch_of(tc.model.name)
    if arch == SEGMENTS:
        train_ds, val_sets = build_segment_datasets(tc, out, progress)
        val_ds = None
        kwargs = model_kwargs(tc.model.name, vector_scale=tc.model.vector_scale)
    else:
        train_ds, val_ds = build_datasets(tc, out, progress)
        kwargs = model_kwargs(
            tc.model.name,
            diameter_scale=tc.model.diameter_scale,
            exit_branch=tc.model.exit_branch,
            diameter_branch=tc.model.diameter_branch,
        )
    model = build_model(kwargs, arch).to(info.device)
    if tc.trainer.init_from:
        if tc.trainer.resume:
            raise ConfigError("set trainer.init_from or trainer.resume, not both.")
        src = load_checkpoint(tc.trainer.init_from, map_location=info.device)
        fresh = init_from(model, src, new_modules=tc.trainer.train_only or BRANCHES)
        logger.info("weights from %s (%d tensors initialised afresh)", tc.trainer.init_from, len(fresh))
    if tc.trainer.train_only:
        n = freeze(model, tc.trainer.train_only)
        logger.info("training only %s: %d parameters", tc.trainer.train_only, n)
    opt, sched = build_optimizer(tc, model)
    scaler = torch.amp.GradScaler(info.device.type, enabled=tc.trainer.amp and info.device.type == "cuda")
    step, best_f1 = 0, -1.0
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
        best_f1 = float(ckpt.get("metrics", {}).get("best_f1", -1.0))
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
    val_loader = DataLoader(val_ds, batch_size=tc.trainer.batch_size, shuffle=False) if val_ds else None
    batches = _infinite(loader, start_epoch=step // len(loader))

    ckpt_dir = out / "checkpoints"
    log_path = out / "metrics.csv"
    writer = _tensorboard(tc, out) if info.is_main else None
    data_prov = _provenance(tc, train_ds)
    metrics: dict[str, Any] = {}
    bar = tqdm(total=tc.trainer.max_steps, initial=step, desc="train", disable=not progress)
    t0, seen = time.time(), 0
    while step < tc.trainer.max_steps:
        n = min(
            tc.trainer.log_every,
            tc.trainer.max_steps - step,
            tc.trainer.val_every - step % tc.trainer.val_every,
        )
        if arch == SEGMENTS:
            parts = segment_train_steps(model, batches, opt, sched, tc, info.device, n)
        else:
            parts = train_steps(model, batches, opt, sched, scaler, tc, info.device, n)
        step += n
        seen += n * tc.trainer.batch_size * info.world
        bar.update(n)
        bar.set_postfix(loss=f"{parts['loss']:.3f}")
        row = {"step": step, "lr": sched.get_last_lr()[0], "images_per_s": seen / (time.time() - t0), **parts}
        out_of_time = tc.trainer.max_minutes is not None and (time.time() - t0) / 60 >= tc.trainer.max_minutes
        is_val = step % tc.trainer.val_every == 0 or step >= tc.trainer.max_steps or out_of_time
        if is_val:
            if arch == SEGMENTS:
                val = evaluate_segments(model, val_sets, info.device, tc)
            else:
                val = evaluate(model, val_loader, info.device, tc.data.canonical_um_per_px)
            row.update({f"val_{k}": v for k, v in val.items()})
            metrics = {**val, "step": step}
        if info.is_main:
            _log_row(log_path, row, writer, step)
            if is_val:
                best = val["f1"] > best_f1
                best_f1 = max(best_f1, val["f1"])
                metrics["best_f1"] = best_f1
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
