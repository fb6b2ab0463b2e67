"""A new detector is one registered family: a toy one goes through training, calibration,
``analyze`` and ``compare`` without any code outside the registry knowing it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch
from PIL import Image
from torch import nn

from trichometry.errors import ConfigError
from trichometry.inference.frames import decode_frame
from trichometry.models import FRAME_HEADS, Family, create_model, register
from trichometry.models.registry import family, family_of_model, unregister, variant_names

SRC = Path(__file__).resolve().parents[2] / "src" / "trichometry"


class ToyNet(nn.Module):
    """One strided convolution: seven channels at stride 4, read like the frame network's."""

    stride = 4

    def __init__(self, channels: int = 7) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, channels, 4, 4)
        with torch.no_grad():
            self.conv.bias.zero_()
            self.conv.bias[3:5] = 2.5  # boxes of about 12 px

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        x = nn.functional.pad(x, (0, (-w) % 4, 0, (-h) % 4), mode="replicate")
        return self.conv(x)

    def activate(self, raw: torch.Tensor) -> torch.Tensor:
        return torch.cat(
            [
                torch.sigmoid(raw[:, :1]),
                raw[:, 1:3],
                torch.exp(raw[:, 3:5].clamp(-2, 6)),
                torch.sigmoid(raw[:, 5:7]),
            ],
            1,
        )


@pytest.fixture
def toy():
    fam = register(
        Family(
            arch="toy",
            network=ToyNet,
            variants={"toy_v": {"channels": 7}},
            heads=FRAME_HEADS,
            decode=decode_frame,
            training="trichometry.training.frame_hooks:HOOKS",
        )
    )
    yield fam
    unregister("toy")


def test_a_registered_family_trains_calibrates_analyses_and_compares(toy, tmp_path: Path) -> None:
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from omegaconf import open_dict

    from trichometry.analysis import analyze
    from trichometry.cli.compare import run_compare
    from trichometry.models import load_checkpoint
    from trichometry.synth import generate_sample
    from trichometry.training import register_configs, train
    from trichometry.training.calibrate_candidates import calibrate_candidates

    assert "toy_v" in variant_names() and family_of_model(create_model("toy_v")) is toy
    register_configs()
    GlobalHydra.instance().clear()
    frames = [
        "debug=fast",
        "model.name=toy_v",
        "data=frames_fdu",
        "data.fdu_root=null",
        "data.synth_frames=4",
        "data.val_size=2",
        "data.frame_px=[64,96]",
        "data.um_per_px_range=[6.0,9.0]",
    ]
    with initialize_config_dir(config_dir=str(SRC.parents[1] / "configs"), version_base="1.3"):
        cfg = compose(config_name="train", overrides=frames)
    with open_dict(cfg):
        cfg.output_dir, cfg.data.cache_dir = str(tmp_path / "run"), str(tmp_path / "cache")
        cfg.trainer.num_threads = 1
    metrics = train(cfg)
    src = tmp_path / "run" / "checkpoints" / "last.pt"
    assert metrics["step"] == 2 and load_checkpoint(src)["model"]["arch"] == "toy"
    dst = tmp_path / "toy.pt"
    post = calibrate_candidates(src, dst, None, scenes=2, size=(96, 96), device="cpu", try_flips=False)
    assert "centre_threshold_raw" in post
    s = generate_sample(5, width=256, height=224, um_per_px=6.0, density_per_cm2=320.0)
    res = analyze(s.image, um_per_px=6.0, model=dst)
    assert res.measurement is not None and res.model["arch"] == "toy"
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    Image.fromarray(s.image).save(a)
    Image.fromarray(s.image).save(b)  # the same field again: it registers whatever the toy finds
    rec = run_compare(str(a), str(b), str(tmp_path / "cmp"), um_per_px=6.0, checkpoint=str(dst))
    assert rec["inputs"]["checkpoint"] == str(dst) and (tmp_path / "cmp" / "compare.json").is_file()


def test_unknown_family_and_clashing_variants_are_clear_errors(toy) -> None:
    with pytest.raises(ConfigError, match="unknown network architecture"):
        family("nope")
    with pytest.raises(ConfigError, match="already belong"):
        register(Family(arch="other", network=ToyNet, variants={"toy_v": {}}, heads=FRAME_HEADS))
    with pytest.raises(ConfigError, match="not a registered"):
        family_of_model(nn.Linear(2, 2))


def test_no_family_switch_outside_the_registry() -> None:
    """Code asks the registry, never which family it holds."""
    pattern = re.compile(r"arch\s*[!=]=|isinstance\([^)]*(Net|Predictor)\b")
    hits = [
        f"{p.relative_to(SRC)}:{i}"
        for p in SRC.rglob("*.py")
        if p.name != "registry.py"
        for i, line in enumerate(p.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert hits == []
