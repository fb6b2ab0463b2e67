from __future__ import annotations

import os
import stat

import pytest

from trichometry.errors import OutputError
from trichometry.utils.atomic import (
    atomic_directory,
    atomic_write_bytes,
    atomic_write_text,
    ensure_writable_dir,
)


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_write_bytes_replaces_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "out" / "a.bin"
    atomic_write_bytes(target, b"first")
    atomic_write_bytes(target, b"second")
    assert target.read_bytes() == b"second"
    assert sorted(p.name for p in target.parent.iterdir()) == ["a.bin"]


def test_written_files_and_folders_follow_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        f = atomic_write_text(tmp_path / "r.txt", "x")
        with atomic_directory(tmp_path / "cohort") as tmp:
            (tmp / "x").write_text("y")
    finally:
        os.umask(old)
    assert _mode(f) == 0o644
    assert _mode(tmp_path / "cohort") == 0o755


def test_failed_directory_build_leaves_nothing(tmp_path):
    with pytest.raises(RuntimeError), atomic_directory(tmp_path / "cohort") as tmp:
        (tmp / "half.txt").write_text("half")
        raise RuntimeError("crash mid-way")
    assert list(tmp_path.iterdir()) == []


def test_existing_directory_is_refused_unless_overwrite(tmp_path):
    (tmp_path / "cohort").mkdir()
    (tmp_path / "cohort" / "old.txt").write_text("old")
    with pytest.raises(OutputError, match="already exists"), atomic_directory(tmp_path / "cohort"):
        pass
    with atomic_directory(tmp_path / "cohort", overwrite=True) as tmp:
        (tmp / "new.txt").write_text("new")
    assert sorted(p.name for p in (tmp_path / "cohort").iterdir()) == ["new.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cohort"]


def test_output_under_a_file_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputError, match="cannot create output folder"):
        ensure_writable_dir(blocker / "sub")
