"""Typed configuration of ``evaluate.py`` (registered in Hydra's ConfigStore).

``configs/evaluate.yaml`` composes :class:`EvaluateConfig` with one option of the
``eval/data`` group (``generated`` or ``dataset``); every field can be overridden on the
command line, e.g. ``python evaluate.py methods=[truth,classical] data.n_subjects=4``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from trichometry.errors import ConfigError
from trichometry.evaluation.cohort import CohortConfig
from trichometry.evaluation.detectors import METHODS
from trichometry.visits import DEFAULT_WINDOWS, MatchConfig, RegistrationConfig, VisitWindow, check_windows


@dataclass
class DataConfig:
    """Where the evaluated subjects come from."""

    source: str = "generated"  # "generated" (drawn on the fly) or "dataset" (on-disk format)
    root: str | None = None  # data set folder when source == "dataset"
    split: str = "test"  # split of the data set
    n_subjects: int = 8  # generated: subjects
    seed_start: int = 900_000  # generated: first seed (training must stay below it)
    photos_per_visit: int = 2  # generated: repeated photos of the area per visit
    visits: list[str] = field(default_factory=lambda: ["baseline", "2w", "1m", "3m", "6m"])  # generated
    um_per_px: float = 8.0  # generated: camera scale
    width: int = 1280  # generated: frame width (px)
    height: int = 1024  # generated: frame height (px)
    shift_sd_um: float = 100.0  # generated: camera re-positioning spread (each axis, um)
    rotation_sd_deg: float = 3.0  # generated: camera rotation spread between photos
    overlays: bool = False  # generated: burned-in overlays as in real images


@dataclass
class WindowConfig:
    name: str = "???"
    centre_day: float = 0.0
    tolerance_days: float = 0.0


@dataclass
class EvaluateConfig:
    """Everything ``evaluate.py`` needs; the report goes to ``out_dir``."""

    data: DataConfig = field(default_factory=DataConfig)
    methods: list[str] = field(default_factory=lambda: ["truth", "classical"])
    checkpoint: str | None = None  # "model" method: checkpoint path (None: the shipped model)
    radius_um: float = 30.0  # exit-point detection: true positive within this distance
    match_distance_um: float = 60.0  # hair-to-hair matching distance
    registration_tolerance_um: float = 30.0  # registration inlier distance
    thickness_change_um: float = 5.0  # thickened / thinned beyond this
    # Count only in the tattooed target circle: radius = this x the photo's shorter side,
    # around the baseline photo's centre (0.4 = synth.longitudinal's target circle); null = common field.
    roi_radius_fraction: float | None = 0.4
    # several photos per visit: "consensus" (the photos vote on each hair, one comparison
    # per visit) or "pairs" (mean change over every baseline x follow-up photo pair)
    visit_combine: str = "consensus"
    windows: list[WindowConfig] = field(
        default_factory=lambda: [
            WindowConfig(w.name, w.centre_day, w.tolerance_days) for w in DEFAULT_WINDOWS
        ]
    )
    perturb_miss: float = 0.05  # "perturbed" method: share of true hairs missed per photo
    perturb_extra: float = 0.05  # "perturbed" method: false detections per true hair
    perturb_jitter_um: float = 8.0  # "perturbed" method: exit-point jitter (SD per axis)
    out_dir: str = "."  # Hydra runs in its own output folder; "." writes there
    title: str = "trichometry evaluation"


def to_objects(
    cfg: Any,
) -> tuple[CohortConfig, list[str], tuple[VisitWindow, ...], RegistrationConfig, MatchConfig]:
    """Turn a (DictConfig or dataclass) :class:`EvaluateConfig` into library objects.

    Raises:
        ConfigError: unknown method, bad windows or out-of-range values.
    """
    methods = [str(m) for m in cfg.methods]
    bad = [m for m in methods if m not in METHODS]
    if bad or not methods:
        raise ConfigError(f"unknown method(s) {bad or '[]'}; use some of: {', '.join(METHODS)}.")
    d = cfg.data
    if d.source not in ("generated", "dataset"):
        raise ConfigError(f"data.source must be 'generated' or 'dataset', got {d.source!r}.")
    if d.source == "dataset" and not d.root:
        raise ConfigError("data.source=dataset needs data.root=FOLDER (a data set in the project's format).")
    if d.n_subjects < 1 or d.photos_per_visit < 1:
        raise ConfigError("data.n_subjects and data.photos_per_visit must be >= 1.")
    visits = [str(v) for v in d.visits]
    if len(visits) < 2 or visits[0] != "baseline":
        raise ConfigError(f"data.visits must start with 'baseline' and have a follow-up, got {visits}.")
    cohort = CohortConfig(
        n_subjects=int(d.n_subjects),
        seed_start=int(d.seed_start),
        visits=tuple(visits),
        photos_per_visit=int(d.photos_per_visit),
        um_per_px=float(d.um_per_px),
        width=int(d.width),
        height=int(d.height),
        shift_sd_um=float(d.shift_sd_um),
        rotation_sd_deg=float(d.rotation_sd_deg),
        overlays=bool(d.overlays),
    )
    windows = check_windows([VisitWindow(str(w.name), float(w.centre_day), float(w.tolerance_days))
                             for w in cfg.windows])  # fmt: skip
    reg = RegistrationConfig(tolerance_um=float(cfg.registration_tolerance_um))
    match = MatchConfig(max_distance_um=float(cfg.match_distance_um),
                        thickness_change_um=float(cfg.thickness_change_um))  # fmt: skip
    if not (0 <= cfg.perturb_miss < 1 and cfg.perturb_extra >= 0 and cfg.perturb_jitter_um >= 0):
        raise ConfigError("perturb_miss must be in [0, 1); perturb_extra and perturb_jitter_um must be >= 0.")
    roi = cfg.roi_radius_fraction
    if roi is not None and not 0 < float(roi) <= 0.5:
        raise ConfigError(f"roi_radius_fraction must be in (0, 0.5] or null, got {roi}.")
    if str(cfg.visit_combine) not in ("consensus", "pairs"):
        raise ConfigError(f"visit_combine must be 'consensus' or 'pairs', got {cfg.visit_combine!r}.")
    if cfg.radius_um <= 0:
        raise ConfigError(f"radius_um must be > 0, got {cfg.radius_um}.")
    return cohort, methods, windows, reg, match


def register_configs() -> None:
    """Register the schema in Hydra's ConfigStore (``evaluate_schema``, ``eval/data``)."""
    from hydra.core.config_store import ConfigStore

    cs = ConfigStore.instance()
    cs.store(name="evaluate_schema", node=EvaluateConfig)
    cs.store(group="eval/data", name="schema_data", node=DataConfig)
