"""``trichometry import-voc``: import Pascal-VOC box data (e.g. the FDU set) into the format."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("import-voc")
@click.argument("src", type=click.Path(path_type=Path))
@click.option(
    "--out", "out", required=True, type=click.Path(path_type=Path), help="Data set folder to create."
)
@click.option("--um-per-px", default=2.8, show_default=True, type=float, help="Assumed scale of every image.")
@click.option(
    "--link/--copy",
    "link",
    default=False,
    show_default=True,
    help="Refer to the original images by absolute path instead of copying them.",
)
@click.option(
    "--default-split",
    default="train",
    show_default=True,
    type=click.Choice(["train", "val", "test"]),
    help="Split of images not listed in any split file.",
)
@click.option("--classes", default="", help="Comma-separated allowed labels (default: any).")
@click.option(
    "--overwrite", is_flag=True, help="Replace an existing --out folder (once the new one is complete)."
)
@click.option("--quiet", is_flag=True, help="No progress bar.")
def command(
    src: Path,
    out: Path,
    um_per_px: float,
    link: bool,
    default_split: str,
    classes: str,
    overwrite: bool,
    quiet: bool,
) -> None:
    """Import the VOC folder SRC (images/, annotations/, splits/) into --out.

    Swapped box corners are sorted, zero-size boxes dropped as degenerate, boxes clipped
    to the frame. Nothing is written unless every file imports cleanly.
    """
    from trichometry.data.voc import import_voc

    allowed = tuple(c.strip() for c in classes.split(",") if c.strip()) or None
    report = import_voc(
        src,
        out,
        um_per_px=um_per_px,
        copy_images=not link,
        default_split=default_split,
        classes=allowed,
        overwrite=overwrite,
        progress=not quiet,
    )
    splits = ", ".join(f"{k} {v}" for k, v in report.per_split.items())
    labels = ", ".join(f"{k} {v}" for k, v in report.per_label.items()) or "none"
    dropped = ", ".join(f"{k} {v}" for k, v in report.dropped.items()) or "none"
    click.echo(f"imported {report.images} images ({splits}) with {report.boxes} boxes to {out}")
    click.echo(f"labels: {labels}; swapped corners sorted: {report.swapped}; dropped: {dropped}")
