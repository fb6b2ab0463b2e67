"""The one predictor of every candidate family: an image of any size and scale -> hairs.

The image is resampled to the model's canonical um per pixel and read in one pass, or in
overlapping tiles when large (each tile keeps the hairs whose centre lies in its own
core, so none is found twice). The family's ``decode`` (:mod:`trichometry.models.registry`)
turns each activated grid into hair candidates (centre, root, tip, score, width), which
are turned to the image's hair stream where the checkpoint says so, and mapped back to
the input's pixels. The :class:`~.prediction.Prediction` carries them in
``hairs``, scores calibrated so that the engine's 0.3 means the checkpoint's raw
threshold, plus maps drawn from them (shaft lines of the predicted width, a small peak at
each root, the diameter along each line) for the consumers of maps.

Test-time flips (``tta="flips"``) average the centre heatmap over the image and its three
mirrorings (the regression channels come from the plain pass).
"""

from __future__ import annotations

import itertools
import logging
import math
import os
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from trichometry.errors import CheckpointError, ConfigError
from trichometry.inference.loading import torch_device
from trichometry.inference.prediction import DetectorHints, Prediction
from trichometry.inference.predictor import _check_image, logit, resolve_scale
from trichometry.inference.resample import resample_image
from trichometry.inference.root_end import orient_by_cue
from trichometry.inference.segments import SegmentHairs, orient_with_stream
from trichometry.models.checkpoint import checkpoint_arch, load_checkpoint, model_from_checkpoint, source_info
from trichometry.models.registry import family

logger = logging.getLogger(__name__)

ENGINE_THRESHOLD = 0.3  # the measurement engine counts calibrated scores >= this
CANDIDATE_RATIO = 0.5  # decode down to this share of it (sub-threshold candidates)
# which end is the root: the network's root channel; that, then the image's hair stream;
# the photo's own cue (faded, bluer end: inference.root_end), then the stream
ORIENTATIONS = ("network", "stream", "cue")
TTA = ("none", "flips")


