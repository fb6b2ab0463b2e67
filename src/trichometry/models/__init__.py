"""The hair networks, their registry, self-describing checkpoints and ONNX export.

Families (:mod:`.registry`): ``frames`` (:class:`FrameNet`, detector v3, the default)
and ``dense`` (:class:`HairNet`, per-pixel maps).
"""

from __future__ import annotations

from trichometry.models.checkpoint import (
    load_checkpoint,
    load_weights,
    model_from_checkpoint,
    save_checkpoint,
    source_info,
    weights_sha256,
)
from trichometry.models.factory import VARIANTS, create_model, model_kwargs, variant_names
from trichometry.models.framenet import FRAME_HEADS, FrameNet
from trichometry.models.net import HEADS, HairNet
from trichometry.models.registry import FAMILIES, Family, TrainingHooks, register

__all__ = [
    "FAMILIES",
    "FRAME_HEADS",
    "HEADS",
    "VARIANTS",
    "Family",
    "FrameNet",
    "HairNet",
    "TrainingHooks",
    "create_model",
    "load_checkpoint",
    "load_weights",
    "model_from_checkpoint",
    "model_kwargs",
    "register",
    "save_checkpoint",
    "source_info",
    "variant_names",
    "weights_sha256",
]
