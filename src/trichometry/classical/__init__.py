"""The no-learning baseline detector (``--method classical``)."""

from __future__ import annotations

from trichometry.classical.detector import ClassicalConfig, ClassicalDetector

__all__ = ["ClassicalConfig", "ClassicalDetector"]
