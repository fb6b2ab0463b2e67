from __future__ import annotations

import io

import pytest
from PIL import Image

from trichometry.clinic.analysis import AnalysisSettings, default_analyser, summary_from_document
from trichometry.errors import ConfigError, ImageRejected


def _synthetic_png(seed: int = 3) -> tuple[bytes, object]:
    from trichometry.synth import generate_sample

    s = generate_sample(seed=seed, width=256, height=208, um_per_px=8.0)
    buf = io.BytesIO()
    Image.fromarray(s.image).save(buf, "PNG")
    return buf.getvalue(), s.truth


def test_real_analyser_gives_numbers_overlay_and_provenance():
    data, _truth = _synthetic_png()
    seen = []
    rec = default_analyser(data, 8.0, AnalysisSettings(method="classical"), seen.append)
    assert rec.method == "classical" and rec.model_name and rec.code_version
    assert len(rec.config_hash) == 64
    assert rec.quality in ("ok", "warn", "reject")
    assert rec.overlay_png[:8] == b"\x89PNG\r\n\x1a\n"
    assert rec.summary["count"] == rec.result["hair_count"] == len(rec.result["hairs"])
    assert rec.summary["density_per_cm2"] == pytest.approx(
        rec.summary["count"] / rec.summary["area_cm2"], rel=1e-3
    )
    assert seen and max(seen) <= 1.0
    again = default_analyser(data, 8.0, AnalysisSettings(method="classical"))
    assert again.summary == rec.summary  # same image + same settings -> same numbers


def test_uncalibrated_has_counts_but_no_density():
    data, _ = _synthetic_png()
    rec = default_analyser(data, None, AnalysisSettings())
    assert rec.summary["density_per_cm2"] is None and rec.summary["count"] >= 0
    assert rec.config_hash != AnalysisSettings().config_hash(8.0)


def test_bad_input_and_settings():
    with pytest.raises(ImageRejected):
        default_analyser(b"not an image", 8.0, AnalysisSettings())
    with pytest.raises(ConfigError):
        AnalysisSettings(method="magic")


def test_summary_of_rejected_document():
    s = summary_from_document({"status": "rejected", "hair_count": None, "density_per_cm2": None})
    assert s["count"] is None and s["density_per_cm2"] is None
    doc = {"status": "ok", "hair_count": 10, "summary": {"thickness_measured": 8, "non_vellus_count": 6}}
    s = summary_from_document(doc)
    assert s["vellus_share"] == pytest.approx(0.25)
