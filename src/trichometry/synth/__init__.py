"""Physically parameterised synthetic trichoscopy images with exact ground truth.

Geometry is separate from the camera:

* :class:`ScalpPatch` -- a persistent piece of scalp in micrometres (skin frame, origin
  at the target-area centre): one :class:`HairSpec` per follicle (exit point, growth
  direction, diameter, taper, length, curvature, clipped, pigment, grey, cast,
  active/dormant) and the skin's look (:class:`SkinSpec`). Draw one with
  :func:`sample_patch`; change hairs with :func:`dataclasses.replace`.
* :class:`View` -- one picture of it: um per pixel, size, centre and rotation in the
  skin frame, lighting, focus, noise, JPEG, glare, bubbles and burned-in overlays.
  Draw one with :func:`sample_view`.
* :func:`render` photographs a patch through a view and returns a :class:`Sample`:
  ``image`` ``(H, W, 3)`` uint8 RGB, :class:`ImageTruth` (per-image hair ids,
  persistent ``follicle_id``) and :class:`Targets` (shaft mask, instance ids, exit
  map, diameter map in um, overlay mask), all from one geometry.
* :func:`generate_sample` draws both from :class:`SceneRanges` (or a named preset,
  :meth:`SceneRanges.preset`) in one call.
* ``SceneRanges.style`` (:data:`STYLES`) picks the renderer: ``"standard"`` (training)
  or ``"heldout"``, another look at the same kind of scene for style-shift evaluation
  only, never training (preset ``"heldout_style"``; :mod:`.style_heldout`).

Example::

    from trichometry.synth import SceneRanges, generate_sample, render, sample_patch, sample_view
    s = generate_sample(seed=3, width=256, height=192, um_per_px=4.0)

    rng = np.random.default_rng(7)                      # a subject's target area ...
    ranges = SceneRanges.preset("trial_70x")
    view = sample_view(ranges, rng)
    patch = sample_patch(ranges, rng, extent_um=patch_extent_for(view, ranges))
    baseline = render(patch, view, seed=1)
    later = render(patch, dataclasses.replace(view, centre_um=(80.0, -40.0), rotation_deg=3.0), seed=2)

Everything is deterministic in the seed(s): same inputs, byte-identical outputs.
"""

from __future__ import annotations

from trichometry.synth.generate import generate_sample, patch_extent_for
from trichometry.synth.patch import HairSpec, ScalpPatch, SkinSpec, sample_patch
from trichometry.synth.ranges import PRESETS, STYLES, SceneRanges
from trichometry.synth.render import render
from trichometry.synth.view import View, sample_view
from trichometry.truth import HairTruth, ImageTruth, Sample, Targets

__all__ = [
    "PRESETS",
    "STYLES",
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
