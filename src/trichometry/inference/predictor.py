"""Run a trained hair network on an image of any size and scale.

The image is resampled to the model's canonical um per pixel, cut into overlapping tiles
(batched through the network on CPU or GPU), blended back with tapered weights (no seams),
and the maps are resampled to the input resolution: :class:`Prediction` is always aligned
with the input image, and ``diameter_px`` is in input pixels.

Test-time flips (``tta="flips"``): the network also sees the image mirrored left-right,
top-bottom and both, and the four sets of maps, mirrored back, are averaged. A small
network's peaks then no longer depend on which way a hair happens to point (on held-out
tuning photos exit F1 rose 0.59 -> 0.61 real, 0.83 -> 0.85 generated) at four times the
inference time. A checkpoint says whether it was calibrated with them
(``postprocessing["tta"]``); the Predictor follows it unless told otherwise.

The calibrated exit threshold may depend on the image's scale: an image coarser than the
canonical scale is enlarged before the network sees it, its peaks come out lower, and a
dense follicular unit's hairs then fall under a threshold that suits finer images. The
raw threshold is ``exit_threshold_raw`` at or finer than the canonical scale and moves by
``exit_threshold_raw_per_octave`` for every doubling of um per pixel beyond it
(:func:`scale_threshold`); the exit map is shifted per image so that ``exit_prob >= 0.3``
means ``raw >= `` that threshold.
"""

from __future__ import annotations

import logging
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch

from trichometry.errors import CalibrationError, ConfigError, ImageRejected
from trichometry.inference.loading import (  # noqa: F401  (the default model's names, re-exported)
    DEFAULT_MODEL_NAME,
    ENV_MODEL,
    default_model_path,
    load_default_predictor,
    torch_device,
)
from trichometry.inference.prediction import DetectorHints, Prediction
from trichometry.inference.resample import resample_image, resize_map
from trichometry.models.checkpoint import model_from_checkpoint, source_info

logger = logging.getLogger(__name__)

MAX_CANONICAL_PIXELS = 80_000_000  # refuse images that would need more after resampling
# test-time augmentation: mirrorings of the (H, W) axes whose maps are averaged
TTA_FLIPS: dict[str, tuple[tuple[int, ...], ...]] = {"none": ((),), "flips": ((), (1,), (0,), (0, 1))}
THRESHOLD_LIMITS = (0.02, 0.98)  # a scale-dependent raw threshold stays inside these
THRESHOLD_STEP = 0.02  # ... on this grid (the calibration's), so few distinct thresholds are traced


def scale_threshold(threshold: float, per_octave: float, um_per_px: float, canonical_um: float) -> float:
    """The raw exit threshold for an image at ``um_per_px``: ``threshold`` at or finer than
    the canonical scale, plus ``per_octave`` for each doubling of um per pixel beyond it
    (rounded to :data:`THRESHOLD_STEP`)."""
    octaves = max(0.0, math.log2(um_per_px / canonical_um))
    if per_octave == 0.0 or octaves == 0.0:
        return float(threshold)
    t = round((threshold + per_octave * octaves) / THRESHOLD_STEP) * THRESHOLD_STEP
    return float(min(max(round(t, 6), THRESHOLD_LIMITS[0]), THRESHOLD_LIMITS[1]))


def logit(p: float) -> float:
    """``log(p / (1 - p))``."""
    return math.log(p / (1.0 - p))


def _tile_starts(size: int, tile: int, step: int) -> list[int]:
    if size <= tile:
        return [0]
    starts = list(range(0, size - tile, step))
    starts.append(size - tile)
    return starts


def _taper(tile: int, overlap: int) -> np.ndarray:
    """``(tile, tile)`` blending weight: 1 inside, ramping down over ``overlap`` px at each edge."""
    if overlap <= 0:
        return np.ones((tile, tile), np.float32)
    r = np.minimum(np.arange(tile) + 0.5, tile - np.arange(tile) - 0.5) / overlap
    r = np.clip(r, 1e-3, 1.0).astype(np.float32)
    return np.outer(r, r)


def _check_image(image: Any) -> np.ndarray:
    if not isinstance(image, np.ndarray):
        raise ImageRejected(f"image must be a numpy array (H, W, 3) uint8 RGB, got {type(image).__name__}.")
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=2)
    if image.ndim != 3 or image.shape[2] not in (3, 4):
        raise ImageRejected(
            f"image must have shape (H, W, 3) RGB, got {image.shape}; convert it to RGB first."
        )
    if image.shape[2] == 4:
        image = image[..., :3]
    if image.shape[0] < 1 or image.shape[1] < 1:
        raise ImageRejected(f"image is empty (shape {image.shape}).")
    if image.dtype != np.uint8:
        raise ImageRejected(f"image must be uint8 (0-255), got {image.dtype}; scale and convert it first.")
    return np.ascontiguousarray(image)


