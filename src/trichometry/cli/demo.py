"""``trichometry demo``: a small synthetic cohort in seconds, with a summary table.

The steps are small functions (:func:`make_demo_cohort`, :func:`summary_rows`,
:func:`format_table`) so later stages (analysis, comparison, report) can be appended to
:func:`run_demo` without touching the generation.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import click

from trichometry.errors import OutputError

DEFAULT_OUT = Path("trichometry-demo")
DEMO_SUBJECTS = 2
DEMO_VISITS = ("baseline", "1m", "6m")
DEMO_SCENE = {"width": 640, "height": 512, "um_per_px": 5.0, "density_per_cm2": (160.0, 240.0)}


@dataclass(frozen=True)
class DemoRow:
    """One line of the demo summary."""

    image_id: str
    subject: str
    arm: str
    visit: str
    day: int
    count: int
    density_per_cm2: float
    target_density_change_per_cm2: float


def _is_previous_dataset(path: Path) -> bool:
    try:
        info = json.loads((path / "dataset.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(info, dict) and info.get("format") == "trichometry-dataset"


def make_demo_cohort(out: Path, seed: int = 0, progress: bool = False) -> Path:
    """Write the demo cohort to ``out`` (replacing a previous demo there, nothing else).

    Raises:
        OutputError: ``out`` exists and is not a data set folder, or cannot be written.
    """
    from trichometry.data.cohort import write_cohort
    from trichometry.synth.longitudinal import VisitProtocol, iter_cohort
    from trichometry.synth.ranges import SceneRanges

    if out.exists() and not _is_previous_dataset(out):
        raise OutputError(f"{out} exists and is not a trichometry data set; choose another --out.")
    ranges = SceneRanges().with_overrides(**DEMO_SCENE)
    subjects = iter_cohort(DEMO_SUBJECTS, seed, ranges=ranges, protocol=VisitProtocol(visits=DEMO_VISITS))
    write_cohort(
        out,
        subjects,
        n_subjects=DEMO_SUBJECTS,
        splits="test",
        name="trichometry demo",
        provenance={"generator": "trichometry demo", "seed": seed},
        overwrite=True,
        progress=progress,
        total_images=DEMO_SUBJECTS * len(DEMO_VISITS),
    )
    return out


def summary_rows(root: Path) -> list[DemoRow]:
    """Per image: subject, arm, visit, true count and density (frame) and target-area change."""
    from trichometry.data.readers import Dataset
    from trichometry.synth.subject_truth import SubjectTruth

    ds = Dataset(root)
    truths = {s: SubjectTruth.from_dict(ds.subject_truth(s)) for s in ds.subjects()}
    rows = []
    for r in ds.rows:
        t = truths[r.subject]
        rows.append(
            DemoRow(
                image_id=r.image_id,
                subject=r.subject,
                arm=r.arm,
                visit=r.visit,
                day=r.days_since_baseline or 0,
                count=r.n_hairs,
                density_per_cm2=r.density_per_cm2,
                target_density_change_per_cm2=t.density_change_per_cm2(r.visit),
            )
        )
    return rows


def format_table(rows: list[DemoRow]) -> str:
    """A fixed-width text table of the rows."""
    head = (
        f"{'subject':<8} {'arm':<8} {'visit':<9} {'day':>4} {'hairs':>6} {'per cm2':>8} "
        f"{'true change/cm2':>16}"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(
            f"{r.subject:<8} {r.arm:<8} {r.visit:<9} {r.day:>4} {r.count:>6} "
            f"{r.density_per_cm2:>8.1f} {r.target_density_change_per_cm2:>+16.1f}"
        )
    return "\n".join(lines)


def run_demo(out: Path, seed: int = 0, progress: bool = True) -> list[DemoRow]:
    """Generate the cohort and echo a summary; extend here with analysis steps."""
    make_demo_cohort(out, seed, progress=progress)
    rows = summary_rows(out)
    click.echo(format_table(rows))
    click.echo(
        f"\n{len(rows)} images of {DEMO_SUBJECTS} subjects written to {out.resolve()}\n"
        "  hairs: true count in the frame; per cm2: frame density; true change: hair density change\n"
        "  since baseline in the tattooed target circle (subjects/<id>.json). Format: data/README.md"
    )
    return rows


@click.command("demo")
@click.option(
    "--out",
    "out",
    default=DEFAULT_OUT,
    show_default=True,
    type=click.Path(path_type=Path),
    help="Folder for the demo cohort (a previous demo there is replaced).",
)
@click.option("--seed", default=0, show_default=True, type=click.IntRange(0, 2**63 - 1))
@click.option("--quiet", is_flag=True, help="No progress bar.")
def command(out: Path, seed: int, quiet: bool) -> None:
    """Generate a small synthetic cohort (2 subjects x 3 visits) and summarise it."""
    run_demo(out, seed, progress=not quiet)
