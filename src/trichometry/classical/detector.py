"""The no-learning baseline: ridge filtering, hysteresis, skeleton paths, exit-end rules.

Pipeline (at a working scale where the thinnest expected shaft is about 3 px wide):

1. value darkness ``255 - max(R, G, B)`` (shafts are dark in every channel; bluish
   halos and shadows are not dark in blue), less ``blue_penalty`` times the blueness
   above the skin's (damped on very dark pixels, as real shafts can be blue-black): the
   subsurface shaft and the halo behind an opening read blue-grey and otherwise extend
   the shaft past its exit (generated tuning seeds 0-7: exit F1 0.19 -> 0.28, thickness
   MAE 32 -> 23 um; off by default because it costs on real FDU train images, see
   ``ClassicalConfig.blue_penalty``); background flattening by a white top-hat
   with a disc wider than the widest shaft (removes illumination gradients, skin tone);
2. shaft mask: hysteresis on the flattened darkness (robust noise units, ``low_k`` /
   ``high_k``), united with hysteresis on a multi-scale Hessian ridge response tuned to
   the expected widths (``ridge_k``; brings in thin, faint shafts); small or compact
   components are dropped;
3. skeleton, split at junctions and rejoined across crossings (straight continuation);
   paths shorter than ``min_length_um`` are dropped;
4. per path: width from the distance transform; paths much wider than the image's
   typical shaft are counted as that many side-by-side hairs (shared openings); the
   shaft map is each kept path drawn as a tube of its width (so blobs, halos and
   flakes that gave no hair path do not reach measurement);
5. the exit end: an end at the frame edge or at a burned-in overlay is out of view and
   never the exit; a path with both ends out of view has its exit outside (not
   counted); otherwise the end with the stronger perifollicular halo (bluish opening
   just past the end, a ``halo_probe_um`` disc with shaft pixels left out) wins: on
   generated paths it picks the right end 74-83 % of the
   time, while the fade-into-skin and end-width cues were at chance (weights 0, kept
   as options). A path with no free end (both at junctions with other shafts) must show
   a clear halo at the chosen end, else it is a piece of a crossing hair.

Known weaknesses (see ``benchmarks/bench_analyze.py``): touching hairs of one unit merge
into one wide shaft (undercount, thick widths) unless the path is over
``multi_width_ratio`` times the typical width; the cut tip of a hair whose exit lies
outside the frame can be taken for an exit.

The result is a :class:`~trichometry.inference.prediction.Prediction`, so measurement is
the same code as for the model.
"""

from __future__ import annotations

import logging
import math
from dataclasses import asdict, dataclass, replace
from typing import Any

import cv2
import numpy as np
from skimage.filters import apply_hysteresis_threshold
from skimage.morphology import skeletonize

from trichometry.classical.ridge import flatten, ridge
from trichometry.classical.skeleton import Path, skeleton_paths
from trichometry.errors import CalibrationError, ConfigError, ImageRejected
from trichometry.inference.prediction import DetectorHints, Prediction
from trichometry.measure.trace import sample

logger = logging.getLogger(__name__)

VERSION = "1"


