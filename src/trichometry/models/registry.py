"""The detector registry: one entry per network family, keyed by its ``arch``.

A family says everything the rest of the pipeline needs to build, train, load and read
one kind of hair network, so nothing outside this module asks which family it holds:

* ``network``, ``variants``, ``heads``, ``overridable``: how to build it (the factory),
  what each output channel means (stored in checkpoints), which arguments a config may
  change;
* ``decode``: for a **candidate** family, the activated output grid of one image ->
  :class:`~trichometry.inference.segments.SegmentHairs` (centre, root, tip, score,
  width per hair), read by the one candidate predictor
  (:class:`~trichometry.inference.candidates.CandidatePredictor`) and calibrated by the
  one calibrator (:mod:`trichometry.training.calibrate_candidates`); ``None`` for the
  dense-map family, read by :class:`~trichometry.inference.predictor.Predictor`;
* ``training``: ``"module:attribute"`` of its :class:`TrainingHooks` (data sets, loss,
  validation), imported only when training, which the one training loop
  (:mod:`trichometry.training.run`) drives.

A new detector is one module that builds a :class:`Family` and calls :func:`register`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from trichometry.errors import ConfigError


@dataclass(frozen=True)
class TrainingHooks:
    """What the training loop needs from a family.

    Attributes:
        datasets: ``(cfg, out_dir, progress) -> (train_dataset, validation_data)``; items
            are dicts of tensors with at least ``"image"``.
        loss: ``(raw_output, batch, cfg, network) -> (loss, parts)``.
        validate: ``(network, validation_data, device, cfg) -> metrics`` with ``"score"``
            (higher is better: it picks ``best.pt``).
        model_overrides: ``cfg -> {argument: value}`` from the model config.
        provenance: ``(cfg, train_dataset) -> dict`` written into the checkpoint.
        init_weights: ``(network, cfg) -> str`` starting weights for a fresh run (not on
            resume or ``init_from``); returns what it did, for the log ("" for nothing).
    """

    datasets: Callable[..., tuple[Any, Any]]
    loss: Callable[..., tuple[Any, dict[str, float]]]
    validate: Callable[..., dict[str, float]]
    model_overrides: Callable[[Any], dict[str, Any]] = lambda cfg: {}
    provenance: Callable[..., dict[str, Any]] = lambda cfg, ds: {}
    init_weights: Callable[..., str] = lambda net, cfg: ""


@dataclass(frozen=True)
class Family:
    """One network family (see the module docstring)."""

    arch: str
    network: type
    variants: Mapping[str, dict[str, Any]]
    heads: Mapping[str, str]
    overridable: frozenset[str] = field(default_factory=frozenset)
    decode: Callable[..., Any] | None = None
    training: str = ""

    @property
    def candidates(self) -> bool:
        """Whether the family hands over hair candidates (else dense maps)."""
        return self.decode is not None

    def hooks(self) -> TrainingHooks:
        """The family's training hooks (imported now)."""
        if not self.training:
            raise ConfigError(f"network family {self.arch!r} has no training hooks.")
        module, _, attr = self.training.partition(":")
        return getattr(importlib.import_module(module), attr)


FAMILIES: dict[str, Family] = {}


def register(family: Family) -> Family:
    """Add ``family`` (replacing one of the same ``arch``); its variant names must be new."""
    taken = {n for f in FAMILIES.values() if f.arch != family.arch for n in f.variants}
    clash = sorted(taken & set(family.variants))
    if clash:
        raise ConfigError(f"variant name(s) {clash} already belong to another network family.")
    FAMILIES[family.arch] = family
    return family


def unregister(arch: str) -> None:
    """Remove a family (tests that register a toy one)."""
    FAMILIES.pop(arch, None)


def family(arch: str) -> Family:
    """The family registered as ``arch``.

    Raises:
        ConfigError: no such family.
    """
    _builtin()
    if arch not in FAMILIES:
        raise ConfigError(f"unknown network architecture {arch!r}; use one of {sorted(FAMILIES)}.")
    return FAMILIES[arch]


def family_of_variant(name: str) -> Family:
    """The family that has variant ``name``.

    Raises:
        ConfigError: no family has it.
    """
    _builtin()
    for fam in FAMILIES.values():
        if name in fam.variants:
            return fam
    raise ConfigError(f"unknown model variant {name!r}; valid variants are: {', '.join(variant_names())}.")


def family_of_model(model: Any) -> Family:
    """The family of a built network (wrappers such as DDP unwrapped)."""
    _builtin()
    net = getattr(model, "module", model)
    for fam in FAMILIES.values():
        if type(net) is fam.network:
            return fam
    raise ConfigError(f"{type(net).__name__} is not a registered hair network.")


def variant_names() -> list[str]:
    """Every registered variant name, sorted."""
    _builtin()
    return sorted(n for f in FAMILIES.values() for n in f.variants)


_LOADED = False


def _builtin() -> None:
    """Register the built-in families once (lazily, to keep imports acyclic)."""
    global _LOADED
    if _LOADED:
        return
    _LOADED = True
    importlib.import_module("trichometry.models.framenet").FAMILY  # noqa: B018
    importlib.import_module("trichometry.models.net").FAMILY  # noqa: B018