def resolve_scale(image: np.ndarray, um_per_px: float | None, canonical_um: float) -> tuple[float, bool]:
    """``(um_per_px, assumed)`` for an image a network at ``canonical_um`` is to read.

    ``None`` assumes the network's own scale (``assumed`` True, logged as a warning).

    Raises:
        CalibrationError: not a plausible positive number (0.05-100 um per pixel).
        ImageRejected: the image would need more than :data:`MAX_CANONICAL_PIXELS` at the
            canonical scale.
    """
    assumed = um_per_px is None
    if assumed:
        um_per_px = canonical_um
        logger.warning("no um_per_px given: assuming the model's scale %.2f um/px", um_per_px)
    try:
        um = float(um_per_px)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise CalibrationError(f"um_per_px must be a number, got {um_per_px!r}.") from exc
    if not (math.isfinite(um) and 0.05 <= um <= 100.0):
        raise CalibrationError(
            f"um_per_px={um_per_px!r} is not a plausible scale (0.05-100 um per pixel); "
            "check the device calibration."
        )
    h, w = image.shape[:2]
    factor = um / canonical_um
    if h * w * factor * factor > MAX_CANONICAL_PIXELS:
        raise ImageRejected(
            f"a {w}x{h} image at {um} um/px needs {h * w * factor**2 / 1e6:.0f} Mpx at the model scale "
            f"(limit {MAX_CANONICAL_PIXELS / 1e6:.0f}); crop it or check um_per_px."
        )
    return um, assumed


