"""Report records straight from the clinic store (:mod:`trichometry.store`).

Each stored visit photo contributes its latest analysis, with the store's corrections
applied (and flagged). The store keeps visits by date, so a subject x target site's
first visit is its baseline (day 0) and the visit label is its ISO date. The trial arm is
the subject's arm as recorded on its visits (a visit without one takes the subject's
only recorded arm; ``unassigned`` when none was recorded). Visits without any photo are
skipped (a visit created ahead of the appointment is not the baseline).

Each record's measurement is the stored analysis document; headline numbers it lacks
(hair count, density, thickness, area) are taken from the stored summary, so analyses
recorded by other tools read the same as on the patient page.

The store can load its photos, so the source also offers :meth:`StoreSource.matched_changes`
(hair-to-hair comparisons, see :mod:`trichometry.reports.matched`).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from tqdm import tqdm

from trichometry.reports.parameters import CORRECTION_KEYS
from trichometry.reports.records import ImageRecord, ModelInfo
from trichometry.reports.sources import convention_label

if TYPE_CHECKING:
    from trichometry.reports.engine import VisitObservation
    from trichometry.reports.headline import MatchedChange, VisitKey
    from trichometry.store import Store
    from trichometry.store.models import User

log = logging.getLogger(__name__)

NO_ARM = "unassigned"


class StoreSource:
    """Image records of every subject an actor may read.

    Args:
        store: an open :class:`trichometry.store.Store`.
        actor: the user the report is made for (their role and site limit what is read);
            ``None`` reads everything (trusted use, e.g. ``trichometry report --db``).
        subject_ids: read only these subjects (each must be readable by ``actor``, else
            the store's ``AccessDenied`` / ``NotFound``); ``None``: every readable subject.
    """

    def __init__(
        self, store: Store, actor: User | None = None, subject_ids: Iterable[int] | None = None
    ) -> None:
        self.store = store
        self.actor = actor
        self.subject_ids = None if subject_ids is None else frozenset(subject_ids)
        self._warnings: list[str] = []
        # what the last records() read, for callers that show the same visits (clinic.course)
        self.visits: list[Any] = []
        self.photos: dict[int, list[Any]] = {}
        self.latest: dict[int, Any] = {}  # visit photo id -> its newest analysis (None: none yet)

    def warnings(self) -> list[str]:
        """What the last :meth:`records` left out (photos without an analysis)."""
        return list(self._warnings)

    def describe(self) -> str:
        who = f" as {self.actor.username} ({self.actor.role})" if self.actor is not None else ""
        return f"clinic store {self.store.engine.url.render_as_string(hide_password=True)}{who}"

    def _visits(self) -> list[Any]:
        from sqlalchemy import select

        from trichometry.store.models import Subject, Visit

        if self.actor is not None:
            if self.subject_ids is None:
                subjects = self.store.list_subjects(self.actor)
            else:  # each checked for the actor; listing all would cost O(subjects) per subject read
                subjects = [self.store.get_subject(self.actor, i) for i in sorted(self.subject_ids)]
            return [v for subj in subjects for v in self.store.list_visits(self.actor, subj.id)]
        with self.store.session() as s:
            q = select(Visit).join(Subject).order_by(Subject.code, Visit.visit_date, Visit.id)
            if self.subject_ids is not None:
                q = q.where(Visit.subject_id.in_(self.subject_ids))
            return list(s.execute(q).scalars())

    def _photos(self, visit_id: int) -> list[Any]:
        from sqlalchemy import select

        from trichometry.store.models import VisitImage

        if self.actor is not None:
            return self.store.list_visit_images(self.actor, visit_id)
        with self.store.session() as s:
            q = select(VisitImage).where(VisitImage.visit_id == visit_id).order_by(VisitImage.id)
            return list(s.execute(q).scalars())

    def records(self) -> Iterable[ImageRecord]:
        """One record per analysed visit photo (photos without an analysis are logged)."""
        self.visits = every = self._visits()
        self.photos = photos = {v.id: self._photos(v.id) for v in every}
        self.latest = {vi.id: self.store.latest_analysis(vi.id) for vis in photos.values() for vi in vis}
        visits = [v for v in every if photos[v.id]]
        first: dict[tuple[str, str], Any] = {}
        arms: dict[str, set[str]] = defaultdict(set)
        for v in visits:
            if v.arm:
                arms[v.subject.code].add(v.arm)
            key = (v.subject.code, v.target_site)
            if key not in first or v.visit_date < first[key]:
                first[key] = v.visit_date
        out: list[ImageRecord] = []
        unanalysed: dict[str, int] = defaultdict(int)
        for v in tqdm(visits, desc="reading store", unit="visit", disable=len(visits) < 100):
            subject = v.subject.code
            day = (v.visit_date - first[(subject, v.target_site)]).days
            for vi in photos[v.id]:
                analysis = self.latest[vi.id]
                if analysis is None:
                    unanalysed[subject] += 1
                    continue
                summary = self.store.effective_summary(analysis)
                measurement = _measurement(analysis, summary)
                corrected = bool(summary.get("corrected"))
                if corrected:
                    corr = self.store.corrections_of(analysis.id)
                    measurement["corrections"] = {k: val for c in corr for k, val in c.changes.items()}
                out.append(
                    ImageRecord(
                        subject=subject,
                        site=v.target_site,
                        visit=v.visit_date.isoformat(),
                        arm=v.arm or (next(iter(arms[subject])) if len(arms[subject]) == 1 else NO_ARM),
                        image_id=f"{subject}_{v.visit_date.isoformat()}_{vi.id}",
                        measurement=measurement,
                        days_since_baseline=day,
                        date=v.visit_date,
                        image_sha256=analysis.image_sha256,
                        image_path=vi.filename,
                        model=ModelInfo(analysis.model_name, analysis.model_version, analysis.weights_sha256),
                        convention=convention_label(measurement.get("convention")),
                        corrected=corrected,
                    )
                )
        self._warnings = []
        if unanalysed:
            self._warnings.append(
                f"{sum(unanalysed.values())} stored photo(s) without an analysis are left out "
                f"(per subject: {dict(sorted(unanalysed.items()))})"
            )
        return out

    def load_image(self, record: ImageRecord) -> Any:
        """The RGB pixels of a record's photo (for registration)."""
        from trichometry.store.images import decode_rgb

        return decode_rgb(self.store.image_bytes(record.image_sha256))

    def matched_changes(self, obs: Sequence[VisitObservation]) -> dict[VisitKey, MatchedChange | str]:
        """Hair-to-hair changes of the analysed follow-up visits (see :mod:`trichometry.reports.matched`)."""
        from trichometry.reports.matched import matched_changes

        return matched_changes(obs, self.load_image)


#: stored summary key -> analysis document key, for documents that lack the number
_SUMMARY_KEYS = {**CORRECTION_KEYS, "area_cm2": "area_cm2"}


def _measurement(analysis: Any, summary: dict[str, Any]) -> dict[str, Any]:
    """The analysis document, marked rejected when its verdict (as corrected) is ``reject``,
    else with the stored summary's numbers where the document lacks them."""
    out = dict(analysis.result)
    if summary.get("quality") == "reject":
        out["status"] = "rejected"
    if out.get("status") == "rejected":
        return out
    for src, dst in _SUMMARY_KEYS.items():
        if out.get(dst) is None and analysis.summary.get(src) is not None:
            out[dst] = analysis.summary[src]
    return out


def open_store(db_url: str) -> Store:
    """Open an existing, migrated store for reading (``trichometry report --db``).

    A SQLite store's files live beside its database file; for PostgreSQL the data folder is
    ``$TRICHOMETRY_DATA`` (default ``./trichometry-data``), as for the service. Nothing
    is created or migrated.

    Raises:
        DataFormatError: the SQLite file does not exist, or the database is not a store
            at this version's schema.
        ConfigError: the URL cannot be parsed or names an unsupported database.
    """
    from pathlib import Path

    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from trichometry.errors import DataFormatError
    from trichometry.store import Store
    from trichometry.store.engine import make_engine, resolve_data_dir, resolve_db_url
    from trichometry.store.migrate import current_revision, head_revision

    url = resolve_db_url(db_url, Path.cwd())
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        db = Path(parsed.database or "")
        if not db.is_file():
            raise DataFormatError(
                f"no store database at {db}; check --db (e.g. sqlite:///data/trichometry.sqlite)."
            )
        data_dir = db.parent
    else:
        data_dir = resolve_data_dir(None)
    engine = make_engine(url)
    try:
        rev = current_revision(engine)
    except SQLAlchemyError as exc:  # unreachable server, wrong password, not a database ...
        engine.dispose()
        raise DataFormatError(f"cannot read the store at --db: {exc.__class__.__name__}: {exc}") from exc
    if rev != head_revision():
        engine.dispose()
        raise DataFormatError(
            f"the database at --db is {'not a trichometry store' if rev is None else f'at schema {rev}'}, "
            f"this version reads {head_revision()}; start the service once to migrate it, or check the URL."
        )
    return Store(engine, data_dir)
