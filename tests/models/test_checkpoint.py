from __future__ import annotations

from pathlib import Path

import pytest
import torch

from trichometry.errors import CheckpointError
from trichometry.models import (
    create_model,
    load_checkpoint,
    load_weights,
    model_from_checkpoint,
    model_kwargs,
    save_checkpoint,
)


def _save(path: Path, name: str = "tiny") -> torch.nn.Module:
    torch.manual_seed(0)
    model = create_model(name)
    save_checkpoint(
        path,
        model,
        model_name=name,
        model_kwargs=model_kwargs(name),
        config={"seed": 1},
        data={"source": "test"},
        metrics={"dice": 0.5},
        step=7,
    )
    return model


def test_round_trip_gives_identical_outputs(tmp_path: Path) -> None:
    model = _save(tmp_path / "m.pt").eval()
    loaded, ckpt = model_from_checkpoint(tmp_path / "m.pt")
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        assert torch.equal(model(x), loaded(x))
    assert ckpt["step"] == 7 and ckpt["metrics"] == {"dice": 0.5} and ckpt["config"] == {"seed": 1}
    assert ckpt["preprocessing"]["canonical_um_per_px"] == 3.0
    assert set(ckpt["model"]["heads"]) == {"shaft", "exit", "diameter"}
    assert len(ckpt["weights_sha256"]) == 64


def test_other_architecture_is_refused(tmp_path: Path) -> None:
    _save(tmp_path / "tiny.pt")
    ckpt = load_checkpoint(tmp_path / "tiny.pt")
    with pytest.raises(CheckpointError, match="'tiny' but 'small'"):
        load_weights(create_model("small"), ckpt, expected_name="small")
    with pytest.raises(CheckpointError, match="another architecture"):
        load_weights(create_model("small"), ckpt)


def test_truncated_corrupt_and_foreign_files(tmp_path: Path) -> None:
    _save(tmp_path / "m.pt")
    data = (tmp_path / "m.pt").read_bytes()
    (tmp_path / "trunc.pt").write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="cannot be read"):
        load_checkpoint(tmp_path / "trunc.pt")
    (tmp_path / "text.pt").write_text("hello")
    with pytest.raises(CheckpointError):
        load_checkpoint(tmp_path / "text.pt")
    torch.save({"weights": torch.zeros(3)}, tmp_path / "foreign.pt")
    with pytest.raises(CheckpointError, match="not a trichometry checkpoint"):
        load_checkpoint(tmp_path / "foreign.pt")
    with pytest.raises(CheckpointError, match="does not exist"):
        load_checkpoint(tmp_path / "missing.pt")


def test_changed_weights_fail_the_hash(tmp_path: Path) -> None:
    _save(tmp_path / "m.pt")
    ckpt = torch.load(tmp_path / "m.pt", weights_only=True)
    key = next(iter(ckpt["state_dict"]))
    ckpt["state_dict"][key] = ckpt["state_dict"][key] + 1
    torch.save(ckpt, tmp_path / "bad.pt")
    with pytest.raises(CheckpointError, match="SHA-256"):
        load_checkpoint(tmp_path / "bad.pt")


def test_strip_training_state_keeps_weights_and_hash(tmp_path: Path) -> None:
    from trichometry.models.checkpoint import strip_training_state

    model = create_model("tiny")
    opt = torch.optim.AdamW(model.parameters())
    model(torch.rand(1, 3, 32, 32)).sum().backward()
    opt.step()
    save_checkpoint(
        tmp_path / "full.pt", model, model_name="tiny", model_kwargs=model_kwargs("tiny"), optimizer=opt
    )
    sha = strip_training_state(tmp_path / "full.pt", tmp_path / "slim.pt")
    slim = load_checkpoint(tmp_path / "slim.pt")
    assert "optimizer" not in slim and slim["weights_sha256"] == sha
    assert (tmp_path / "slim.pt").stat().st_size < (tmp_path / "full.pt").stat().st_size