@dataclass(frozen=True)
class ClassicalConfig:
    """Parameters of the classical detector.

    Defaults tuned on generated seeds 0-23 (640x480) and the first 15 FDU *train* images;
    the benchmark reports held-out seeds (900000+) and FDU *val*.
    """

    min_width_um: float = 15.0  # thinnest shaft looked for
    max_width_um: float = 140.0  # widest shaft looked for
    uncalibrated_width_px: tuple[float, float] = (3.0, 40.0)  # used when um_per_px is None
    work_min_width_px: float = 3.0  # downscale so the thinnest shaft is about this wide
    low_k: float = 4.0  # top-hat hysteresis low threshold (robust noise units)
    high_k: float = 10.0  # top-hat hysteresis high threshold (robust noise units)
    ridge_k: float = 10.0  # ridge strength (robust noise units) that seeds a shaft (hysteresis high)
    min_length_um: float = 160.0  # shorter paths are not hairs (tuned: FDU train[:15], generated seeds 0-23)
    min_length_px: float = 8.0  # floor on the minimal length, working px
    tee_penalty: float = 0.0  # exit-end score lost by an end that stops on another hair (a T)
    # True: a piece between two T / junction ends counts only with min_halo_z (generated
    # MAPE 66 -> 46 % on tuning seeds, but FDU train F1 0.55 -> 0.51: real hairs lie across others)
    tee_gate: bool = False
    max_bend_deg: float = 30.0  # join branches across a junction within this bend
    multi_width_ratio: float = 2.2  # a path this much wider than typical holds several hairs
    exit_sigma_px: float = 1.5  # exit heatmap peak width (input px)
    halo_weight: float = 1.0  # weight of the perifollicular halo cue in the exit-end score
    fade_weight: float = 0.0  # weight of the fade-into-skin cue (no better than chance on generated images)
    width_weight: float = 0.0  # weight of the end-width cue (chance on generated images: clipped, no taper)
    # darkness lost per unit of blueness above the skin's (x lightness). 1.5 on generated
    # images (tuning seeds 0-11 at 1280x960: exit F1 0.18 -> 0.25, thickness MAE 38 -> 26 um)
    # but real FDU train[30:90] got worse (count MAE 3.25 -> 4.45, F1 0.53 -> 0.49: real
    # blue-black shafts break up), so the default is off
    blue_penalty: float = 0.0
    blue_damping: float = 1.0  # the penalty is scaled by lightness ** this (0: undamped)
    halo_probe_um: float | None = 100.0  # radius of the halo probe past an end (None: 0.75 widths)
    min_halo_z: float = 2.0  # a path with no free end counts only with a halo this strong
    # any path counts only with this halo at its exit (None: no such rule; 1.0 cut
    # overcounts in long-hair scenes but lost as many real hairs on generated seeds 0-17)
    exit_min_halo_z: float | None = None
    # a path running out of view counts only with this halo at its free end (None: always;
    # any threshold lost more real hairs than cut tips on generated and FDU train images)
    border_min_halo_z: float | None = None
    exit_shift: float = 0.0  # exit = skeleton end moved outwards by this many shaft radii