class Predictor:
    """A trained network ready to turn RGB images into :class:`Prediction` maps.

    Args:
        checkpoint: path of a checkpoint written by training.
        device: ``"auto"`` (CUDA when available), ``"cpu"`` or ``"cuda"``.
        tile_px: tile side in canonical px (rounded up to the network stride).
        overlap_px: overlap between neighbouring tiles; blended with a linear taper.
        batch_size: tiles per forward pass.
        tta: ``"none"`` or ``"flips"`` (see the module); ``None`` follows the checkpoint's
            calibration (``postprocessing["tta"]``, ``"none"`` when absent).

    Example::

        pred = Predictor(default_model_path()).predict(image, um_per_px=2.8)
        pred.exit_prob.shape == image.shape[:2]
    """

    def __init__(
        self,
        checkpoint: str | os.PathLike[str],
        device: str = "auto",
        tile_px: int = 512,
        overlap_px: int = 32,
        batch_size: int = 4,
        tta: str | None = None,
    ) -> None:
        self.device = torch_device(device)
        self.model, self.checkpoint = model_from_checkpoint(checkpoint, map_location=self.device)
        self.path = Path(checkpoint)
        self.canonical_um_per_px = float(self.checkpoint["preprocessing"]["canonical_um_per_px"])
        stride = self.model.stride
        self.tile_px = max(stride, math.ceil(tile_px / stride) * stride)
        self.overlap_px = int(min(max(overlap_px, 0), self.tile_px // 4))
        self.batch_size = max(1, int(batch_size))
        post = self.checkpoint.get("postprocessing", {}) or {}
        self.exit_logit_shift = float(post.get("exit_logit_shift", 0.0))
        # a threshold that moves with the image's scale (see the module docstring)
        self.exit_per_octave = float(post.get("exit_threshold_raw_per_octave", 0.0) or 0.0)
        self.exit_threshold_raw = post.get("exit_threshold_raw")
        self.exit_threshold = float(post.get("exit_threshold", 0.3))
        # calibrated least distance between two exit peaks (um); None: the engine's default
        sep = post.get("exit_min_distance_um")
        self.exit_min_distance_um = float(sep) if sep is not None else None
        self.tta = tta if tta is not None else str(post.get("tta", "none"))
        if self.tta not in TTA_FLIPS:
            raise ConfigError(
                f"unknown test-time augmentation {self.tta!r} (argument or checkpoint "
                f"postprocessing); use one of {sorted(TTA_FLIPS)}."
            )
        self.source = source_info(self.checkpoint, self.path)
        self.source["tta"] = self.tta
        if self.exit_logit_shift:
            self.source["exit_logit_shift"] = round(self.exit_logit_shift, 6)
        if self.exit_per_octave:
            self.source["exit_threshold_raw_per_octave"] = self.exit_per_octave
        # how far the diameter head can be trusted (mean relative error per unit of shaft
        # length on the calibration scenes, see training.calibrate.diameter_map_error)
        if post.get("diameter_map_rel_error") is not None:
            self.source["diameter_map_rel_error"] = float(post["diameter_map_rel_error"])

    def logit_shift(self, um_per_px: float) -> float:
        """The exit-logit shift for an image at ``um_per_px``: the checkpoint's, or, with a
        scale-dependent threshold, the one that maps this scale's raw threshold onto 0.3."""
        if not self.exit_per_octave or self.exit_threshold_raw is None:
            return self.exit_logit_shift
        t = scale_threshold(
            float(self.exit_threshold_raw), self.exit_per_octave, um_per_px, self.canonical_um_per_px
        )
        return logit(self.exit_threshold) - logit(t)

    def predict(
        self, image_rgb: np.ndarray, um_per_px: float | None = None, *, calibrated: bool = True
    ) -> Prediction:
        """Dense maps for one image.

        Args:
            image_rgb: ``(H, W, 3)`` uint8 RGB (grey ``(H, W)`` and RGBA are accepted).
            um_per_px: the image's scale. ``None``: assume it is already at the model's
                canonical scale (recorded in ``source["um_per_px_assumed"]``).
            calibrated: apply the checkpoint's exit-logit shift (see
                :mod:`trichometry.training.calibrate`); ``False`` gives the raw heatmap.

        Returns:
            :class:`Prediction` with ``(H, W)`` maps; ``diameter_px`` in input pixels.

        Raises:
            ImageRejected: not an RGB uint8 image, or too large after resampling.
            CalibrationError: ``um_per_px`` is not a positive finite number.
        """
        image = _check_image(image_rgb)
        um, assumed = resolve_scale(image, um_per_px, self.canonical_um_per_px)
        h, w = image.shape[:2]
        factor = um / self.canonical_um_per_px
        canon = resample_image(image, factor)
        maps = self._predict_flipped(canon)  # (3, h', w')
        shaft = resize_map(maps[0], w, h)
        exit_ = resize_map(maps[1], w, h, keep_peaks=True)
        shift = self.logit_shift(um)
        if calibrated and shift:  # monotone: peak positions do not move
            z = np.log(np.clip(exit_, 1e-7, 1 - 1e-7)) - np.log1p(-np.clip(exit_, 1e-7, 1 - 1e-7))
            exit_ = 1.0 / (1.0 + np.exp(-(z + shift)))
        diameter = resize_map(maps[2], w, h) * (self.canonical_um_per_px / um)
        source = {**self.source, "um_per_px": um, "um_per_px_assumed": assumed, "tile_px": self.tile_px}
        if not calibrated:
            source.pop("exit_logit_shift", None)
            source.pop("exit_threshold_raw_per_octave", None)
        else:
            if shift:
                source["exit_logit_shift"] = round(shift, 6)  # the one this image got
            if self.exit_min_distance_um is not None:  # in this image's pixels, for the peak finder
                source["exit_min_distance_px"] = round(max(1.0, self.exit_min_distance_um / um), 4)
        err = source.get("diameter_map_rel_error")
        return Prediction(
            shaft_prob=np.clip(shaft, 0, 1).astype(np.float32),
            exit_prob=np.clip(exit_, 0, 1).astype(np.float32),
            diameter_px=np.maximum(diameter, 0).astype(np.float32),
            source=source,
            hints=DetectorHints(
                exit_min_distance_px=source.get("exit_min_distance_px"),
                diameter_map_rel_error=None if err is None else float(err),
            ),
        )

    def _predict_flipped(self, image: np.ndarray) -> np.ndarray:
        """:meth:`_predict_canonical` averaged over the mirrorings of ``self.tta``."""
        flips = TTA_FLIPS[self.tta]
        acc = None
        for axes in flips:
            maps = self._predict_canonical(np.ascontiguousarray(np.flip(image, axes)) if axes else image)
            if axes:
                maps = np.flip(maps, tuple(a + 1 for a in axes))
            acc = maps if acc is None else acc + maps
        assert acc is not None
        return acc / len(flips)

    @torch.inference_mode()
    def _predict_canonical(self, image: np.ndarray) -> np.ndarray:
        """``(H, W, 3)`` uint8 at the canonical scale -> ``(3, H, W)`` float32 activated maps."""
        h, w = image.shape[:2]
        t = self.tile_px
        ph, pw = max(t - h, 0), max(t - w, 0)
        if ph or pw:  # small images: pad to one tile (reflect keeps the statistics)
            mode = "reflect" if h > 1 and w > 1 and ph < h and pw < w else "edge"
            image = np.pad(image, ((0, ph), (0, pw), (0, 0)), mode=mode)
        hp, wp = image.shape[:2]
        step = t - 2 * self.overlap_px if t > 2 * self.overlap_px else t
        coords = [(y, x) for y in _tile_starts(hp, t, step) for x in _tile_starts(wp, t, step)]
        weight = _taper(t, self.overlap_px)
        acc = np.zeros((3, hp, wp), np.float32)
        norm = np.zeros((hp, wp), np.float32)
        x_all = torch.from_numpy(image).to(self.device).permute(2, 0, 1).float().div_(255.0)
        for i in range(0, len(coords), self.batch_size):
            chunk = coords[i : i + self.batch_size]
            batch = torch.stack([x_all[:, y : y + t, x : x + t] for y, x in chunk])
            out = self.model.activate(self.model(batch)).float().cpu().numpy()
            for (y, x), o in zip(chunk, out):
                acc[:, y : y + t, x : x + t] += o * weight
                norm[y : y + t, x : x + t] += weight
        return (acc / norm)[:, :h, :w]
