"""``trichometry demo``: the whole pipeline on a generated cohort and the shipped model.

Generates 2 subjects (treated, control) x 3 visits, analyses every photo, compares the
follow-ups with baseline hair to hair, writes a trial report, fills a clinic database,
and prints the measured numbers next to the generator's truth. The work is done by
:mod:`trichometry.demo`; this module only prints.
"""

from __future__ import annotations

from pathlib import Path

import click

DEFAULT_OUT = Path("trichometry-demo")


def _num(v: float | None, fmt: str) -> str:
    return "-" if v is None or v != v else format(v, fmt)


def image_table(images) -> str:
    head = (
        f"{'subject':<8} {'arm':<8} {'visit':<9} {'hairs':>11} {'density/cm2':>15} "
        f"{'thickness um':>12} {'quality':<7}"
    )
    lines = [head, f"{'':<27} {'true  found':>11} {'true   found':>15}", "-" * len(head)]
    for r in images:
        lines.append(
            f"{r.subject:<8} {r.arm:<8} {r.visit:<9} {r.true_count:>5} {_num(r.count, '>5')} "
            f"{r.true_density_per_cm2:>7.1f} {_num(r.density_per_cm2, '>7.1f')} "
            f"{_num(r.mean_thickness_um, '>12.1f')} {r.quality:<7}"
        )
    return "\n".join(lines)


def change_table(changes) -> str:
    head = f"{'subject':<8} {'visit':<6} {'matched':>7} {'lost':>5} {'new':>5} {'change %':>9} {'true %':>8}"
    lines = [head, "-" * len(head)]
    for c in changes:
        lines.append(
            f"{c.subject:<8} {c.visit:<6} {c.matched:>7} {c.lost:>5} {c.new:>5} "
            f"{_num(c.density_change_pct, '>+9.1f')} {_num(c.true_density_change_pct, '>+8.1f')}"
        )
    return "\n".join(lines)


@click.command("demo")
@click.option(
    "--out",
    "out",
    default=DEFAULT_OUT,
    show_default=True,
    type=click.Path(path_type=Path),
    help="Folder for everything the demo writes (an earlier demo there is replaced).",
)
@click.option("--seed", default=0, show_default=True, type=click.IntRange(0, 2**63 - 1))
@click.option("--method", type=click.Choice(["model", "classical"]), default="model", show_default=True)
@click.option(
    "--model", "model", default=None, metavar="PATH", help="Checkpoint (default: the shipped model)."
)
@click.option("--quiet", is_flag=True, help="No progress bars.")
def command(out: Path, seed: int, method: str, model: str | None, quiet: bool) -> None:
    """Run the whole pipeline on a generated cohort and show the numbers next to the truth."""
    from trichometry.demo import run_demo

    result = run_demo(out, seed=seed, method=method, model=model, progress=not quiet, say=click.echo)
    click.echo("\nPer photo (truth from the generator; thickness: mean shaft diameter)\n")
    click.echo(image_table(result.images))
    click.echo("\nFollow-up vs baseline, hair to hair (density change in the common field)\n")
    click.echo(change_table(result.changes))
    click.echo(
        f"\nWritten to {out.resolve()}:\n"
        f"  cohort/     generated photos with exact truth (format: data/README.md)\n"
        f"  results/    per-photo JSON, overlays and measurements.csv (trichometry analyze)\n"
        f"  compare/    hair-to-hair comparisons with overlays (trichometry compare)\n"
        f"  {', '.join(p.name for p in result.reports)}   coordinator's trial report (trichometry report)\n"
        f"  clinic/     the clinic database with every photo and analysis\n"
    )
    password = result.admin_password or "(unchanged from the earlier demo)"
    click.echo(
        "Open the web app:\n"
        f"  trichometry serve --data {result.clinic_dir}\n"
        f"  then browse http://127.0.0.1:8000 and log in as admin / {password}"
    )
