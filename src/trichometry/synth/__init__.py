"""Physically parameterised synthetic trichoscopy images with exact ground truth.

Geometry (a :class:`ScalpPatch` in micrometres) is separate from the camera
(:class:`View`): ``render(patch, view, seed)`` photographs one with the other, and
:func:`generate_sample` draws both from :class:`SceneRanges` in one call.
"""

from __future__ import annotations

from trichometry.synth.generate import generate_sample, patch_extent_for
from trichometry.synth.patch import HairSpec, ScalpPatch, SkinSpec, sample_patch
from trichometry.synth.ranges import PRESETS, SceneRanges
from trichometry.synth.render import render
from trichometry.synth.truth import HairTruth, ImageTruth, Sample, Targets
from trichometry.synth.view import View, sample_view

__all__ = [
    "PRESETS",
    "HairSpec",
    "HairTruth",
    "ImageTruth",
    "Sample",
    "ScalpPatch",
    "SceneRanges",
    "SkinSpec",
    "Targets",
    "View",
    "generate_sample",
    "patch_extent_for",
    "render",
    "sample_patch",
    "sample_view",
]