class ClassicalDetector:
    """No-learning hair detector producing the same dense maps as the model.

    Example::

        det = ClassicalDetector()
        pred = det.predict(image_rgb, um_per_px=2.8)   # Prediction, source["method"] == "classical"
    """

    def __init__(self, config: ClassicalConfig | None = None, **overrides: object) -> None:
        cfg = config or ClassicalConfig()
        try:
            self.config = replace(cfg, **overrides) if overrides else cfg
        except TypeError as exc:
            names = sorted(asdict(cfg))
            raise ConfigError(f"unknown classical detector option: {exc}; valid options: {names}.") from exc

    def _widths_px(self, um_per_px: float | None) -> tuple[float, float]:
        c = self.config
        if um_per_px is None:
            return c.uncalibrated_width_px
        if not (math.isfinite(um_per_px) and um_per_px > 0):
            raise CalibrationError(f"um_per_px must be a positive number or None, got {um_per_px}.")
        return c.min_width_um / um_per_px, c.max_width_um / um_per_px

    def predict(
        self, image_rgb: np.ndarray, um_per_px: float | None, valid_mask: np.ndarray | None = None
    ) -> Prediction:
        """Dense shaft / exit / diameter maps for one ``(H, W, 3)`` uint8 RGB image.

        Args:
            image_rgb: the image.
            um_per_px: scale (sets the expected shaft widths); ``None`` assumes
                ``uncalibrated_width_px``.
            valid_mask: ``(H, W)`` bool, ``False`` on burned-in overlays; when ``None`` the
                overlays are found with :func:`trichometry.quality.overlays.detect_overlays`.
                A shaft end at an overlay is treated like one at the frame edge (not an exit).

        Returns:
            :class:`Prediction` with ``source["method"] == "classical"``.
        """
        img = np.asarray(image_rgb)
        if img.ndim != 3 or img.shape[2] != 3 or img.dtype != np.uint8 or min(img.shape[:2]) < 16:
            raise ImageRejected(
                f"classical detector needs an (H, W, 3) uint8 RGB image of at least 16 px, got "
                f"shape {img.shape} dtype {img.dtype}; convert the image first."
            )
        c = self.config
        wmin, wmax = self._widths_px(um_per_px)
        f = min(1.0, c.work_min_width_px / max(wmin, 1e-6))
        h, w = img.shape[:2]
        # value darkness (255 - max channel): shafts are dark in every channel, while the
        # bluish perifollicular halos and shadows are not dark in blue
        dark = 255.0 - img.max(axis=2).astype(np.float32)
        rgb = img.astype(np.float32)
        blue = rgb[..., 2] - 0.5 * (rgb[..., 0] + rgb[..., 1])
        if c.blue_penalty:
            # subsurface shaft and halos read blue-grey through the skin: darker than skin but
            # bluer; pigmented shafts are not bluer than skin, so bluish darkness is damped
            # (less on very dark pixels: real shafts can be blue-black)
            excess = np.maximum(blue - float(np.median(blue)), 0.0) * (1.0 - dark / 255.0) ** c.blue_damping
            dark = np.maximum(dark - c.blue_penalty * excess, 0.0)
        if f < 1:
            small = cv2.resize(dark, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
            blue = cv2.resize(blue, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
        else:
            small = dark
        if valid_mask is None:
            from trichometry.quality.overlays import detect_overlays

            valid_mask = ~detect_overlays(img)[0]
        valid = np.asarray(valid_mask, dtype=bool)
        if valid.shape != (h, w):
            raise ConfigError(f"valid_mask shape {valid.shape} differs from the image {(h, w)}.")
        valid_s = cv2.resize(
            valid.astype(np.uint8), (small.shape[1], small.shape[0]), interpolation=cv2.INTER_NEAREST
        )
        seen = np.pad(valid_s, 1, constant_values=0)  # the frame edge is unseen too
        edge_dist = cv2.distanceTransform(seen, cv2.DIST_L2, 5)[1:-1, 1:-1]
        b_med = float(np.median(blue))
        blue_z = (blue - b_med) / max(1.4826 * float(np.median(np.abs(blue - b_med))), 1.0)
        f_y, f_x = small.shape[0] / h, small.shape[1] / w
        sw_min, sw_max = max(wmin * f, 1.5), max(wmax * f, 3.0)

        flat = flatten(small, sw_max)
        sigma = max(1.4826 * float(np.median(np.abs(flat - np.median(flat)))), 0.5)
        widths = list(np.geomspace(sw_min, sw_max, 5))
        rid, _ = ridge(flat, widths)
        rsig = max(1.4826 * float(np.median(np.abs(rid - np.median(rid)))), 1e-3)
        mask = apply_hysteresis_threshold(flat / sigma, c.low_k, c.high_k)
        mask |= apply_hysteresis_threshold(rid / rsig, 0.5 * c.ridge_k, c.ridge_k) & (
            flat / sigma > 0.5 * c.low_k
        )
        mask = self._clean(mask, sw_min, c, um_per_px, f)
        dt = cv2.distanceTransform(mask.astype(np.uint8), cv2.DIST_L2, 5)
        skel = skeletonize(mask)
        typical = float(np.median(2 * dt[skel] - 1)) if skel.any() else sw_min
        paths = skeleton_paths(skel, max(typical, 2.0), c.max_bend_deg, radius=dt, edge_dist=edge_dist)
        min_len = max(c.min_length_px, (c.min_length_um / um_per_px * f) if um_per_px else 4 * sw_min)
        paths = [p for p in paths if p.length >= min_len]
        path_w = [float(np.median(2 * sample(dt, p.points[:, 0], p.points[:, 1]) - 1)) for p in paths]
        ref_w = float(np.median(path_w)) if len(path_w) >= 5 else None

        probe_px = c.halo_probe_um / um_per_px * f if (um_per_px and c.halo_probe_um) else None
        exits: list[tuple[float, float]] = []
        shaft = np.zeros((h, w), dtype=np.uint8)
        diam_full = np.zeros((h, w), dtype=np.float32)
        for p, pw in zip(paths, path_w):
            ends = self._exit_end(p, flat, dt, blue_z, probe_px)
            if ends is None:
                continue
            xy, u = ends
            k = 1
            if ref_w and pw > c.multi_width_ratio * ref_w:
                k = min(4, round(pw / ref_w))
            nrm = np.array([-u[1], u[0]])
            for j in range(k):
                off = (j - (k - 1) / 2) * (pw / k)
                q = xy + off * nrm
                exits.append((float(q[0] / f_x), float(q[1] / f_y)))
            # the shaft as a clean tube of the path's width, from the exit along the path
            full = np.vstack(
                [
                    xy,
                    p.points
                    if np.hypot(*(p.points[0] - xy)) < np.hypot(*(p.points[-1] - xy))
                    else p.points[::-1],
                ]
            )
            full = full / np.array([f_x, f_y])
            width_full = max(pw / f, 1.0)
            tube = np.zeros((h, w), dtype=np.uint8)
            cv2.polylines(
                tube,
                [np.round(full * 16).astype(np.int32)],
                False,
                1,
                max(1, round(width_full)),
                cv2.LINE_8,
                4,
            )
            shaft |= tube
            diam_full = np.where(tube > 0, np.maximum(diam_full, width_full), diam_full)
        exit_prob = _gaussians((h, w), exits, max(c.exit_sigma_px, 0.15 * typical / f))
        logger.info(
            "classical: %d paths, %d exits (scale %.2f, noise %.1f)", len(paths), len(exits), f, sigma
        )
        return Prediction(
            shaft_prob=shaft.astype(np.float32),
            exit_prob=exit_prob,
            diameter_px=diam_full,
            source={
                "method": "classical",
                "name": "classical-ridge",
                "version": VERSION,
                "diameter_map": "coarse",  # mask widths: measurement prefers the image profile
                # one exit per skeleton path already: no far-end peaks for the engine to drop
                "exits": "one_per_shaft",
                "params": asdict(c),
            },
            hints=DetectorHints(coarse_diameter_map=True, one_exit_per_shaft=True),
        )

    def _clean(self, mask: np.ndarray, sw_min: float, c: ClassicalConfig, um_per_px, f: float) -> np.ndarray:
        """Drop components too small or too compact to hold a shaft."""
        mask = cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))
        n, lab, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
        min_len = max(c.min_length_px, (c.min_length_um / um_per_px * f) if um_per_px else 4 * sw_min)
        keep = np.zeros(n, dtype=bool)
        for i in range(1, n):
            bw, bh, area = (
                stats[i, cv2.CC_STAT_WIDTH],
                stats[i, cv2.CC_STAT_HEIGHT],
                stats[i, cv2.CC_STAT_AREA],
            )
            extent = math.hypot(bw, bh)
            keep[i] = extent >= min_len and area >= 0.5 * min_len * sw_min
        return keep[lab]

    def _exit_end(
        self, p: Path, flat: np.ndarray, dt: np.ndarray, blue_z: np.ndarray, probe_px: float | None
    ):
        """``(exit_xy, unit direction exit -> tip)`` in working px, or ``None`` (exit outside)."""
        kinds = p.end_kinds
        if all(k == "border" for k in kinds):
            return None  # crosses the frame: its exit lies outside
        cues = [end_cues(p, end, flat, dt, blue_z, probe_px) for end in (0, 1)]
        c = self.config
        scores = [
            -np.inf
            if kinds[e] == "border"
            else c.halo_weight * float(np.clip(q["halo"], -3, 6))
            + c.fade_weight * q["fade"]
            + c.width_weight * q["width"]
            - (1.0 if kinds[e] == "junction" else c.tee_penalty if kinds[e] == "tee" else 0.0)
            for e, q in enumerate(cues)
        ]
        best = int(np.argmax(scores))
        if c.exit_min_halo_z is not None and cues[best]["halo"] < c.exit_min_halo_z:
            return None  # no opening at either end: a piece of a longer hair
        # ends that need no halo: free ends, and T-ends unless tee_gate (then only a T-end
        # of a path running out of view, the usual shape of a clipped hair of a unit)
        open_ends = {"free"} if c.tee_gate else {"free", "tee"}
        if (
            not open_ends & set(kinds)
            and set(kinds) != {"tee", "border"}
            and cues[best]["halo"] < c.min_halo_z
        ):
            return None  # a piece between crossings with no opening at its end
        if c.border_min_halo_z is not None and "border" in kinds and cues[best]["halo"] < c.border_min_halo_z:
            return None  # runs out of view; its free end shows no opening: likely the cut tip
        q = cues[best]
        return q["end"] + q["out"] * q["radius"] * c.exit_shift, -q["out"]


