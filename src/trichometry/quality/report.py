"""The per-image quality verdict: ok, warn or reject, with reasons a clinician can act on.

Thresholds (:class:`QualityThresholds`) were set on real 70x images (FDU, 2.8 um/px:
estimated edge blur median 15 um, 95th percentile 21 um, maximum 27 um) and on images
with known blur. On the 330 FDU validation images the verdicts are 317 ok, 13 warn,
0 reject; reproduce with
``pytest tests/quality/test_fdu_real.py -m "fdu and slow" -s -p no:cacheprovider``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from trichometry.quality.metrics import edge_blur_px, exposure_stats, glare_mask
from trichometry.quality.overlays import OverlayParams, detect_overlays

__all__ = ["VERDICTS", "QualityReport", "QualityThresholds", "assess_quality"]

VERDICTS = ("ok", "warn", "reject")

#: scale assumed for blur limits of uncalibrated images (a 70x image)
DEFAULT_UM_PER_PX = 2.8


@dataclass(frozen=True)
class QualityThresholds:
    """Limits of the quality verdict; ``warn`` limits are looser than ``reject`` ones.

    Attributes:
        blur_warn_um, blur_reject_um: estimated edge blur (Gaussian sigma) in um; a 20 um
            vellus hair is lost in a blur of ~20 um, terminal hair edges at ~45 um.
        highlights_warn, highlights_reject: fraction of clipped highlights (any channel >= 250).
        shadows_warn, shadows_reject: fraction of clipped shadows (luma <= 5).
        luma_low_warn, luma_low_reject, luma_high_warn, luma_high_reject: mean luma limits.
        glare_warn, glare_reject: fraction of the image covered by glare blobs.
        valid_warn, valid_reject: fraction of the image left for analysis after masking
            overlays and glare.
    """

    blur_warn_um: float = 25.0
    blur_reject_um: float = 45.0
    highlights_warn: float = 0.03
    highlights_reject: float = 0.30
    shadows_warn: float = 0.05
    shadows_reject: float = 0.40
    luma_low_warn: float = 50.0
    luma_low_reject: float = 20.0
    luma_high_warn: float = 220.0
    luma_high_reject: float = 245.0
    glare_warn: float = 0.02
    glare_reject: float = 0.25
    valid_warn: float = 0.75
    valid_reject: float = 0.40


@dataclass
class QualityReport:
    """Quality of one image.

    Attributes:
        verdict: ``"ok"``, ``"warn"`` or ``"reject"`` (the worst of all checks).
        reasons: one sentence per failed check: what is wrong and what to do.
        metrics: measured values (``edge_blur_px``, ``edge_blur_um``, ``mean_luma``, ...).
        valid_mask: ``(H, W)`` bool, False on overlays and glare (excluded from analysis).
        thresholds: the limits the verdict was judged by (provenance).
    """

    verdict: str
    reasons: list[str]
    metrics: dict[str, Any]
    valid_mask: np.ndarray = field(repr=False)
    thresholds: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (without the mask)."""
        clean = {
            k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in self.metrics.items()
        }
        return {
            "verdict": self.verdict,
            "reasons": list(self.reasons),
            "metrics": clean,
            "thresholds": self.thresholds,
        }


def _worse(a: str, b: str) -> str:
    return a if VERDICTS.index(a) >= VERDICTS.index(b) else b


def assess_quality(
    img: np.ndarray,
    um_per_px: float | None = None,
    thresholds: QualityThresholds | None = None,
    overlay_params: OverlayParams | None = None,
) -> QualityReport:
    """Check focus, exposure, glare and overlays; mask overlays and glare.

    Args:
        img: ``(H, W, 3)`` uint8 RGB.
        um_per_px: scale, used to express blur in um (``2.8`` assumed when None).
        thresholds: limits (defaults: :class:`QualityThresholds`).
        overlay_params: overlay detector settings.

    Returns:
        :class:`QualityReport`.
    """
    t = thresholds or QualityThresholds()
    overlay, parts = detect_overlays(img, overlay_params)
    glare = glare_mask(img, min_area_px=max(20, round(img.shape[0] * img.shape[1] * 2e-5)))
    valid = ~(overlay | glare)
    scale = um_per_px if um_per_px is not None else DEFAULT_UM_PER_PX
    blur_px = edge_blur_px(img, valid)
    expo = exposure_stats(img, ~overlay)
    metrics: dict[str, Any] = {
        "edge_blur_px": blur_px,
        "edge_blur_um": blur_px * scale if math.isfinite(blur_px) else float("nan"),
        "blur_scale_assumed": um_per_px is None,
        **expo,
        "glare_fraction": float(glare.mean()),
        "overlay_fraction": parts["total"],
        "overlay_parts": {k: v for k, v in parts.items() if k != "total"},
        "valid_fraction": float(valid.mean()),
    }
    verdict, reasons = "ok", []

    def flag(level: str, text: str) -> None:
        nonlocal verdict
        verdict = _worse(verdict, level)
        reasons.append(f"{level}: {text}")

    b = metrics["edge_blur_um"]
    if not math.isfinite(b):
        flag("reject", "the image has no visible contrast (blank or uniform); re-take the photo.")
    elif b > t.blur_reject_um:
        flag("reject", f"out of focus (edge blur {b:.0f} um > {t.blur_reject_um:g} um); re-focus, re-take.")
    elif b > t.blur_warn_um:
        flag("warn", f"slightly out of focus (edge blur {b:.0f} um); thin hairs may be missed or widened.")
    hl, sh, lum = expo["highlights_clipped"], expo["shadows_clipped"], expo["mean_luma"]
    if hl > t.highlights_reject or lum > t.luma_high_reject:
        flag("reject", f"over-exposed ({hl:.0%} clipped highlights, mean level {lum:.0f}); lower the light.")
    elif hl > t.highlights_warn or lum > t.luma_high_warn:
        flag("warn", f"bright exposure ({hl:.1%} clipped highlights); light hairs may be missed.")
    if sh > t.shadows_reject or lum < t.luma_low_reject:
        flag("reject", f"under-exposed ({sh:.0%} black pixels, mean level {lum:.0f}); raise the light.")
    elif sh > t.shadows_warn or lum < t.luma_low_warn:
        flag("warn", f"dark exposure (mean level {lum:.0f}); dark hairs on dark skin may be missed.")
    g = metrics["glare_fraction"]
    if g > t.glare_reject:
        flag("reject", f"glare covers {g:.0%} of the image; use immersion fluid or polarised light.")
    elif g > t.glare_warn:
        flag("warn", f"glare covers {g:.1%} of the image (masked out of the analysed area).")
    vf = metrics["valid_fraction"]
    if vf < t.valid_reject:
        flag(
            "reject",
            f"only {vf:.0%} of the image is usable after masking overlays and glare; re-export "
            "without burned-in annotations.",
        )
    elif vf < t.valid_warn or parts["total"] > 0.15:
        flag("warn", f"burned-in overlays or glare mask {1 - vf:.0%} of the image (excluded from the area).")
    return QualityReport(verdict, reasons, metrics, valid, thresholds=asdict(t))


def thresholds_dict(t: QualityThresholds | None = None) -> dict[str, float]:
    """The thresholds as a dict (for provenance in results)."""
    return asdict(t or QualityThresholds())