class CandidatePredictor:
    """A trained network of a candidate family ready to find hairs.

    Args:
        checkpoint: path of a checkpoint of a candidate family.
        device: ``"auto"``, ``"cpu"`` or ``"cuda"``.
        tile_px: tile side in canonical px for large images (rounded to 32).
        overlap_px: overlap of neighbouring tiles (longer than half the longest segment).
        tta: ``"none"`` or ``"flips"``; ``None`` follows the checkpoint.
    """

    def __init__(
        self,
        checkpoint: str | os.PathLike[str],
        device: str = "auto",
        tile_px: int = 1024,
        overlap_px: int = 192,
        tta: str | None = None,
    ) -> None:
        self.device = torch_device(device)
        ckpt = load_checkpoint(checkpoint, map_location=self.device)
        self.family = family(checkpoint_arch(ckpt))
        if not self.family.candidates:
            raise CheckpointError(
                f"{checkpoint} holds a dense-map network ({self.family.arch}); load it with "
                "trichometry.inference.load_predictor."
            )
        self.model, self.checkpoint = model_from_checkpoint(ckpt, map_location=self.device)
        self.path = Path(checkpoint)
        self.canonical_um_per_px = float(ckpt["preprocessing"]["canonical_um_per_px"])
        self.tile_px = max(64, math.ceil(tile_px / 32) * 32)
        self.overlap_px = int(min(max(overlap_px, 0), self.tile_px // 3))
        post = ckpt.get("postprocessing", {}) or {}
        self.threshold_raw = float(post.get("centre_threshold_raw", ENGINE_THRESHOLD))
        self.orient = str(post.get("orient", "stream"))
        self.peak_window = int(post.get("peak_window", 3))
        self.tta = tta if tta is not None else str(post.get("tta", "none"))
        if self.tta not in TTA or self.orient not in ORIENTATIONS or self.peak_window < 3:
            raise ConfigError(
                f"unknown test-time augmentation {self.tta!r}, orientation {self.orient!r} or peak "
                f"window {self.peak_window}; use one of {TTA}, one of {ORIENTATIONS} and a window "
                "of 3 cells or more."
            )
        self.shift = logit(ENGINE_THRESHOLD) - logit(min(max(self.threshold_raw, 1e-4), 1 - 1e-4))
        self.source = source_info(ckpt, self.path)
        self.source.update(
            peak_window=self.peak_window,
            tta=self.tta,
            orient=self.orient,
            diameter_map="coarse",
            centre_threshold_raw=self.threshold_raw,
        )

    def predict(
        self, image_rgb: np.ndarray, um_per_px: float | None = None, *, calibrated: bool = True
    ) -> Prediction:
        """Hairs (and maps drawn from them) for one image.

        Args:
            image_rgb: ``(H, W, 3)`` uint8 RGB (grey and RGBA accepted).
            um_per_px: the image's scale; ``None`` assumes the model's own.
            calibrated: scores shifted so that 0.3 means the calibrated threshold;
                ``False`` keeps the raw centre values.

        Raises:
            ImageRejected, CalibrationError: as :class:`~.predictor.Predictor`.
        """
        image = _check_image(image_rgb)
        um, assumed = resolve_scale(image, um_per_px, self.canonical_um_per_px)
        factor = um / self.canonical_um_per_px
        canon = resample_image(image, factor)
        shift = self.shift if calibrated else 0.0
        floor = _sigmoid(logit(CANDIDATE_RATIO * ENGINE_THRESHOLD) - shift)
        hairs = self._hairs(canon, floor)
        if self.orient == "stream":
            hairs = orient_with_stream(hairs)
        hairs.scores = _sigmoid(logit_array(hairs.scores) + shift)
        hairs = hairs.scaled(1.0 / factor)
        if self.orient == "cue":
            hairs = orient_by_cue(image, hairs)
        h, w = image.shape[:2]
        shaft, exit_, diam = draw_maps(hairs, h, w)
        source = {**self.source, "um_per_px": um, "um_per_px_assumed": assumed}
        return Prediction(shaft_prob=shaft, exit_prob=exit_, diameter_px=diam, source=source, hairs=hairs,
                          hints=DetectorHints(coarse_diameter_map=True))  # fmt: skip

    def _hairs(self, canon: np.ndarray, floor: float) -> SegmentHairs:
        h, w = canon.shape[:2]
        t, ov = self.tile_px, self.overlap_px
        decode = self.family.decode
        if h <= t and w <= t:
            return decode(self._maps(canon), floor, window=self.peak_window)
        step = t - ov
        found: list[SegmentHairs] = []
        for y0, ylo, yhi in _cores(h, t, step):
            for x0, xlo, xhi in _cores(w, t, step):
                part = decode(self._maps(canon[y0 : y0 + t, x0 : x0 + t]), floor, window=self.peak_window)
                off = np.array([x0, y0], float)
                part = SegmentHairs(
                    part.roots + off, part.tips + off, part.centres + off, part.scores, part.diameters_px
                )
                c = part.centres
                own = (c[:, 0] >= xlo) & (c[:, 0] < xhi) & (c[:, 1] >= ylo) & (c[:, 1] < yhi)
                found.append(part.select(own))
        merged = SegmentHairs(*(np.concatenate([getattr(f, k) for f in found]) for k in _FIELDS))
        return merged.select(np.argsort(-merged.scores, kind="stable"))

    @torch.inference_mode()
    def _maps(self, image: np.ndarray) -> np.ndarray:
        """``(C, Hc, Wc)`` activated grid of one tile (padded to a multiple of 32 first)."""
        h, w = image.shape[:2]
        x = (
            torch.from_numpy(np.array(image, order="C", copy=None if image.flags.writeable else True))
            .to(self.device)
            .permute(2, 0, 1)[None]
            .float()
            / 255.0
        )
        ph, pw = (-h) % 32, (-w) % 32
        if ph or pw:
            x = F.pad(x, (0, pw, 0, ph), mode="replicate")
        out = self.model.activate(self.model(x))
        if self.tta == "flips":
            heat = out[:, 0:1].clone()
            for dims in ((3,), (2,), (2, 3)):
                heat += torch.flip(self.model.activate(self.model(torch.flip(x, dims)))[:, 0:1], dims)
            out[:, 0:1] = heat / 4
        hc, wc = -(-h // self.model.stride), -(-w // self.model.stride)
        return out[0, :, :hc, :wc].float().cpu().numpy()


_FIELDS = ("roots", "tips", "centres", "scores", "diameters_px")


def _cores(size: int, tile: int, step: int) -> list[tuple[int, float, float]]:
    """Tile starts along one axis and the core ``[lo, hi)`` each owns: neighbours split
    their overlap half-way, so every centre belongs to exactly one tile."""
    if size <= tile:
        return [(0, -math.inf, math.inf)]
    starts = [*range(0, size - tile, step), size - tile]
    cuts = [(a + tile + b) / 2 for a, b in itertools.pairwise(starts)]
    return list(zip(starts, [-math.inf, *cuts], [*cuts, math.inf]))


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-np.asarray(z, float)))


def logit_array(p: np.ndarray) -> np.ndarray:
    q = np.clip(np.asarray(p, float), 1e-7, 1 - 1e-7)
    return np.log(q) - np.log1p(-q)


def draw_maps(hairs: SegmentHairs, h: int, w: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Maps drawn from segments: shaft lines of the predicted width (probability = score
    clipped to [0, 1] at the counting threshold: 1 for a counted hair), a 2 px peak of the
    score at each root, and the diameter along each line."""
    shaft = np.zeros((h, w), np.float32)
    exit_ = np.zeros((h, w), np.float32)
    diam = np.zeros((h, w), np.float32)
    order = np.argsort(hairs.scores)  # strongest drawn last
    for i in order:
        r = tuple(round(float(v)) for v in hairs.roots[i])
        t = tuple(round(float(v)) for v in hairs.tips[i])
        d = float(hairs.diameters_px[i])
        width = max(1, round(d))
        value = float(min(1.0, hairs.scores[i] / ENGINE_THRESHOLD))
        cv2.line(shaft, r, t, value, width)
        cv2.line(diam, r, t, d, width)
        cv2.circle(exit_, r, 2, float(hairs.scores[i]), -1)
    return shaft, exit_, diam
