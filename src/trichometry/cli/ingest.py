"""``trichometry ingest FOLDER --subject CODE --visit DATE|ID``: add a folder of photos.

The photos (JPEG/PNG/TIFF directly in FOLDER, or in a zip file given instead of a
folder, checked by :func:`trichometry.io.archive.read_zip` before anything is stored) are
stored in the clinic store under the subject's visit, analysed one by one, and the
results stored, exactly as an upload in the web app would. The subject and a visit on
DATE are created when missing. Bad files are reported and skipped (nothing of them is
stored); the exit code is 1 if any failed.
"""

from __future__ import annotations

import getpass
import logging
from pathlib import Path

import click

log = logging.getLogger(__name__)

SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff"}


def _resolve_visit(store, actor, subject, visit: str, target_site: str, arm: str | None):
    from trichometry.store import NotFound

    if visit.isdigit():
        found = store.get_visit(actor, int(visit))
        if found.subject_id != subject.id:
            raise NotFound(f"visit {visit} belongs to another subject; check --visit or --subject.")
        return found, False
    existing = store.find_visit(actor, subject.id, visit)
    if existing is not None:
        return existing, False
    return store.create_visit(actor, subject.id, visit, target_site, arm), True


@click.command(name="ingest")
@click.argument("folder", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--subject", "subject_code", required=True, help="Pseudonymous subject code (created if missing)."
)
@click.option(
    "--visit", required=True, help="Visit date YYYY-MM-DD (created if missing) or an existing visit id."
)
@click.option("--site", default=None, help="Site code for a new subject (needed when several sites exist).")
@click.option("--target-site", default="frontal", show_default=True, help="Scalp target site of a new visit.")
@click.option("--arm", default=None, help="Trial arm of a new visit.")
@click.option("--um-per-px", type=float, default=None, help="Scale of the photos (micrometres per pixel).")
@click.option("--method", type=click.Choice(["model", "classical"]), default="model", show_default=True)
@click.option("--checkpoint", default=None, metavar="PATH", help="Model checkpoint (for --method model).")
@click.option(
    "--as", "username", default="admin", show_default=True, help="Store user the actions are recorded as."
)
@click.option("--db", "db_url", default=None, metavar="URL", help="Database URL (as for serve).")
@click.option("--data", "data_dir", default=None, metavar="DIR", help="Data folder (as for serve).")
def command(
    folder,
    subject_code,
    visit,
    site,
    target_site,
    arm,
    um_per_px,
    method,
    checkpoint,
    username,
    db_url,
    data_dir,
) -> None:
    """Add the photos in FOLDER to a subject's visit, analyse them and store the results."""
    from tqdm import tqdm

    from trichometry.clinic.analysis import AnalysisSettings, default_analyser
    from trichometry.errors import TrichometryError
    from trichometry.store import NotFound, Store

    settings = AnalysisSettings(method=method, checkpoint=checkpoint)
    if folder.is_file():  # a zip batch: all of it passes the archive limits or nothing is stored
        from trichometry.io.archive import read_zip

        files = [(e.name.rsplit("/", 1)[-1], e.data) for e in read_zip(folder)]
    else:
        files = sorted((p.name, p) for p in folder.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES)
    if not files:
        raise click.ClickException(f"no .jpg/.png/.tif photos in {folder}; point FOLDER at the photos.")
    store = Store.open(data_dir, db_url)
    actor = store.active_user(username)
    if actor is None:
        raise NotFound(
            f"no active store user {username!r}; start `trichometry serve` once or pass --as USER."
        )
    store.record_event(actor, "cli.ingest", f"folder:{folder.name}", f"OS user {getpass.getuser()}")
    try:
        subject = store.get_subject(actor, subject_code)
    except NotFound:
        subject = store.create_subject(actor, subject_code, site)
        click.echo(f"created subject {subject.code} at site {subject.site.code}")
    the_visit, created = _resolve_visit(store, actor, subject, visit, target_site, arm)
    if created:
        click.echo(f"created visit {the_visit.id} on {the_visit.visit_date} ({the_visit.target_site})")
    failures = 0
    for name, source in tqdm(files, desc="ingest", unit="photo"):
        try:
            data = source if isinstance(source, bytes) else source.read_bytes()
            vi, new = store.add_image(actor, the_visit.id, data, name, um_per_px=um_per_px)
            if not new and store.latest_analysis(vi.id) is not None:
                click.echo(f"{name}: already stored and analysed (image {vi.id})")
                continue
            record = default_analyser(store.image_bytes(vi.image.sha256), um_per_px, settings)
            analysis = store.add_analysis(vi.id, record, actor=actor)
            s = store.effective_summary(analysis)
            dens = s.get("density_per_cm2")
            dens_text = "uncalibrated" if dens is None else f"{dens:.1f}/cm2"
            click.echo(f"{name}: image {vi.id}, {s['count']} hairs, {dens_text}, quality {s['quality']}")
        except TrichometryError as exc:
            failures += 1
            click.echo(f"{name}: skipped: {exc}", err=True)
    store.close()
    click.echo(
        f"{len(files) - failures} of {len(files)} photos stored in visit {the_visit.id} of {subject.code}."
    )
    if failures:
        raise SystemExit(1)
