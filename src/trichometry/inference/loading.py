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
from importlib import resources
from pathlib import Path
from typing import Any

from trichometry.errors import CheckpointError
from trichometry.models.checkpoint import checkpoint_arch, load_checkpoint
from trichometry.models.registry import family

ENV_MODEL = "TRICHOMETRY_MODEL"
DEFAULT_MODEL_NAME = "framenet_s.pt"  # package data: trichometry/resources/models/


def torch_device(device: str) -> Any:
    """``"auto"`` (CUDA when visible, else CPU), ``"cpu"`` or ``"cuda"`` as a torch device.

    Raises:
        CheckpointError: ``"cuda"`` was asked for and no CUDA GPU is visible.
    """
    import torch

    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise CheckpointError("device='cuda' was asked for but no CUDA GPU is visible; use device='cpu'.")
    return torch.device(device)


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


def default_model_path() -> Path:
    """The checkpoint :func:`load_default_predictor` uses: ``$TRICHOMETRY_MODEL`` or the shipped one.

    The shipped checkpoint is package data (``trichometry/resources/models/``), found
    through :mod:`importlib.resources`, so an installed wheel finds it as a checkout does.
    """
    env = os.environ.get(ENV_MODEL)
    if env:
        return Path(env).expanduser()
    return Path(str(resources.files("trichometry.resources").joinpath("models", DEFAULT_MODEL_NAME)))


def load_default_predictor(device: str = "auto") -> Any:
    """The shipped default model (or ``$TRICHOMETRY_MODEL``), loaded once per process.

    Raises:
        CheckpointError: the checkpoint is missing or unreadable.
    """
    path = default_model_path()
    if not path.is_file():
        raise CheckpointError(
            f"default model {path} not found; set {ENV_MODEL}=/path/to/checkpoint.pt "
            "or train one with `python train.py experiment=frames_cpu` (models/README.md)."
        )
    return cached_predictor(str(path.resolve()), device)
