"""Self-describing checkpoints: enough to rebuild, verify and explain a trained model.

A checkpoint is a ``torch.save`` dict of plain types and tensors, loaded with
``weights_only=True`` (no arbitrary code runs on load). Keys:

* ``format`` / ``format_version``: ``"trichometry-checkpoint"`` / :data:`FORMAT_VERSION`.
* ``model``: ``{"name", "kwargs", "heads", "arch"}``: variant name, exact network arguments,
  meaning of each output channel, and the architecture: the registry key of its family
  (:mod:`trichometry.models.registry`: ``"frames"``, detector v3, one box-centre peak
  per hair; ``"dense"``, per-pixel maps). Checkpoints without ``arch`` are dense.
* ``preprocessing``: input layout, normalisation, ``canonical_um_per_px`` (images are
  resampled to it before inference).
* ``state_dict`` and ``weights_sha256`` (SHA-256 over names, dtypes, shapes and bytes of
  every tensor; checked on load).
* ``config`` (resolved training config), ``data`` (training data provenance),
  ``metrics`` (validation), ``package_version``, ``created_utc``, ``step``, ``epoch``.
* optional ``optimizer`` / ``scheduler`` / ``scaler`` states for resuming.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import torch
from torch import nn

from trichometry import __version__
from trichometry.errors import CheckpointError
from trichometry.models.factory import arch_of, build_model
from trichometry.models.net import IMAGENET_MEAN, IMAGENET_STD
from trichometry.models.registry import family_of_model
from trichometry.utils.atomic import atomic_write_bytes

logger = logging.getLogger(__name__)

FORMAT = "trichometry-checkpoint"
FORMAT_VERSION = 1
DEFAULT_CANONICAL_UM_PER_PX = 3.0


def unwrap(model: nn.Module) -> nn.Module:
    """The bare model inside DistributedDataParallel / DataParallel wrappers."""
    return getattr(model, "module", model)


def weights_sha256(state_dict: dict[str, torch.Tensor]) -> str:
    """SHA-256 of a state dict: tensor names, dtypes, shapes and bytes, in sorted name order."""
    h = hashlib.sha256()
    for name in sorted(state_dict):
        t = state_dict[name].detach().cpu().contiguous()
        h.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return h.hexdigest()


def preprocessing_spec(canonical_um_per_px: float = DEFAULT_CANONICAL_UM_PER_PX) -> dict[str, Any]:
    """What a caller must do to an image before the network sees it."""
    return {
        "input": "(B, 3, H, W) float32 RGB in [0, 1]",
        "normalisation": {"mean": list(IMAGENET_MEAN), "std": list(IMAGENET_STD), "inside_model": True},
        "canonical_um_per_px": float(canonical_um_per_px),
        "resample": "scale the image by um_per_px / canonical_um_per_px (area to shrink, linear to grow)",
    }


def save_checkpoint(
    path: str | os.PathLike[str],
    model: nn.Module,
    *,
    model_name: str,
    model_kwargs: dict[str, Any],
    canonical_um_per_px: float = DEFAULT_CANONICAL_UM_PER_PX,
    config: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
    metrics: dict[str, Any] | None = None,
    step: int = 0,
    epoch: int = 0,
    optimizer: torch.optim.Optimizer | None = None,
    scheduler: Any | None = None,
    scaler: Any | None = None,
) -> str:
    """Write a checkpoint atomically and return the SHA-256 of its weights.

    Args:
        path: target file (``.pt``); written via a temporary file, never half-written.
        model: the network (DDP wrappers are unwrapped).
        model_name: variant name (``"tiny"``...); ``model_kwargs``: its exact arguments.
        canonical_um_per_px: the scale the network works at.
        config: resolved training config (plain dict); ``data``: data provenance;
        metrics: validation metrics; ``step``/``epoch``: training progress.
        optimizer, scheduler, scaler: saved for resuming when given.
    """
    state = {k: v.detach().cpu() for k, v in unwrap(model).state_dict().items()}
    sha = weights_sha256(state)
    fam = family_of_model(unwrap(model))
    arch, heads = fam.arch, fam.heads
    ckpt: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "model": {"name": str(model_name), "kwargs": dict(model_kwargs), "heads": dict(heads), "arch": arch},
        "preprocessing": preprocessing_spec(canonical_um_per_px),
        "state_dict": state,
        "weights_sha256": sha,
        "config": config or {},
        "data": data or {},
        "metrics": metrics or {},
        "package_version": __version__,
        "torch_version": str(torch.__version__),
        "created_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "step": int(step),
        "epoch": int(epoch),
    }
    for key, obj in (("optimizer", optimizer), ("scheduler", scheduler), ("scaler", scaler)):
        if obj is not None:
            ckpt[key] = obj.state_dict()
    buf = io.BytesIO()
    torch.save(ckpt, buf)
    atomic_write_bytes(path, buf.getvalue())
    logger.info("saved checkpoint %s (step %d, sha256 %s)", path, step, sha[:12])
    return sha


def load_checkpoint(path: str | os.PathLike[str], map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Read and verify a checkpoint.

    Raises:
        CheckpointError: the file is missing, truncated, corrupt, not a trichometry
            checkpoint, of a newer format, or its weights do not match their SHA-256.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(
            f"checkpoint {path} does not exist; give the path of a .pt file written by training."
        )
    try:
        ckpt = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # unpickler, zip and storage errors come in many types
        raise CheckpointError(
            f"checkpoint {path} cannot be read (corrupt, truncated or not a PyTorch file: {exc}); "
            "copy it again or retrain."
        ) from exc
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT:
        raise CheckpointError(
            f"{path} is not a trichometry checkpoint (no '{FORMAT}' marker); "
            "use a file written by `python train.py` or trichometry.models.save_checkpoint."
        )
    if int(ckpt.get("format_version", 0)) > FORMAT_VERSION:
        raise CheckpointError(
            f"checkpoint {path} has format version {ckpt['format_version']}, newer than this "
            f"trichometry ({__version__}) reads ({FORMAT_VERSION}); upgrade trichometry."
        )
    for key in ("model", "state_dict", "weights_sha256", "preprocessing"):
        if key not in ckpt:
            raise CheckpointError(
                f"checkpoint {path} lacks '{key}'; it is incomplete, retrain or copy it again."
            )
    sha = weights_sha256(ckpt["state_dict"])
    if sha != ckpt["weights_sha256"]:
        raise CheckpointError(
            f"checkpoint {path} is corrupt: weights SHA-256 {sha[:12]} differs from the recorded "
            f"{str(ckpt['weights_sha256'])[:12]}; copy it again or retrain."
        )
    return ckpt


def load_weights(model: nn.Module, ckpt: dict[str, Any], *, expected_name: str | None = None) -> None:
    """Copy checkpoint weights into ``model``, which must have the same architecture.

    Raises:
        CheckpointError: the checkpoint was made for another variant or architecture.
    """
    name = ckpt["model"].get("name")
    if expected_name is not None and name != expected_name:
        raise CheckpointError(
            f"checkpoint is for model variant {name!r} but {expected_name!r} was requested; "
            f"set model={name} or use a checkpoint of {expected_name!r}."
        )
    target = unwrap(model)
    try:
        target.load_state_dict(ckpt["state_dict"], strict=True)
    except RuntimeError as exc:
        first = str(exc).splitlines()[0:3]
        raise CheckpointError(
            f"checkpoint weights (variant {name!r}) do not fit this network: {' '.join(first)}; "
            "it was made for another architecture: use the matching model config."
        ) from exc


def checkpoint_arch(ckpt: dict[str, Any]) -> str:
    """The architecture a checkpoint was written for (``"dense"`` when it does not say)."""
    model = ckpt.get("model", {}) or {}
    if model.get("arch"):
        return str(model["arch"])
    return arch_of(str(model.get("name", "")))  # early checkpoints: dense variants only


def model_from_checkpoint(
    source: str | os.PathLike[str] | dict[str, Any], map_location: str | torch.device = "cpu"
) -> tuple[nn.Module, dict[str, Any]]:
    """Rebuild the network a checkpoint describes, load its weights, and set eval mode.

    Returns:
        ``(model, checkpoint dict)``.
    """
    ckpt = source if isinstance(source, dict) else load_checkpoint(source, map_location)
    try:
        model = build_model(dict(ckpt["model"]["kwargs"]), checkpoint_arch(ckpt))
    except Exception as exc:
        raise CheckpointError(
            f"cannot rebuild the network described by the checkpoint ({exc}); "
            "it was written by an incompatible trichometry version."
        ) from exc
    load_weights(model, ckpt)
    model.to(map_location).eval()
    return model, ckpt


def source_info(ckpt: dict[str, Any], path: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Provenance for :attr:`Prediction.source`: name, version, sha256, scale, path."""
    info = {
        "method": "model",
        "name": ckpt["model"]["name"],
        "version": ckpt.get("package_version", "unknown"),
        "sha256": ckpt["weights_sha256"],
        "canonical_um_per_px": ckpt["preprocessing"]["canonical_um_per_px"],
        "step": ckpt.get("step", 0),
        "arch": checkpoint_arch(ckpt),
    }
    if path is not None:
        info["checkpoint"] = str(path)
    return info


def strip_training_state(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> str:
    """Copy a checkpoint without optimiser / scheduler / scaler state (for shipping).

    Weights, description, config, provenance and metrics are kept unchanged, so the
    weights' SHA-256 (returned) stays the same.
    """
    ckpt = load_checkpoint(src)
    for key in ("optimizer", "scheduler", "scaler"):
        ckpt.pop(key, None)
    buf = io.BytesIO()
    torch.save(ckpt, buf)
    atomic_write_bytes(dst, buf.getvalue())
    return str(ckpt["weights_sha256"])