def end_cues(
    p: Path, end: int, flat: np.ndarray, dt: np.ndarray, blue_z: np.ndarray, probe_px: float | None = None
) -> dict[str, Any]:
    """What one end of a path looks like (working px).

    Returns a dict: ``end`` point, ``out`` unit vector pointing out of the shaft,
    ``radius`` (distance transform there), ``fade`` (length, in shaft widths, over which
    the shaft's contrast falls from 75 % to 25 % past the end: long where the shaft dives
    under the skin, short at a cut), ``width`` (mean width over the last 15 % relative to
    the path's median width) and ``halo`` (bluishness just beyond the end, robust z-score:
    mean over a disc of radius ``probe_px`` (default ``0.75`` shaft widths) just past the
    end, shaft pixels (``dt > 0``) left out so crossing or neighbouring shafts do not
    count).
    """
    pts = p.points
    seg = np.diff(pts, axis=0)
    s = np.concatenate([[0.0], np.cumsum(np.hypot(seg[:, 0], seg[:, 1]))])
    total = s[-1]
    wid = 2 * sample(dt, pts[:, 0], pts[:, 1]) - 1
    wmed = max(float(np.median(wid)), 1.0)
    o = pts[0] if end == 0 else pts[-1]
    q_s = min(total, 2 * wmed)
    inner = np.array([np.interp(q_s if end == 0 else total - q_s, s, pts[:, k]) for k in (0, 1)])
    u = o - inner
    nu = float(np.hypot(*u))
    u = u / nu if nu > 0 else np.array([1.0, 0.0])
    t = np.linspace(-2 * wmed, 2 * wmed, 41)
    prof = sample(flat, o[0] + u[0] * t, o[1] + u[1] * t)
    top = float(np.median(prof[t < -0.5 * wmed]))
    hi_i = np.flatnonzero(prof >= 0.75 * top)
    lo_i = np.flatnonzero(prof <= 0.25 * top)
    fade = 0.0
    if len(hi_i) and len(lo_i) and lo_i.max() > hi_i.max():
        fade = float(t[lo_i[lo_i > hi_i.max()][0]] - t[hi_i.max()]) / wmed
    n_end = max(2, int(len(wid) * 0.15))
    w_end = float(np.mean(wid[:n_end] if end == 0 else wid[-n_end:])) / wmed
    radius = float(dt[min(max(round(o[1]), 0), dt.shape[0] - 1), min(max(round(o[0]), 0), dt.shape[1] - 1)])
    r_h = max(probe_px if probe_px else 0.75 * wmed, 2.0)
    cx, cy = o + u * (radius + r_h)  # just past the visible end, off the shaft
    y0, y1 = max(int(cy - r_h), 0), min(int(cy + r_h) + 2, flat.shape[0])
    x0, x1 = max(int(cx - r_h), 0), min(int(cx + r_h) + 2, flat.shape[1])
    y1, x1 = max(y1, y0), max(x1, x0)  # a probe wholly outside the frame is empty
    ys, xs = np.ogrid[y0:y1, x0:x1]
    disc = ((xs - cx) ** 2 + (ys - cy) ** 2 <= r_h * r_h) & (dt[y0:y1, x0:x1] <= 0)
    halo = float(blue_z[y0:y1, x0:x1][disc].mean()) if disc.any() else 0.0
    return {"end": o, "out": u, "radius": radius, "fade": fade, "width": w_end, "halo": halo}


def _gaussians(shape: tuple[int, int], pts: list[tuple[float, float]], sigma: float) -> np.ndarray:
    """``(H, W)`` float32 map with a unit-height Gaussian at each point (max-combined)."""
    out = np.zeros(shape, dtype=np.float32)
    r = math.ceil(3 * sigma)
    h, w = shape
    for x, y in pts:
        x0, x1 = max(int(x) - r, 0), min(int(x) + r + 2, w)
        y0, y1 = max(int(y) - r, 0), min(int(y) + r + 2, h)
        if x0 >= x1 or y0 >= y1:
            continue
        yy, xx = np.mgrid[y0:y1, x0:x1]
        g = np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * sigma * sigma)).astype(np.float32)
        out[y0:y1, x0:x1] = np.maximum(out[y0:y1, x0:x1], g)
    return out
