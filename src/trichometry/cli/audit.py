"""``trichometry audit verify``: prove that the store has not been edited behind its back.

Checks, in order, and exits non-zero at the first failure:

1. the database's own integrity (``PRAGMA integrity_check`` on SQLite);
2. the audit log's hash chain (every event hashes its content and the previous hash, so a
   raw SQL edit, insert or delete in the middle breaks it);
3. with ``--expect-head HASH``: that an event with this hash (noted earlier, e.g. in a
   monitoring system or a signed e-mail) is still in the chain, which also catches rows
   deleted from the end;
4. with ``--files``: every stored image and overlay is re-hashed against its SHA-256 name.

The head hash printed on success is the value to keep for the next ``--expect-head``.
"""

from __future__ import annotations

import logging

import click

log = logging.getLogger(__name__)


@click.group(name="audit")
def command() -> None:
    """Check the audit trail and stored files of a clinic store."""


@command.command(name="verify")
@click.option("--db", "db_url", default=None, metavar="URL", help="Database URL (default: $TRICHOMETRY_DB).")
@click.option(
    "--data", "data_dir", default=None, metavar="DIR", help="Data folder (default: $TRICHOMETRY_DATA)."
)
@click.option(
    "--expect-head",
    default=None,
    metavar="HASH",
    help="An audit hash noted earlier; it must still be in the chain (detects deleted newest events).",
)
@click.option("--files", "check_files", is_flag=True, help="Also re-hash every stored image and overlay.")
def verify(db_url: str | None, data_dir: str | None, expect_head: str | None, check_files: bool) -> None:
    """Verify the database, the audit hash chain and (optionally) every stored file."""
    from sqlalchemy import text

    from trichometry.store import NotFound, Store, StoreCorrupt

    store = Store.open(data_dir, db_url, migrate=False)
    try:
        if store.engine.dialect.name == "sqlite":
            with store.engine.connect() as conn:
                status = conn.execute(text("PRAGMA integrity_check")).scalar()
            if status != "ok":
                raise click.ClickException(
                    f"the SQLite database is damaged ({status}); restore it from the last backup."
                )
        ok, bad = store.verify_audit()
        if not ok:
            raise click.ClickException(
                f"the audit log was altered: event {bad} does not match its hash chain. Records from that "
                "event on cannot be trusted; compare with the last backup and report it to the sponsor."
            )
        state = store.audit_state(expect_head)
        n_events, head, hashes = state["events"], state["head"], state["file_hashes"]
        if expect_head and not state["expect_head_found"]:
            raise click.ClickException(
                f"the audit hash {expect_head[:16]}... noted earlier is no longer in the chain: "
                "events were deleted. Restore the database from the last backup and report it."
            )
        n_files = 0
        if check_files:
            for sha in sorted(hashes):
                try:
                    store.blobs.read(sha)
                except (StoreCorrupt, NotFound) as exc:
                    raise click.ClickException(str(exc)) from exc
                n_files += 1
        click.echo(f"audit chain ok: {n_events} events, head {head or '-'}")
        if check_files:
            click.echo(f"files ok: {n_files} stored files match their SHA-256")
    finally:
        store.close()


@command.command(name="sweep")
@click.option("--db", "db_url", default=None, metavar="URL", help="Database URL (default: $TRICHOMETRY_DB).")
@click.option(
    "--data", "data_dir", default=None, metavar="DIR", help="Data folder (default: $TRICHOMETRY_DATA)."
)
@click.option(
    "--min-age-s",
    default=3600.0,
    show_default=True,
    type=click.FloatRange(0),
    help="Only files older than this (uploads in flight elsewhere are younger).",
)
@click.option("--dry-run", is_flag=True, help="List what would be removed, remove nothing.")
def sweep_command(db_url: str | None, data_dir: str | None, min_age_s: float, dry_run: bool) -> None:
    """Remove temporaries and unreferenced files left by a crashed or killed process."""
    from trichometry.store import Store
    from trichometry.store.recovery import sweep

    store = Store.open(data_dir, db_url, migrate=False)
    try:
        report = sweep(store, min_age_s=min_age_s, dry_run=dry_run)
    finally:
        store.close()
    verb = "would remove" if dry_run else "removed"
    click.echo(
        f"{verb} {len(report.temporaries)} stray temporaries and {len(report.orphans)} unreferenced files"
    )
