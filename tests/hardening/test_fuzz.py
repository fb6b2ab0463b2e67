"""Fuzz corpus through every ingest path, in subprocesses with time and memory limits.

RELIABILITY.md tests 1-4: bombs refused from the header with flat memory, non-images
refused by content, truncations/flips/confusions never crash or hang, and arbitrary
bytes give a result or the rejected-image error. The long run is ``benchmarks/fuzz_atheris.py``.
"""

from __future__ import annotations

import pytest
from hardening_corpus import bombs, confusions, corpus, png_claiming, zip_corpus
from hardening_harness import run_corpus
from hardening_samples import png_bytes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trichometry.errors import ImageRejected
from trichometry.io import read_image

TARGETS = ("read_image", "upload", "scrub")


@pytest.mark.timeout(180)
@pytest.mark.parametrize("target", TARGETS)
def test_default_corpus_never_crashes_or_hangs(target, tmp_path):
    inputs = corpus()
    report = run_corpus(target, inputs, tmp_path / target, per_input_s=10, mem_mb=3072)
    assert len(report.outcomes) == len(inputs) >= 230
    assert report.failures() == {}, report.failures()
    counts = report.counts()
    print(f"{target}: {len(inputs)} inputs {dict(counts)}, worker peak RSS {report.peak_rss_mb:.0f} MB, "
          f"{report.seconds:.1f} s")  # fmt: skip
    assert counts["rejected"] >= 100 and counts["accepted"] >= 20  # both branches exercised
    assert report.workers_started == 1  # no input killed its worker
    for name in ("valid/png", "valid/jpeg", "valid/tiff", *(("valid/dicom",) if target != "upload" else ())):
        assert report.outcomes[name] == "accepted", name
    for name in bombs():
        if "claiming" in name or "x" in name.split("_")[-1]:  # header claims above every cap
            assert report.outcomes[name] == "rejected", name
    for name in (
        "confuse/text",
        "confuse/html",
        "confuse/zip",
        "confuse/pdf",
        "confuse/elf",
        "confuse/empty",
    ):
        assert report.outcomes[name] == "rejected", name
    if target == "upload":  # what is stored and served back must not be a polyglot
        assert report.outcomes["confuse/jpeg_then_html"] == "rejected"
        assert report.outcomes["confuse/jpeg_then_zip"] == "rejected"


@pytest.mark.parametrize("target", TARGETS)
def test_header_bomb_refused_with_flat_memory(target, tmp_path):
    inputs = {
        "0-valid": png_bytes(1, 512),  # warms the decoders: the baseline
        "1-bomb": png_claiming(50_000, 50_000, b"\x00" * 100),
        "2-bomb": png_claiming(30_000, 30_000, b"\x00" * 100),
    }
    report = run_corpus(target, inputs, tmp_path / target)
    assert report.outcomes == {"0-valid": "accepted", "1-bomb": "rejected", "2-bomb": "rejected"}
    # a decoded 50000x50000 RGB image would need 7.5 GB; the refusal costs (almost) nothing
    assert report.peak_rss_mb - report.baseline_rss_mb < 8.0


def test_renamed_non_images_refused_with_a_clear_message(tmp_path):
    for name in ("confuse/text", "confuse/html", "confuse/pdf", "confuse/zip"):
        path = tmp_path / "photo.jpg"
        path.write_bytes(confusions()[name])
        with pytest.raises(ImageRejected, match=r"not a supported image.*whatever its file name says"):
            read_image(path)


def test_zip_corpus_never_crashes(tmp_path):
    inputs = zip_corpus()
    report = run_corpus("archive", inputs, tmp_path / "zip")
    assert report.failures() == {}, report.failures()
    assert report.outcomes["zip/valid"] == "accepted"
    for name in ("slip", "absolute", "bomb", "flood", "nested"):
        assert report.outcomes[f"zip/{name}"] == "rejected", name


_PREFIXES = [b"", b"\xff\xd8\xff", b"\xff\xd8\xff\xe0", b"\x89PNG\r\n\x1a\n", b"II*\x00", b"MM\x00*"]
_PREFIXES.append(b"\x00" * 128 + b"DICM")


@pytest.mark.timeout(180)
def test_hypothesis_bytes_in_subprocesses(tmp_path):
    """Hypothesis draws the bytes (magic prefix + anything); the harness runs them isolated."""
    drawn: dict[str, bytes] = {}

    @settings(max_examples=120, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(st.sampled_from(_PREFIXES), st.binary(max_size=2048))
    def collect(prefix: bytes, body: bytes) -> None:
        drawn[f"hyp/{len(drawn):04d}"] = prefix + body

    collect()
    assert len(drawn) >= 100
    for target in TARGETS:
        report = run_corpus(target, drawn, tmp_path / target)
        assert report.failures() == {}, report.failures()


def test_harness_sees_hangs_aborts_bugs_and_memory_blowups(tmp_path):
    inputs = {"a": b"hang", "b": b"abort", "c": b"raise", "d": b"memory", "e": b"ok"}
    report = run_corpus("selftest", inputs, tmp_path, per_input_s=2, mem_mb=1024)
    assert report.outcomes["a"] == "hang"
    assert report.outcomes["b"].startswith("killed")
    assert report.outcomes["c"] == "crash" and "RuntimeError" in report.details["c"]
    assert report.outcomes["d"] == "crash" and "MemoryError" in report.details["d"]
    assert report.outcomes["e"] == "rejected"
    assert set(report.failures()) == {"a", "b", "c", "d"}
