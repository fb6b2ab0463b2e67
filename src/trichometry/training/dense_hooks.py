"""Training hooks of the dense-map family (:class:`~trichometry.models.net.HairNet`).

Data: generated scenes (cached or online) or a data set on disk, optionally mixed with
real boxes as weak supervision (:func:`~.loop.build_datasets`); loss: shaft, exit
heatmap and diameter (:func:`~.losses.total_loss`); validation: exit-point F1 and more
on held-out generated scenes (:func:`~.loop.evaluate`), score = F1.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch.utils.data import DataLoader

from trichometry.models.registry import TrainingHooks
from trichometry.training.loop import build_datasets, evaluate
from trichometry.training.losses import total_loss


def datasets(cfg: Any, out_dir: Path, progress: bool) -> tuple[Any, Any]:
    train_ds, val_ds = build_datasets(cfg, out_dir, progress)
    return train_ds, DataLoader(val_ds, batch_size=cfg.trainer.batch_size, shuffle=False)


def loss(raw: torch.Tensor, batch: dict[str, torch.Tensor], cfg: Any, net: Any) -> tuple[torch.Tensor, dict]:
    return total_loss(raw, batch, cfg.loss, net.diameter_scale)


def validate(net: Any, loader: DataLoader, device: torch.device, cfg: Any) -> dict[str, float]:
    val = evaluate(net, loader, device, cfg.data.canonical_um_per_px)
    return {"score": val["f1"], **val}


def model_overrides(cfg: Any) -> dict[str, Any]:
    m = cfg.model
    return {
        "diameter_scale": m.diameter_scale,
        "exit_branch": m.exit_branch,
        "diameter_branch": m.diameter_branch,
    }


def provenance(cfg: Any, train_ds: Any) -> dict[str, Any]:
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
    if d.fdu_root and d.fdu_fraction > 0:
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
    return prov


HOOKS = TrainingHooks(
    datasets=datasets, loss=loss, validate=validate, model_overrides=model_overrides, provenance=provenance
)
