"""Named model variants and the factory that builds them.

``create_model("tiny")`` is the CPU default; ``"small"`` and ``"base"`` are for a GPU.
A variant is a plain dict of :class:`~trichometry.models.net.HairNet` arguments, and a
checkpoint stores the name *and* the arguments, so it can be rebuilt even if a variant
changes later.
"""

from __future__ import annotations

import copy
from typing import Any

from trichometry.errors import ConfigError
from trichometry.models.net import HairNet
from trichometry.models.segnet import SegmentNet

DENSE, SEGMENTS = "dense", "segments"  # architectures: per-pixel maps / one segment per hair

VARIANTS: dict[str, dict[str, Any]] = {
    # about 0.3 M parameters; trains on a laptop CPU. The stride-1 stages are kept slim
    # (8-12 channels): at full resolution they dominate the cost.
    "tiny": {
        "backbone": "mobilenet_v3_small",
        "return_nodes": ["features.0", "features.1", "features.3", "features.8"],  # strides 2..16
        "decoder_channels": [48, 32, 24, 12],
        "stem_channels": 8,
        "head_channels": 12,
    },
    # about 2 M parameters; CPU inference, GPU training
    "small": {
        "backbone": "mobilenet_v3_large",
        "return_nodes": ["features.1", "features.3", "features.6", "features.12"],  # strides 2..16
        "decoder_channels": [96, 64, 40, 24],
        "stem_channels": 24,
        "head_channels": 24,
    },
    # about 25 M parameters; GPU
    "base": {
        "backbone": "resnet34",
        "return_nodes": ["relu", "layer1", "layer2", "layer3", "layer4"],  # strides 2..32
        "decoder_channels": [256, 128, 64, 48, 32],
        "stem_channels": 32,
        "head_channels": 32,
    },
}

# SegmentNet variants (models.segnet): residual stages at strides 4-32, a pyramid to stride 4
SEGMENT_VARIANTS: dict[str, dict[str, Any]] = {
    # about 2.9 M parameters: trains at about 29 crops of 256 px per second on 2 CPU cores
    "seg_s": {"widths": [32, 64, 128, 256], "blocks": [2, 2, 2, 2], "decoder_channels": 64},
    # about 6.4 M parameters: about 20 crops per second
    "seg_m": {"widths": [48, 96, 192, 384], "blocks": [2, 2, 2, 2], "decoder_channels": 96},
}


def variant_names() -> list[str]:
    """The valid variant names, sorted."""
    return sorted({*VARIANTS, *SEGMENT_VARIANTS})


def arch_of(name: str) -> str:
    """``"segments"`` for a :class:`SegmentNet` variant, ``"dense"`` for a :class:`HairNet` one."""
    return SEGMENTS if name in SEGMENT_VARIANTS else DENSE


def model_kwargs(name: str, **overrides: Any) -> dict[str, Any]:
    """Arguments of variant ``name`` with ``overrides`` applied.

    Raises:
        ConfigError: ``name`` is not a known variant, or an override is not an argument.
    """
    if name not in VARIANTS and name not in SEGMENT_VARIANTS:
        raise ConfigError(
            f"unknown model variant {name!r}; valid variants are: {', '.join(variant_names())}."
        )
    if name in SEGMENT_VARIANTS:
        kwargs = copy.deepcopy(SEGMENT_VARIANTS[name])
        allowed = {*kwargs, "vector_scale"}
    else:
        kwargs = copy.deepcopy(VARIANTS[name])
        allowed = {*kwargs, "diameter_scale", "exit_branch", "diameter_branch"}
    bad = sorted(set(overrides) - allowed)
    if bad:
        raise ConfigError(
            f"unknown model argument(s) {bad} for variant {name!r}; valid: {', '.join(sorted(allowed))}."
        )
    kwargs.update(overrides)
    return kwargs


def build_model(kwargs: dict[str, Any], arch: str = DENSE) -> HairNet | SegmentNet:
    """Build a :class:`HairNet` (``arch="dense"``) or :class:`SegmentNet` (``"segments"``)
    from explicit arguments (as stored in a checkpoint)."""
    if arch not in (DENSE, SEGMENTS):
        raise ConfigError(f"unknown network architecture {arch!r}; use {DENSE!r} or {SEGMENTS!r}.")
    try:
        return SegmentNet(**kwargs) if arch == SEGMENTS else HairNet(**kwargs)
    except (TypeError, KeyError, ValueError) as exc:
        raise ConfigError(
            f"cannot build the hair network from {kwargs}: {exc}. Check the model config."
        ) from exc


def create_model(name: str = "tiny", **overrides: Any) -> HairNet | SegmentNet:
    """Build variant ``name`` (random weights; nothing is downloaded).

    Example:
        >>> create_model("tiny")(torch.rand(1, 3, 64, 64)).shape  # doctest: +SKIP
        torch.Size([1, 3, 64, 64])
    """
    return build_model(model_kwargs(name, **overrides), arch_of(name))
