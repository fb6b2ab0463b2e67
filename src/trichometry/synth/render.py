"""Render a view of a scalp patch: image, ground truth and targets from one geometry."""

from __future__ import annotations

import logging

import numpy as np

from trichometry.synth import style_heldout
from trichometry.synth.hairs import draw_hairs, place_hairs
from trichometry.synth.optics import (
    apply_contact_artifacts,
    apply_etched_scale,
    apply_jpeg,
    apply_lighting,
    apply_sensor,
)
from trichometry.synth.overlays import draw_overlays
from trichometry.synth.patch import ScalpPatch
from trichometry.synth.skin import draw_follicle_marks, render_skin
from trichometry.synth.style_heldout_hairs import shade_shaft
from trichometry.synth.view import View
from trichometry.truth import ImageTruth, Sample

log = logging.getLogger(__name__)


def render(patch: ScalpPatch, view: View, seed: int = 0, image_id: str | None = None) -> Sample:
    """Photograph ``patch`` through ``view``.

    The patch's ``style`` picks the renderer of skin, roots, shafts and ring light
    (``"heldout"``: :mod:`~trichometry.synth.style_heldout`, recorded as
    ``truth.params["style"]``); the geometry, truth and camera are the same for all.

    Args:
        patch: the scalp (physical units, skin frame).
        view: camera scale, framing, optics and overlays.
        seed: seeds the sensor noise only (geometry and texture come from the patch).
        image_id: stored in the truth; defaults to ``"synth-<seed>"``.

    Returns:
        A :class:`Sample`: ``image`` ``(H, W, 3)`` uint8 RGB, its :class:`ImageTruth`
        (hair ids per image, ``follicle_id`` persistent) and :class:`Targets`
        (``overlay_mask`` marks burned-in overlay pixels).

    Example:
        >>> import numpy as np
        >>> from trichometry.synth import SceneRanges, sample_patch, View, render
        >>> rng = np.random.default_rng(0)
        >>> patch = sample_patch(SceneRanges(), rng, extent_um=(3000, 3000))
        >>> s = render(patch, View(um_per_px=4.0, width=128, height=96), seed=1)
        >>> s.image.shape
        (96, 128, 3)
    """
    rng = np.random.default_rng([int(seed) & 0xFFFFFFFF, 0x5EED])
    heldout = patch.style == "heldout"
    img = style_heldout.render_skin(patch, view) if heldout else render_skin(patch, view)
    near = _hairs_near(patch, view)
    (style_heldout.draw_root_marks if heldout else draw_follicle_marks)(img, patch, view, near)
    drawn = place_hairs(near, view)
    hairs, targets = draw_hairs(img, drawn, view, shade=shade_shaft if heldout else None)
    apply_contact_artifacts(img, view)
    etched = apply_etched_scale(img, view)
    if heldout:
        style_heldout.relight(img, patch, view)
    apply_lighting(img, view)
    out = apply_sensor(img, view, rng)
    targets.overlay_mask = draw_overlays(out, view) | etched
    out = apply_jpeg(out, view.jpeg_quality)
    empty = []
    for xy in patch.empty_follicles:
        p = view.skin_to_px(np.asarray(xy))
        if -0.5 <= p[0] < view.width - 0.5 and -0.5 <= p[1] < view.height - 0.5:
            empty.append((float(p[0]), float(p[1])))
    params = {"view": view.to_dict(), "patch": dict(patch.params), "seed": int(seed)}
    if patch.style != "standard":  # absent = standard, so standard truths keep their bytes
        params["style"] = patch.style
    truth = ImageTruth(
        image_id=image_id if image_id is not None else f"synth-{seed}",
        width=view.width,
        height=view.height,
        um_per_px=float(view.um_per_px),
        hairs=hairs,
        empty_follicles=empty,
        params=params,
    )
    log.debug("rendered %s: %d hairs drawn, %d counted", truth.image_id, len(hairs), truth.count)
    return Sample(image=out, truth=truth, targets=targets)


def _hairs_near(patch: ScalpPatch, view: View) -> list:
    """Hairs whose reach (exit +- length) can touch the view."""
    if not patch.hairs:
        return []
    exits = np.array([h.exit_um for h in patch.hairs], dtype=float)
    reach = np.array([h.length_um + h.diameter_um for h in patch.hairs], dtype=float)
    px = view.skin_to_px(exits)
    r_px = reach / view.um_per_px + 60.0 / view.um_per_px + 2.0
    ok = (
        (px[:, 0] > -r_px - 0.5)
        & (px[:, 1] > -r_px - 0.5)
        & (px[:, 0] < view.width - 0.5 + r_px)
        & (px[:, 1] < view.height - 0.5 + r_px)
    )
    return [h for h, k in zip(patch.hairs, ok) if k]
