from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from trichometry.cli.main import cli
from trichometry.store import Store


@pytest.fixture
def photos(tmp_path) -> Path:
    from trichometry.synth import generate_sample

    folder = tmp_path / "photos"
    folder.mkdir()
    for seed in (1, 2):
        s = generate_sample(seed=seed, width=192, height=160, um_per_px=4.0)
        Image.fromarray(s.image).save(folder / f"p{seed}.png")
    return folder


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    from argon2 import PasswordHasher

    import trichometry.store.passwords as passwords

    monkeypatch.setattr(passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    monkeypatch.setenv("TRICHOMETRY_ADMIN_PASSWORD", "admin-password-1")
    d = tmp_path / "data"
    st = Store.open(d)
    st.create_site("MAIN", "Main")
    st.ensure_admin()
    st.close()
    return d


def test_ingest_folder_stores_and_analyses(photos, data_dir):
    args = ["ingest", str(photos), "--subject", "S-100", "--visit", "2026-02-01", "--um-per-px", "4.0",
            "--data", str(data_dir)]  # fmt: skip
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 0, res.output
    assert "created subject S-100" in res.output and "2 of 2 photos stored" in res.output
    st = Store.open(data_dir)
    admin = st.authenticate("admin", "admin-password-1")
    subject = st.get_subject(admin, "S-100")
    (visit,) = st.list_visits(admin, subject.id)
    images = st.list_visit_images(admin, visit.id)
    assert len(images) == 2
    analyses = [st.latest_analysis(vi.id) for vi in images]
    assert all(a is not None and a.method == "model" for a in analyses)  # the default detector
    assert all(a.summary["density_per_cm2"] is not None for a in analyses)  # calibrated
    # again: same bytes, same visit -> nothing new
    res2 = CliRunner().invoke(cli, args)
    assert res2.exit_code == 0 and res2.output.count("already stored") == 2
    assert len(st.list_visit_images(admin, visit.id)) == 2


def test_ingest_skips_bad_files_and_exits_1(photos, data_dir):
    (photos / "notes.jpg").write_bytes(b"not a photo at all")
    res = CliRunner().invoke(
        cli, ["ingest", str(photos), "--subject", "S-2", "--visit", "2026-02-01", "--data", str(data_dir)]
    )
    assert res.exit_code == 1
    assert "notes.jpg: skipped" in res.output and "2 of 3 photos stored" in res.output


def test_ingest_errors(tmp_path, data_dir):
    empty = tmp_path / "empty"
    empty.mkdir()
    res = CliRunner().invoke(
        cli, ["ingest", str(empty), "--subject", "S-1", "--visit", "1", "--data", str(data_dir)]
    )
    assert res.exit_code != 0 and "no .jpg/.png/.tif photos" in res.output
    (empty / "a.png").write_bytes(b"x")
    res = CliRunner().invoke(
        cli, ["ingest", str(empty), "--subject", "S-1", "--visit", "99", "--data", str(data_dir)]
    )
    assert res.exit_code != 0 and "no visit with id 99" in res.output


@pytest.mark.fdu
def test_ingest_real_photos(fdu_root, data_dir, tmp_path):
    """Two real 70x photos (read from ../shared, copied only to a temp folder) go through."""
    import hashlib

    folder = tmp_path / "real"
    folder.mkdir()
    names = sorted(p.name for p in (fdu_root / "images").glob("*.jpg"))[:2]
    for name in names:
        (folder / name).write_bytes((fdu_root / "images" / name).read_bytes())
    res = CliRunner().invoke(
        cli, ["ingest", str(folder), "--subject", "R-1", "--visit", "2026-01-01", "--um-per-px", "2.8",
              "--data", str(data_dir)],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    st = Store.open(data_dir)
    admin = st.authenticate("admin", "admin-password-1")
    (visit,) = st.list_visits(admin, st.get_subject(admin, "R-1").id)
    for vi in st.list_visit_images(admin, visit.id):
        a = st.latest_analysis(vi.id)
        assert a.image_sha256 == hashlib.sha256((folder / vi.filename).read_bytes()).hexdigest()
        assert (vi.image.width, vi.image.height) == (1280, 1024)
        s = a.summary
        assert s["count"] == len(a.result["hairs"])
        assert s["density_per_cm2"] == pytest.approx(s["count"] / s["area_cm2"], rel=1e-3)
