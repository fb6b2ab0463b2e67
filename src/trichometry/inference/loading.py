"""Open any checkpoint as the right predictor: the family is read from the file.

* a candidate family (:class:`~trichometry.models.framenet.FrameNet`, detector v3, and
  any family registered with a ``decode``): :class:`~.candidates.CandidatePredictor`;
* the dense-map family (``HairNet``): :class:`~.predictor.Predictor`.

Both answer ``predict(image_rgb, um_per_px) -> Prediction``, so the rest of the pipeline
does not care which one it is given.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

from trichometry.models.checkpoint import checkpoint_arch, load_checkpoint
from trichometry.models.registry import family


def predictor_class(checkpoint: str | os.PathLike[str]) -> type:
    """The predictor class that reads ``checkpoint``.

    Raises:
        CheckpointError: the file is missing or not a trichometry checkpoint.
        ConfigError: its family is not registered.
    """
    if family(checkpoint_arch(load_checkpoint(checkpoint, map_location="cpu"))).candidates:
        from trichometry.inference.candidates import CandidatePredictor

        return CandidatePredictor
    from trichometry.inference.predictor import Predictor

    return Predictor


def load_predictor(checkpoint: str | os.PathLike[str], device: str = "auto", **kwargs: Any) -> Any:
    """A predictor for ``checkpoint`` (extra keyword arguments go to its class: ``tta``,
    ``tile_px``, ...)."""
    return predictor_class(checkpoint)(checkpoint, device=device, **kwargs)


@lru_cache(maxsize=4)
def cached_predictor(path: str, device: str = "auto") -> Any:
    """:func:`load_predictor`, once per process, path and device."""
    return load_predictor(path, device=device)
