"""``trichometry backup DEST`` and ``trichometry restore SRC`` (see :mod:`trichometry.store.backup`)."""

from __future__ import annotations

from pathlib import Path

import click

DB = click.option(
    "--db", "db_url", default=None, metavar="URL", help="Database URL (default: $TRICHOMETRY_DB)."
)
DATA = click.option(
    "--data", "data_dir", default=None, metavar="DIR", help="Data folder (default: $TRICHOMETRY_DATA)."
)


@click.command("backup")
@click.argument("dest", type=click.Path(path_type=Path))
@DB
@DATA
def command(dest: Path, db_url: str | None, data_dir: str | None) -> None:
    """Back up the clinic store into the new folder DEST: a consistent database snapshot
    (also while the service writes), every stored file, and a manifest of SHA-256 sums."""
    from trichometry.store import Store
    from trichometry.store.backup import backup

    store = Store.open(data_dir, db_url, migrate=False)
    try:
        r = backup(store, dest)
    finally:
        store.close()
    click.echo(
        f"backed up {r.database} with {sum(r.counts.values())} records ({r.counts.get('audit_log', 0)} audit "
        f"events, head {str(r.audit_head)[:16]}) and {r.blobs} files ({r.bytes / 1e6:.1f} MB) to {dest}"
    )


@click.command("restore")
@click.argument("src", type=click.Path(path_type=Path, exists=True, file_okay=False))
@DB
@DATA
def restore_command(src: Path, db_url: str | None, data_dir: str | None) -> None:
    """Restore the backup SRC into an empty data folder (and database), then verify every
    file's SHA-256, the audit chain and the record counts before reporting success."""
    import os

    from trichometry.store.engine import DATA_ENV, DEFAULT_DATA_DIR
    from trichometry.store.restore import restore

    target = Path(data_dir or os.environ.get(DATA_ENV) or DEFAULT_DATA_DIR)
    r = restore(src, target, db_url)
    click.echo(
        f"restored and verified: {sum(r.counts.values())} records, audit chain intact to "
        f"{str(r.audit_head)[:16]}, {r.blobs} files re-hashed, into {target}"
    )
