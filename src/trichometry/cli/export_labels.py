"""``trichometry export-labels``: a clinic's reviewed hairs as VOC + COCO training data."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("export-labels")
@click.argument("db")
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--um-per-px", default=2.8, show_default=True, type=float,
              help="Scale every exported photo is resampled to (2.8: the FDU set's).")  # fmt: skip
@click.option("--all", "all_photos", is_flag=True, help="Every analysed photo, not only reviewed ones.")
@click.option("--overwrite", is_flag=True, help="Replace an existing OUT (once the new one is complete).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def command(db: str, out: Path, um_per_px: float, all_photos: bool, overwrite: bool, quiet: bool) -> None:
    """Write the reviewed hairs of the clinic store DB (a SQLite file or a PostgreSQL URL)
    to OUT as Pascal VOC (images/, annotations/, splits/) and COCO (coco.json).

    Fine-tune on it with: python train.py experiment=finetune_reviewed data.fdu_root=OUT
    """
    from trichometry.data.export_labels import export_labels
    from trichometry.reports.store_source import open_store

    store = open_store(db)
    try:
        report = export_labels(
            store,
            out,
            um_per_px=um_per_px,
            reviewed_only=not all_photos,
            overwrite=overwrite,
            progress=not quiet,
        )
    finally:
        store.close()
    skipped = ", ".join(f"{k} {v}" for k, v in report.skipped.items()) or "none"
    click.echo(f"exported {report.images} photos with {report.hairs} hairs to {out} (skipped: {skipped})")
