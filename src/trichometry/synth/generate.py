"""One-shot generation of a synthetic trichoscopy sample (training data, fixtures)."""

from __future__ import annotations

from typing import Any

import numpy as np

from trichometry.synth.patch import sample_patch
from trichometry.synth.ranges import SceneRanges
from trichometry.synth.render import render
from trichometry.synth.view import View, sample_view
from trichometry.truth import Sample

_MARGIN_LONG_MAX_UM = 6000.0


def patch_extent_for(view: View, ranges: SceneRanges) -> tuple[float, float]:
    """Patch size (um) that covers ``view`` plus every hair that could reach into it.

    Long hairs longer than about 6 mm whose exit lies further out are not modelled.
    """
    fw, fh = view.footprint_um
    reach = ranges.clipped_length_um[1]
    if ranges.clipped_fraction[0] < 1.0 or ranges.p_unclipped > 0:
        reach = max(reach, min(ranges.long_length_um[1], _MARGIN_LONG_MAX_UM))
    margin = reach + 300.0
    cx, cy = view.centre_um
    return (fw + 2 * (margin + abs(cx)), fh + 2 * (margin + abs(cy)))


def generate_sample(seed: int, ranges: SceneRanges | None = None, **overrides: Any) -> Sample:
    """Draw a scene from ``ranges`` (plus ``overrides``) and render it.

    Args:
        seed: the only source of randomness: the same seed and parameters give a
            byte-identical image and truth.
        ranges: parameter ranges; defaults to :class:`SceneRanges`.
        **overrides: any :class:`SceneRanges` field, as a value or ``(low, high)``.
            Note that ``p_unclipped`` (default 0.15) turns some scenes into unclipped
            scalp whatever ``clipped_fraction`` says: for clipped hair only, pass
            ``clipped_fraction=1.0, p_unclipped=0.0`` or use the ``trial_70x`` preset.
            ``style="heldout"`` renders the held-out evaluation style (never train on it);
            the follicles, exits and count stay those of the standard style's scene.

    Returns:
        A :class:`Sample`.

    Raises:
        ConfigError: unknown parameter or impossible range.

    Example:
        >>> s = generate_sample(seed=3, width=256, height=192, um_per_px=4.0)
        >>> s.image.shape, s.truth.count == int(s.targets.exit_map.sum())
        ((192, 256, 3), True)
    """
    ranges = (ranges or SceneRanges()).with_overrides(**overrides) if overrides else (ranges or SceneRanges())
    rng = np.random.default_rng(int(seed))
    view = sample_view(ranges, rng)
    patch = sample_patch(ranges, rng, extent_um=patch_extent_for(view, ranges))
    sample = render(patch, view, seed=seed, image_id=f"synth-{int(seed):08d}")
    sample.truth.params["ranges"] = ranges.to_dict()  # provenance: what the scene was drawn from
    return sample
