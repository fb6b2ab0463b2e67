"""Typed training configuration: dataclasses registered in Hydra's ConfigStore.

``configs/train.yaml`` starts its defaults list with ``train_schema`` (the
:class:`TrainConfig` below), so every option file in ``configs/<group>/`` is merged into
a typed node: a misspelt key or a wrong type fails at composition with Hydra's error
naming the key. Groups: ``data``, ``model``, ``augmentation``, ``optim``, ``trainer``,
``experiment`` (overrides only), ``debug`` (overrides only).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hydra.core.config_store import ConfigStore


@dataclass
class DataConfig:
    """Where training images come from."""

    name: str = "synth_cached"
    train_size: int = 1000  # synthetic training scenes (cached: generated once)
    val_size: int = 48  # held-out synthetic scenes (other seeds) for validation
    scene_px: int = 256  # side of each generated scene, in canonical pixels
    crop_px: int = 192  # training crop side (canonical px)
    canonical_um_per_px: float = 3.0  # the scale the network works at
    um_per_px_range: tuple[float, float] = (2.0, 4.5)  # scenes are drawn at these scales, then resampled
    density_per_cm2: tuple[float, float] = (120.0, 450.0)  # denser than scalp average: more signal per crop
    synth_overrides: dict[str, Any] = field(default_factory=dict)  # any SceneRanges field
    online: bool = False  # True: generate every item on the fly, no cache
    cache_dir: str | None = None  # None: <run dir>/cache (reuse across runs by setting a path)
    disk_root: str | None = None  # a data set in the project's format (trichometry.data): use its
    # train/val `hairs` images instead of generating scenes
    fdu_root: str | None = None  # a Pascal-VOC box set (e.g. FDU) for weak supervision; None = off
    fdu_um_per_px: float = 2.8
    fdu_fraction: float = 0.0  # share of training items drawn from the box set
    fdu_border_ignore_px: int = 24  # unlabelled hairs cut by the frame: no supervision near it
    # root pseudo-labels of the boxes (python -m trichometry.training.pseudolabel): where a
    # box has one, its root is a positive exit point and its tip a certain negative
    fdu_roots: str | None = None
    heatmap_sigma_px: float = 2.0  # exit-point Gaussian sigma (canonical px); the minimum when scaled
    heatmap_sigma_per_diameter: float = 0.0  # > 0: sigma = this x the hair's diameter (canonical px)
    heatmap_sigma_max_px: float = 6.0  # upper limit of the scaled sigma
    # frame family (variants frame_*): see trichometry.training.frame_hooks
    fdu_holdout_every: int = 10  # every n-th train id (sorted) is a tune image: never fitted
    frame_px: tuple[int, int] = (352, 448)  # (H, W) of each training view, canonical px
    frame_scale: tuple[float, float] = (0.8, 1.25)  # views rescaled log-uniformly within this
    synth_frames: int = 0  # generated scenes added to the real frames (roots known)
    centre_sigma_per_length: float = 0.08  # centre Gaussian sigma / segment length (cells)
    centre_sigma_min: float = 0.7  # ... at least (cells)
    centre_sigma_max: float = 1.6  # ... at most (cells): a unit's centres stay separate peaks
    num_workers: int = 0
    seed: int = 0


@dataclass
class ModelConfig:
    """Which network: a variant of :mod:`trichometry.models.factory`."""

    name: str = "tiny"
    # copy published ImageNet weights into the encoder when a fresh run starts (frame_l0;
    # needs the ``pretrained`` extra); the checkpoint then holds every weight
    pretrained: bool = False
    diameter_scale: float = 10.0
    # > 0: a full-resolution correction of the exit / diameter channel with this many
    # channels (models.net.RefineBranch); train it alone with trainer.train_only
    exit_branch: int = 0
    diameter_branch: int = 0


@dataclass
class AugmentationConfig:
    """albumentations pipeline applied to image, masks and exit points together."""

    name: str = "light"
    flips: bool = True  # horizontal / vertical flips and 90-degree rotations
    brightness_contrast: float = 0.15  # limit of random brightness and contrast
    hue_saturation: float = 0.0  # colour jitter strength (0 = off)
    blur_p: float = 0.0  # probability of a small Gaussian blur
    noise_p: float = 0.0  # probability of Gaussian noise
    jpeg_p: float = 0.0  # probability of JPEG re-compression


@dataclass
class LossConfig:
    """Weights of the three heads' losses."""

    shaft: float = 1.0  # BCE + soft Dice on certain pixels
    exit: float = 1.0  # exit-point heatmap loss (see exit_kind)
    exit_kind: str = "focal"  # focal (CenterNet) | weighted_bce (soft Gaussian targets, faster start)
    exit_pos_weight: float = 50.0  # weighted_bce: extra weight per unit of target near each peak
    diameter: float = 0.1  # L1 on shaft pixels (canonical px)
    box_mil: float = 0.5  # weak boxes: one exit peak near a diagonal end of each box
    # frame family (frame_*): see trichometry.training.frame_loss
    centre: float = 1.0  # CenterNet focal loss of the box-centre heatmap
    offset: float = 1.0  # L1 of the sub-cell centre offset
    size: float = 0.5  # L1 of the log box size
    diagonal: float = 0.5  # BCE of which diagonal the shaft follows
    root: float = 0.5  # BCE of which end is the root, where known (generated scenes)


@dataclass
class OptimConfig:
    """Optimiser and learning-rate schedule."""

    name: str = "adamw"  # adamw | sgd
    lr: float = 2e-3
    weight_decay: float = 1e-4
    momentum: float = 0.9  # sgd only
    scheduler: str = "cosine"  # cosine | constant
    warmup_steps: int = 50
    grad_clip: float = 5.0  # max gradient norm (0 = off)


@dataclass
class TrainerConfig:
    """How long, where and how to run."""

    name: str = "cpu"
    max_steps: int = 2000
    max_minutes: float | None = None  # wall-clock budget: validate, save and stop when it is spent
    batch_size: int = 8
    val_every: int = 250  # steps between validations (and checkpoints)
    log_every: int = 10
    device: str = "auto"  # auto | cpu | cuda
    amp: bool = True  # mixed precision (only used on CUDA)
    num_threads: int = 0  # torch CPU threads (0 = torch default)
    resume: str | None = None  # checkpoint to continue from (path)
    # start from another checkpoint's weights (new modules keep their initialisation); the
    # step count and optimiser start afresh; "shipped": the package's default detector
    init_from: str | None = None
    train_only: list[str] = field(default_factory=list)  # top-level modules that learn; [] = all
    progress: bool = True  # tqdm bar
    tensorboard: bool = False  # also log to TensorBoard when installed


@dataclass
class TrainConfig:
    """Everything a training run needs; see ``configs/train.yaml``."""

    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    augmentation: AugmentationConfig = field(default_factory=AugmentationConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    trainer: TrainerConfig = field(default_factory=TrainerConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    seed: int = 0
    run_name: str = "hairnet"
    output_dir: str | None = None  # None: Hydra's run directory (or the current folder)


def register_configs() -> None:
    """Put the schema into Hydra's ConfigStore (idempotent)."""
    ConfigStore.instance().store(name="train_schema", node=TrainConfig)


register_configs()
