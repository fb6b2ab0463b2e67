"""The hair network, its named variants, self-describing checkpoints and ONNX export."""

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
from trichometry.models.net import HEADS, HairNet
from trichometry.models.segnet import SEGMENT_HEADS, SegmentNet

__all__ = [
    "HEADS",
    "SEGMENT_HEADS",
    "VARIANTS",
    "HairNet",
    "SegmentNet",
    "create_model",
    "load_checkpoint",
    "load_weights",
    "model_from_checkpoint",
    "model_kwargs",
    "save_checkpoint",
    "source_info",
    "variant_names",
    "weights_sha256",
]
