"""Factories for small hand-built scenes used by the synth tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from trichometry.synth import HairSpec, ScalpPatch, SkinSpec, View


def _make_hair(fid: int, exit_um: tuple[float, float], direction_deg: float, **kw: Any) -> HairSpec:
    """A clipped, straight, black hair with overridable fields."""
    spec: dict[str, Any] = {
        "follicle_id": fid,
        "unit_id": fid,
        "exit_um": exit_um,
        "direction_deg": direction_deg,
        "diameter_um": 80.0,
        "taper": 0.0,
        "length_um": 800.0,
        "curvature_per_mm": 0.0,
        "clipped": True,
        "pigment": 0.0,
    }
    spec.update(kw)
    return HairSpec(**spec)


def _make_patch(*hairs: HairSpec, extent_um: tuple[float, float] = (8000.0, 8000.0)) -> ScalpPatch:
    return ScalpPatch(
        extent_um=extent_um,
        hairs=tuple(hairs),
        skin=SkinSpec(fitzpatrick=3.0, halo_strength=0.5, texture_seed=7),
    )


def _plain_view(um_per_px: float, width: int = 160, height: int = 120, **kw: Any) -> View:
    """A view without noise, JPEG or overlays (exact pixels)."""
    return View(um_per_px=um_per_px, width=width, height=height, **kw)


@pytest.fixture
def make_hair() -> Callable[..., HairSpec]:
    return _make_hair


@pytest.fixture
def make_patch() -> Callable[..., ScalpPatch]:
    return _make_patch


@pytest.fixture
def plain_view() -> Callable[..., View]:
    return _plain_view
