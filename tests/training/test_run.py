from __future__ import annotations

import csv
from pathlib import Path

import pytest
import torch
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from omegaconf import open_dict

from trichometry.errors import CheckpointError, ConfigError
from trichometry.models import load_checkpoint, model_from_checkpoint
from trichometry.training import register_configs, train

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def _cfg(out: Path, *overrides: str):
    register_configs()
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONFIGS), version_base="1.3"):
        cfg = compose(config_name="train", overrides=["debug=fast", *overrides])
    with open_dict(cfg):
        cfg.output_dir = str(out)
        cfg.data.cache_dir = str(out.parent / "cache")
        cfg.trainer.num_threads = 1
    return cfg


def test_two_steps_write_a_self_describing_checkpoint(tmp_path: Path) -> None:
    out = tmp_path / "run"
    metrics = train(_cfg(out))
    assert metrics["step"] == 2
    ckpt = load_checkpoint(out / "checkpoints" / "last.pt")
    assert ckpt["step"] == 2 and ckpt["model"]["name"] == "tiny"
    assert ckpt["config"]["trainer"]["max_steps"] == 2
    assert ckpt["data"]["synthetic"]["train_scenes"] == 8
    assert {"f1", "score", "best_score"} <= set(ckpt["metrics"]) and "optimizer" in ckpt
    rows = list(csv.DictReader((out / "metrics.csv").open()))
    assert [int(r["step"]) for r in rows] == [1, 2] and float(rows[0]["loss"]) > 0
    model, _ = model_from_checkpoint(out / "checkpoints" / "best.pt")
    assert model(torch.rand(1, 3, 64, 64)).shape == (1, 3, 64, 64)


def test_resume_continues_from_the_saved_step(tmp_path: Path) -> None:
    first = tmp_path / "a"
    train(_cfg(first))
    second = tmp_path / "b"
    resume = str(first / "checkpoints" / "last.pt")
    metrics = train(_cfg(second, f"trainer.resume={resume}", "trainer.max_steps=4"))
    assert metrics["step"] == 4
    rows = list(csv.DictReader((second / "metrics.csv").open()))
    assert [int(r["step"]) for r in rows] == [3, 4]
    assert load_checkpoint(second / "checkpoints" / "last.pt")["step"] == 4
    with pytest.raises(ConfigError, match="max_steps"):
        train(_cfg(tmp_path / "c", f"trainer.resume={resume}"))


def test_resume_from_another_architecture_is_refused(tmp_path: Path) -> None:
    first = tmp_path / "a"
    train(_cfg(first))
    resume = str(first / "checkpoints" / "last.pt")
    with pytest.raises(CheckpointError, match="'tiny' but 'small'"):
        train(_cfg(tmp_path / "b", f"trainer.resume={resume}", "model=small", "trainer.max_steps=4"))
    (tmp_path / "broken.pt").write_bytes(b"\x00" * 100)
    with pytest.raises(CheckpointError):
        train(_cfg(tmp_path / "c", f"trainer.resume={tmp_path / 'broken.pt'}"))


def test_a_diameter_branch_learns_on_a_frozen_network(tmp_path: Path) -> None:
    first = tmp_path / "a"
    train(_cfg(first))
    src = first / "checkpoints" / "last.pt"
    overrides = [f"trainer.init_from={src}", "model.diameter_branch=4"]
    overrides.append("trainer.train_only=[diameter_branch]")
    metrics = train(_cfg(tmp_path / "b", *overrides))
    assert metrics["step"] == 2  # a fresh run: the step count starts again
    ckpt = load_checkpoint(tmp_path / "b" / "checkpoints" / "last.pt")
    assert ckpt["model"]["kwargs"]["diameter_branch"] == 4
    new, _ = model_from_checkpoint(ckpt)
    old, _ = model_from_checkpoint(src)
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():  # shaft and exit maps are the source's, bit for bit
        assert torch.equal(new(x)[:, :2], old(x)[:, :2])
    with pytest.raises(ConfigError, match="not both"):
        train(_cfg(tmp_path / "c", *overrides, f"trainer.resume={src}"))


@pytest.mark.gpu
def test_mixed_precision_steps_on_gpu(tmp_path: Path) -> None:
    out = tmp_path / "gpu"
    metrics = train(
        _cfg(out, "trainer=gpu", "trainer.max_steps=2", "trainer.batch_size=2", "trainer.val_every=2")
    )
    assert metrics["step"] == 2 and (out / "checkpoints" / "last.pt").is_file()


def test_training_from_a_data_set_on_disk(tmp_path: Path) -> None:
    synth = pytest.importorskip("trichometry.synth")
    from trichometry.data import DatasetWriter

    with DatasetWriter(tmp_path / "set", name="tiny") as w:
        for i, split in enumerate(["train", "train", "val"]):
            w.add_sample(synth.generate_sample(i, width=64, height=64, um_per_px=3.0), split=split)
    out = tmp_path / "run"
    metrics = train(
        _cfg(
            out,
            "data=synth_disk",
            f"data.disk_root={tmp_path / 'set'}",
            "data.crop_px=64",
            "data.scene_px=64",
        )
    )
    assert metrics["step"] == 2 and metrics["images"] == 1
    with pytest.raises(ConfigError, match="no 'train' images"):
        empty = tmp_path / "empty"
        with DatasetWriter(empty, name="e") as w:
            w.add_sample(synth.generate_sample(9, width=32, height=32, um_per_px=3.0), split="val")
        train(_cfg(tmp_path / "r2", "data=synth_disk", f"data.disk_root={empty}"))


def test_training_on_the_held_out_style_is_refused(tmp_path: Path) -> None:
    cfg = _cfg(tmp_path / "run", "+data.synth_overrides.style=heldout")
    with pytest.raises(ConfigError, match="held-out rendering style"):
        train(cfg)


FRAMES = ("model=frame_s", "data=frames_fdu", "data.fdu_root=null", "data.synth_frames=4", "data.val_size=2",
          "data.frame_px=[64,96]", "data.um_per_px_range=[6.0,9.0]")  # fmt: skip


def test_frame_network_trains_and_resumes(tmp_path: Path) -> None:
    """Two steps of detector v3 on generated frames only, then two more resumed."""
    first = tmp_path / "a"
    metrics = train(_cfg(first, *FRAMES))
    assert metrics["step"] == 2 and {"score", "count_mape"} <= set(metrics)
    ckpt = load_checkpoint(first / "checkpoints" / "last.pt")
    assert ckpt["model"]["arch"] == "frames" and ckpt["model"]["name"] == "frame_s"
    assert ckpt["data"]["synthetic"]["frames"] == 4 and "boxes" not in ckpt["data"]
    assert ckpt["preprocessing"]["canonical_um_per_px"] == 8.0
    model, _ = model_from_checkpoint(first / "checkpoints" / "best.pt")
    assert model(torch.rand(1, 3, 64, 64)).shape == (1, 7, 16, 16)
    resume = str(first / "checkpoints" / "last.pt")
    assert (
        train(_cfg(tmp_path / "b", *FRAMES, f"trainer.resume={resume}", "trainer.max_steps=4"))["step"] == 4
    )
