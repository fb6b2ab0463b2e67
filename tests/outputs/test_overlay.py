"""The analysis overlay hides nothing: an area that was not analysed is outlined, never filled."""

from __future__ import annotations

import dataclasses

import numpy as np

from trichometry.analysis import analyze
from trichometry.outputs.overlay import OUTLINE_COLOUR, draw_hairs, legend_lines
from trichometry.synth import generate_sample


def test_no_masked_pixel_is_filled_and_the_border_is_drawn() -> None:
    image = generate_sample(4, width=320, height=240, um_per_px=3.0).image
    result = analyze(image, um_per_px=3.0, method="classical")
    mask = np.ones(image.shape[:2], bool)
    mask[40:140, 60:200] = False  # say a glare patch was masked
    result = dataclasses.replace(result, quality=dataclasses.replace(result.quality, valid_mask=mask))
    doc = result.to_dict()
    doc["hairs"] = []  # only the area drawing is under test
    out = draw_hairs(result, doc)
    inside = np.zeros_like(mask)
    inside[43:137, 63:197] = True  # the masked area less its 3 px border
    assert np.array_equal(out[inside], image[inside])
    border = np.zeros_like(mask)
    border[40:140, 60:200] = True
    border &= ~inside
    assert (out[border] == OUTLINE_COLOUR).all(axis=1).sum() >= 2 * (100 + 140) - 8
    far = np.ones_like(mask)
    far[37:143, 57:203] = False
    assert np.array_equal(out[far], image[far])  # the analysed area is untouched too
    assert any("outlined = not analysed" in text for text, _ in legend_lines(result, doc))
