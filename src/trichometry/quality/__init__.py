"""Per-image quality control: focus, exposure, glare, burned-in overlays.

Example::

    from trichometry.quality import assess_quality
    q = assess_quality(image_rgb, um_per_px=2.8)
    q.verdict, q.reasons, q.valid_mask  # "ok" | "warn" | "reject"
"""

from __future__ import annotations

from trichometry.quality.metrics import edge_blur_px, exposure_stats, glare_mask
from trichometry.quality.overlays import OverlayParams, detect_overlays
from trichometry.quality.report import (
    VERDICTS,
    QualityReport,
    QualityThresholds,
    assess_quality,
    thresholds_dict,
)

__all__ = [
    "VERDICTS",
    "OverlayParams",
    "QualityReport",
    "QualityThresholds",
    "assess_quality",
    "detect_overlays",
    "edge_blur_px",
    "exposure_stats",
    "glare_mask",
    "thresholds_dict",
]
