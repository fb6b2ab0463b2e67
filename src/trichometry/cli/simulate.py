"""``trichometry simulate``: write a synthetic longitudinal cohort in the data set format."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from trichometry.errors import ConfigError

# kept in step with trichometry.synth.ranges (PRESETS, STYLES) by tests/cli/test_simulate.py;
# listed here so that building the command does not import the generator
_PRESET_NAMES = ["clinic_20x", "default", "fdu_like", "heldout_style", "trial_70x"]
_STYLE_NAMES = ["standard", "heldout"]


def parse_set_option(items: tuple[str, ...]) -> dict[str, Any]:
    """Parse ``--set`` items: ``density_per_cm2=150,250`` -> ``{"density_per_cm2": (150.0, 250.0)}``.

    Raises:
        ConfigError: an item without ``=`` or with a non-numeric value.
    """
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ConfigError(f"--set {item!r} must look like NAME=VALUE or NAME=LOW,HIGH.")
        try:
            nums = [float(v) for v in value.split(",")]
        except ValueError:
            raise ConfigError(f"--set {item!r}: {value!r} is not a number or LOW,HIGH pair.") from None
        if len(nums) not in (1, 2):
            raise ConfigError(f"--set {item!r}: give one value or a LOW,HIGH pair.")
        out[key] = nums[0] if len(nums) == 1 else (nums[0], nums[1])
    return out


def build_ranges(
    width: int | None,
    height: int | None,
    um_per_px: float | None,
    sets: tuple[str, ...],
    preset: str | None = None,
    style: str | None = None,
):
    """Scene ranges from the command's options (``--width`` etc. fix a range to one value).

    ``preset`` starts from a named :data:`~trichometry.synth.ranges.PRESETS` entry instead
    of the defaults; ``style`` picks the rendering style (``heldout``: evaluation only).
    """
    from trichometry.synth.ranges import SceneRanges

    overrides = parse_set_option(sets)
    for key, value in (("width", width), ("height", height), ("um_per_px", um_per_px), ("style", style)):
        if value is not None:
            overrides[key] = value
    base = SceneRanges() if preset is None else SceneRanges.preset(preset)
    return base.with_overrides(**overrides), overrides


@click.command("simulate")
@click.option(
    "--out", "out", required=True, type=click.Path(path_type=Path), help="Data set folder to create."
)
@click.option("--subjects", "n_subjects", default=4, show_default=True, type=click.IntRange(1, 10000))
@click.option(
    "--visits",
    default="baseline,2w,1m,3m,6m",
    show_default=True,
    help="Visit names: baseline, Nd, Nw, Nm, Ny or dates YYYY-MM-DD.",
)
@click.option("--seed", default=0, show_default=True, type=click.IntRange(0, 2**63 - 1))
@click.option("--width", type=click.IntRange(16, 8192), help="Image width in pixels (default: generator's).")
@click.option(
    "--height", type=click.IntRange(16, 8192), help="Image height in pixels (default: generator's)."
)
@click.option("--um-per-px", type=float, help="Micrometres per pixel (default: drawn in 2-10).")
@click.option(
    "--preset",
    type=click.Choice(_PRESET_NAMES),
    help="Start from a named scene preset (heldout_style: the held-out rendering style, evaluation only).",
)
@click.option(
    "--style",
    type=click.Choice(_STYLE_NAMES),
    help="Rendering style (default: the preset's, else standard); heldout is for evaluation, never training.",
)
@click.option("--arms", default="treated,control", show_default=True, help="Arms, alternating over subjects.")
@click.option("--start-date", default="2025-01-06", show_default=True, help="Baseline date (YYYY-MM-DD).")
@click.option(
    "--clip/--no-clip", default=True, show_default=True, help="Clip the target area at every visit."
)
@click.option(
    "--clip-to-photo-days", default=0.0, show_default=True, type=float, help="Regrowth days before the photo."
)
@click.option(
    "--photos-per-visit",
    default=1,
    show_default=True,
    type=click.IntRange(1, 20),
    help="Re-positioned repeats.",
)
@click.option(
    "--split", default="auto", show_default=True, type=click.Choice(["auto", "train", "val", "test"])
)
@click.option("--val-fraction", default=0.1, show_default=True, type=float, help="With --split auto.")
@click.option("--test-fraction", default=0.1, show_default=True, type=float, help="With --split auto.")
@click.option(
    "--set",
    "sets",
    multiple=True,
    metavar="NAME=VALUE",
    help="Any scene range, e.g. density_per_cm2=150,250.",
)
@click.option(
    "--overwrite", is_flag=True, help="Replace an existing --out folder (once the new one is complete)."
)
@click.option("--quiet", is_flag=True, help="No progress bar.")
def command(
    out: Path,
    n_subjects: int,
    visits: str,
    seed: int,
    width: int | None,
    height: int | None,
    um_per_px: float | None,
    preset: str | None,
    style: str | None,
    arms: str,
    start_date: str,
    clip: bool,
    clip_to_photo_days: float,
    photos_per_visit: int,
    split: str,
    val_fraction: float,
    test_fraction: float,
    sets: tuple[str, ...],
    overwrite: bool,
    quiet: bool,
) -> None:
    """Write a synthetic cohort (subjects x visits) with exact truth to --out.

    Re-running with the same options writes byte-identical files. The folder appears
    complete or not at all.
    """
    from trichometry.data.cohort import assign_splits, write_cohort
    from trichometry.synth.longitudinal import VisitProtocol, iter_cohort

    ranges, overrides = build_ranges(width, height, um_per_px, sets, preset=preset, style=style)
    arm_list = tuple(a.strip() for a in arms.split(",") if a.strip())
    protocol = VisitProtocol(
        visits=tuple(v.strip() for v in visits.split(",")),
        start_date=start_date,
        clip=clip,
        clip_to_photo_days=clip_to_photo_days,
    )
    if split == "auto":
        splits: list[str] | str = assign_splits(
            n_subjects, seed, val_fraction=val_fraction, test_fraction=test_fraction
        )
    else:
        splits = split
    subjects = iter_cohort(n_subjects, seed, arms=arm_list, ranges=ranges, protocol=protocol)
    provenance = {
        "generator": "trichometry simulate",
        "seed": seed,
        "subjects": n_subjects,
        "arms": list(arm_list),
        "visits": list(protocol.visits),
        "start_date": start_date,
        "clip": clip,
        "clip_to_photo_days": clip_to_photo_days,
        "photos_per_visit": photos_per_visit,
        "scene_overrides": {k: list(v) if isinstance(v, tuple) else v for k, v in sorted(overrides.items())},
    }
    if preset is not None:  # only then, so folders written without one keep their bytes
        provenance["scene_preset"] = preset
    if ranges.style != "standard":
        provenance["style"] = ranges.style
    rows = write_cohort(
        out,
        subjects,
        n_subjects=n_subjects,
        splits=splits,
        provenance=provenance,
        overwrite=overwrite,
        progress=not quiet,
        total_images=n_subjects * len(protocol.visits) * photos_per_visit,
        photos_per_visit=photos_per_visit,
    )
    per_split = {s: sum(r.split == s for r in rows) for s in ("train", "val", "test")}
    click.echo(
        f"wrote {len(rows)} images of {n_subjects} subject(s) to {out} "
        f"(train {per_split['train']}, val {per_split['val']}, test {per_split['test']})"
    )
