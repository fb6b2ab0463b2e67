"""Build a registered hair network by variant name (:mod:`.registry` holds the families).

``create_model("frame_s")`` is the shipped detector v3; ``"tiny"``, ``"small"``, ``"base"``
are the dense-map family. A checkpoint stores the variant name *and* its arguments, so it
can be rebuilt even if a variant changes later.
"""

from __future__ import annotations

import copy
from typing import Any

from torch import nn

from trichometry.errors import ConfigError
from trichometry.models.net import VARIANTS
from trichometry.models.registry import family, family_of_model, family_of_variant, variant_names

__all__ = [
    "VARIANTS",
    "arch_of",
    "arch_of_model",
    "build_model",
    "create_model",
    "model_kwargs",
    "variant_names",
]


def arch_of(name: str) -> str:
    """The architecture (registry key) of variant ``name``.

    Raises:
        ConfigError: an unknown variant.
    """
    return family_of_variant(name).arch


def arch_of_model(model: nn.Module) -> str:
    """The architecture of a built network."""
    return family_of_model(model).arch


def model_kwargs(name: str, **overrides: Any) -> dict[str, Any]:
    """Arguments of variant ``name`` with ``overrides`` applied.

    Raises:
        ConfigError: ``name`` is not a known variant, or an override is not an argument.
    """
    fam = family_of_variant(name)
    kwargs = copy.deepcopy(dict(fam.variants[name]))
    allowed = {*kwargs, *fam.overridable}
    bad = sorted(set(overrides) - allowed)
    if bad:
        raise ConfigError(
            f"unknown model argument(s) {bad} for variant {name!r}; valid: {', '.join(sorted(allowed))}."
        )
    kwargs.update(overrides)
    return kwargs


def build_model(kwargs: dict[str, Any], arch: str = "dense") -> nn.Module:
    """Build the network of architecture ``arch`` from explicit arguments (as stored in a
    checkpoint)."""
    net = family(arch).network
    try:
        return net(**kwargs)
    except (TypeError, KeyError, ValueError) as exc:
        raise ConfigError(
            f"cannot build the hair network from {kwargs}: {exc}. Check the model config."
        ) from exc


def create_model(name: str = "frame_s", **overrides: Any) -> nn.Module:
    """Build variant ``name`` (random weights; nothing is downloaded).

    Example:
        >>> create_model("frame_s")(torch.rand(1, 3, 64, 64)).shape  # doctest: +SKIP
        torch.Size([1, 7, 16, 16])
    """
    return build_model(model_kwargs(name, **overrides), arch_of(name))
