from __future__ import annotations

from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.errors import ConfigCompositionException
from omegaconf import OmegaConf, open_dict

from trichometry.errors import ConfigError
from trichometry.models import create_model
from trichometry.models.registry import family_of_variant
from trichometry.training.config import TrainConfig, register_configs
from trichometry.training.loop import build_optimizer
from trichometry.training.run import _as_config
from trichometry.training.transforms import build_transform

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
GROUPS = ["data", "model", "augmentation", "optim", "trainer", "experiment", "debug"]


def _options(group: str) -> list[str]:
    return sorted(p.stem for p in (CONFIGS / group).glob("*.yaml"))


def _compose(overrides: list[str]):
    register_configs()
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONFIGS), version_base="1.3"):
        return compose(config_name="train", overrides=overrides)


@pytest.mark.parametrize("group", GROUPS)
def test_every_group_has_two_real_options(group: str) -> None:
    assert len(_options(group)) >= 2


@pytest.mark.parametrize(("group", "option"), [(g, o) for g in GROUPS for o in _options(g)])
def test_every_option_composes_and_builds(group: str, option: str) -> None:
    extra = ["data.disk_root=/some/set"] if option == "synth_disk" else []
    cfg = _compose(
        [f"{group}={option}", *extra] if group == "data" else [f"{group}={option}", "data.fdu_root=null"]
    )
    with open_dict(cfg):  # shrink: nothing here may be slow
        cfg.trainer.max_steps = 2
    tc, plain = _as_config(cfg)
    assert isinstance(tc, TrainConfig) and plain["trainer"]["max_steps"] == 2
    hooks = family_of_variant(tc.model.name).hooks()
    model = create_model(tc.model.name, **hooks.model_overrides(tc))
    build_optimizer(tc, model)
    build_transform(tc.augmentation, tc.data.crop_px, train=True)


def test_defaults_list_has_empty_experiment_and_debug_slots() -> None:
    cfg = _compose([])
    assert cfg.model.name == "tiny" and cfg.data.name == "synth_cached" and cfg.run_name == "hairnet"
    raw = OmegaConf.load(CONFIGS / "train.yaml")
    assert {"experiment": None} in raw.defaults and {"debug": None} in raw.defaults


def test_experiment_overrides_groups() -> None:
    cfg = _compose(["experiment=gpu_base"])
    assert cfg.model.name == "base" and cfg.trainer.device == "cuda" and cfg.data.online


def test_box_root_labels_are_a_typed_data_option() -> None:
    cfg, _ = _as_config(_compose(["experiment=shipped_cpu", "data.fdu_roots=/tmp/roots.json"]))
    assert cfg.data.fdu_roots == "/tmp/roots.json" and cfg.data.fdu_fraction == 0.25
    assert _as_config(_compose([]))[0].data.fdu_roots is None


@pytest.mark.parametrize(
    "override",
    ["trainer.max_stepz=3", "model=tinny", "optim.lr=fast", "data.crop_pixels=64"],
)
def test_config_typo_is_a_clear_composition_error(override: str) -> None:
    with pytest.raises(ConfigCompositionException) as info:
        _compose([override])
    key = override.split("=")[0].split(".")[-1] if "=" in override else override
    assert key in str(info.value) or key in str(info.value.__cause__)


def test_unknown_model_name_and_optimiser_are_config_errors() -> None:
    cfg = _compose(["model.name=huge", "optim.name=lion"])
    tc, _ = _as_config(cfg)
    with pytest.raises(ConfigError, match="valid variants"):
        create_model(tc.model.name)
    with pytest.raises(ConfigError, match="adamw"):
        build_optimizer(tc, create_model("tiny"))
