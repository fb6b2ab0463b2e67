"""From dense hair maps to counted hairs, thickness in micrometres, classes and densities.

Main entry point: :func:`measure`. Example::

    from trichometry.measure import Roi, measure
    m = measure(image_rgb, prediction, um_per_px=2.8, roi=Roi.parse("target-area", 2.8))
    m.summary["density_per_cm2"], m.to_dict()
"""

from __future__ import annotations

from trichometry.measure.classes import CONVENTIONS, Convention, get_convention
from trichometry.measure.engine import MeasureConfig, measure
from trichometry.measure.measurement import HairMeasurement, Measurement
from trichometry.measure.roi import Roi

__all__ = [
    "CONVENTIONS",
    "Convention",
    "HairMeasurement",
    "MeasureConfig",
    "Measurement",
    "Roi",
    "get_convention",
    "measure",
]
