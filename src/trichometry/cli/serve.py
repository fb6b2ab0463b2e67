"""``trichometry serve``: run the clinic web service (uvicorn).

On start the database is created or migrated, a first site ``MAIN`` is created when
none exists, and a first ``admin`` user when none exists: its password comes from
``$TRICHOMETRY_ADMIN_PASSWORD`` or is generated and printed once.
"""

from __future__ import annotations

import logging

import click

log = logging.getLogger(__name__)


@click.command(name="serve")
@click.option(
    "--db",
    "db_url",
    default=None,
    metavar="URL",
    help="Database URL (default: $TRICHOMETRY_DB, else SQLite in the data folder), "
    "e.g. postgresql+psycopg://user:pw@host/db.",
)
@click.option(
    "--data",
    "data_dir",
    default=None,
    metavar="DIR",
    help="Data folder for images and the SQLite file (default: $TRICHOMETRY_DATA or ./trichometry-data).",
)
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback only by default)."
)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--method",
    type=click.Choice(["model", "classical"]),
    default="model",
    show_default=True,
    help="Hair detector for new analyses.",
)
@click.option(
    "--checkpoint",
    default=None,
    metavar="PATH",
    help="Model checkpoint for --method model (default: the shipped model or $TRICHOMETRY_MODEL).",
)
@click.option(
    "--max-upload-mb",
    default=50,
    show_default=True,
    type=click.IntRange(1, 2000),
    help="Largest photo accepted (HTTP 413 above).",
)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64), help="Analyses at once.")
@click.option(
    "--https-only", is_flag=True, help="Send the session cookie over HTTPS only (behind a TLS proxy)."
)
@click.option(
    "--scrub-originals",
    is_flag=True,
    help="Keep a PNG rebuilt from the pixels instead of each uploaded file (drops EXIF/XMP/IPTC/text).",
)
def command(
    db_url, data_dir, host, port, method, checkpoint, max_upload_mb, workers, https_only, scrub_originals
) -> None:
    """Start the clinic web service (pages at /, JSON API at /api, API docs at /docs)."""
    import uvicorn

    from trichometry.clinic.analysis import AnalysisSettings
    from trichometry.store import Store
    from trichometry.web.app import ServiceSettings, create_app

    settings = ServiceSettings(
        analysis=AnalysisSettings(method=method, checkpoint=checkpoint),
        max_upload_bytes=max_upload_mb * 1024 * 1024,
        workers=workers,
        https_only=https_only,
    )
    store = Store.open(data_dir, db_url)
    store.keep_originals = not scrub_originals
    if not store.list_sites():
        store.create_site("MAIN", "Main site")
    admin, password = store.ensure_admin()
    if password:
        click.echo(
            f"Created the first administrator: user '{admin.username}', password '{password}'. "
            "It is shown only this once; store it safely "
            "(or set TRICHOMETRY_ADMIN_PASSWORD before the first start)."
        )
    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(
            f"Warning: listening on {host}, reachable from other machines; put it behind HTTPS.", err=True
        )
    click.echo(f"Data folder: {store.data_dir}. Open http://{host}:{port}/ (Ctrl+C stops).")
    uvicorn.run(create_app(store, settings), host=host, port=port, log_level="info")
