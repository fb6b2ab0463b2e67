"""``trichometry ingest batch.zip``: the CLI batch path goes through the archive checks."""

from __future__ import annotations

import io
import zipfile

import pytest
from click.testing import CliRunner
from hardening_samples import jpeg_bytes, png_bytes

from trichometry.cli.main import cli
from trichometry.store import Store


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("TRICHOMETRY_ADMIN_PASSWORD", "admin-password-1")
    d = tmp_path / "data"
    st = Store.open(d)
    st.create_site("MAIN", "Main")
    st.ensure_admin()
    st.close()
    return d


def _zip(path, entries):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    path.write_bytes(buf.getvalue())
    return path


def _ingest(path, data_dir):
    args = ["ingest", str(path), "--subject", "S-9", "--visit", "2026-02-01", "--um-per-px", "4.0",
            "--method", "classical", "--data", str(data_dir)]  # fmt: skip
    return CliRunner().invoke(cli, args)


def test_zip_batch_is_ingested(tmp_path, data_dir):
    z = _zip(tmp_path / "batch.zip", {"visit/a.jpg": jpeg_bytes(1, 96), "visit/b.png": png_bytes(2, 96)})
    res = _ingest(z, data_dir)
    assert res.exit_code == 0, res.output
    assert "2 of 2 photos stored" in res.output


def test_hostile_zip_stores_nothing(tmp_path, data_dir):
    z = _zip(tmp_path / "evil.zip", {"a.jpg": jpeg_bytes(1, 96), "../../evil.jpg": jpeg_bytes(2, 96)})
    res = _ingest(z, data_dir)
    assert res.exit_code != 0 and "outside its folder" in res.output
    assert list((data_dir / "blobs" / "objects").glob("??/*")) == []
