from __future__ import annotations

import os

import pytest

from trichometry.store import NotFound, StoreCorrupt
from trichometry.store.blobs import BlobStore, sha256_hex


def test_put_read_and_dedupe(tmp_path):
    blobs = BlobStore(tmp_path / "b")
    h1 = blobs.put(b"hello")
    h2 = blobs.put(b"hello")
    assert h1 == h2 == sha256_hex(b"hello")
    assert blobs.read(h1) == b"hello" and blobs.all_hashes() == {h1}
    assert not os.access(blobs.path(h1), os.W_OK) or os.geteuid() == 0  # read-only file
    assert oct(blobs.path(h1).stat().st_mode & 0o777) == "0o444"
    assert blobs.stray_temporaries() == []


def test_tampered_file_is_detected(tmp_path):
    blobs = BlobStore(tmp_path / "b")
    h = blobs.put(b"original bytes")
    path = blobs.path(h)
    os.chmod(path, 0o644)
    path.write_bytes(b"changed bytes!")
    with pytest.raises(StoreCorrupt, match="no longer matches"):
        blobs.read(h)
    with pytest.raises(StoreCorrupt):
        blobs.put(b"original bytes")  # re-publishing checks the stored copy first


@pytest.mark.parametrize("bad", ["../../etc/passwd", "x" * 64, "A" * 64, ""])
def test_hash_names_cannot_escape(tmp_path, bad):
    with pytest.raises(NotFound):
        BlobStore(tmp_path / "b").path(bad)


def test_missing_file(tmp_path):
    blobs = BlobStore(tmp_path / "b")
    with pytest.raises(NotFound, match="restore it from backup"):
        blobs.read("0" * 64)
