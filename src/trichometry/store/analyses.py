"""Analyses (append-only, with provenance), corrections and background jobs."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from trichometry.store import audit
from trichometry.store.errors import AppendOnlyViolation, InvalidInput, NotFound
from trichometry.store.models import Analysis, Correction, User, VisitImage

if TYPE_CHECKING:
    from trichometry.store.store import Store

# Summary numbers a correction may change, with their allowed range.
CORRECTABLE = {
    "count": (0, 100_000),
    "density_per_cm2": (0.0, 10_000.0),
    "nonvellus_density_per_cm2": (0.0, 10_000.0),
    "mean_thickness_um": (0.0, 500.0),
    "vellus_share": (0.0, 1.0),
    "quality": None,
}


@dataclass
class AnalysisRecord:
    """Everything an analyser hands to the store for one image.

    Attributes:
        method: ``"model"`` or ``"classical"`` (or another named method).
        model_name / model_version / weights_sha256: which detector ran.
        code_version: ``trichometry.__version__`` (plus git revision when known).
        config_hash: SHA-256 of the analysis settings.
        quality: the quality verdict, e.g. ``"ok"``, ``"warn"``, ``"reject"``.
        summary: headline numbers (keys as in :data:`CORRECTABLE`).
        result: the full result as JSON-able dict.
        overlay_png: overlay image bytes, stored in the content store.
    """

    method: str
    model_name: str
    model_version: str
    weights_sha256: str
    code_version: str
    config_hash: str
    quality: str
    summary: dict[str, Any]
    result: dict[str, Any]
    overlay_png: bytes | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, allow_nan=False, default=str)


class AnalysesMixin:
    """Analyses and corrections; mixed into :class:`~trichometry.store.store.Store`."""

    def add_analysis(
        self: Store, visit_image_id: int, rec: AnalysisRecord, actor: User | None = None
    ) -> Analysis:
        """Append an analysis of a visit photo (never replaces an earlier one)."""
        overlay_sha = self.blobs.put(rec.overlay_png) if rec.overlay_png else None
        with self.session() as s:
            return self._analysis_row(s, visit_image_id, rec, actor, overlay_sha)

    def _analysis_row(
        self: Store,
        s: Any,
        visit_image_id: int,
        rec: AnalysisRecord,
        actor: User | None,
        overlay_sha: str | None,
    ) -> Analysis:
        """Add the analysis row and its audit event inside the open session ``s``."""
        vi = s.get(VisitImage, visit_image_id)
        if vi is None:
            raise NotFound(f"no image with id {visit_image_id}; it cannot be analysed.")
        row = Analysis(
            visit_image_id=vi.id,
            image_sha256=vi.image.sha256,
            method=rec.method,
            model_name=rec.model_name,
            model_version=rec.model_version,
            weights_sha256=rec.weights_sha256,
            code_version=rec.code_version,
            config_hash=rec.config_hash,
            quality=rec.quality,
            overlay_sha256=overlay_sha,
            summary_json=_json(rec.summary),
            result_json=_json(rec.result),
            created_by=actor.id if actor is not None else None,
        )
        s.add(row)
        s.flush()
        audit.record(s, actor, "analysis.create", f"analysis:{row.id}", f"visit_image:{vi.id} {rec.method}")
        return row

    def update_analysis(self: Store, *_args: Any, **_kwargs: Any) -> None:
        """Analyses are append-only: always raises :class:`AppendOnlyViolation`."""
        raise AppendOnlyViolation("analyses cannot be changed; add a correction with a reason instead.")

    def delete_analysis(self: Store, *_args: Any, **_kwargs: Any) -> None:
        """Analyses are append-only: always raises :class:`AppendOnlyViolation`."""
        raise AppendOnlyViolation("analyses cannot be deleted; add a correction with a reason instead.")

    def get_analysis(self: Store, actor: User | None, analysis_id: int) -> Analysis:
        with self.read() as s:
            row = s.get(Analysis, analysis_id)
        if row is None:
            raise NotFound(f"no analysis with id {analysis_id}.")
        if actor is not None:
            self.get_visit_image(actor, row.visit_image_id)  # access check
        return row

    def analyses_of(self: Store, visit_image_id: int) -> list[Analysis]:
        """All analyses of a visit photo, oldest first."""
        with self.read() as s:
            q = select(Analysis).where(Analysis.visit_image_id == visit_image_id).order_by(Analysis.id)
            return list(s.execute(q).scalars())

    def latest_analysis(self: Store, visit_image_id: int) -> Analysis | None:
        rows = self.analyses_of(visit_image_id)
        return rows[-1] if rows else None

    # ----------------------------------------------------------------------------- corrections
    def correct_analysis(
        self: Store, actor: User, analysis_id: int, changes: dict[str, Any], reason: str
    ) -> Correction:
        """Add a correction of an analysis' summary numbers (who, when, why)."""
        analysis = self.get_analysis(actor, analysis_id)
        vi = self.get_visit_image(actor, analysis.visit_image_id)
        self.check_write(actor, vi.visit.subject)
        if not reason or not reason.strip():
            raise InvalidInput("a correction needs a reason (e.g. 'recounted by hand').")
        if not changes:
            raise InvalidInput("a correction must change at least one value.")
        clean: dict[str, Any] = {}
        for key, value in changes.items():
            if key not in CORRECTABLE:
                raise InvalidInput(f"{key!r} cannot be corrected; choose from {', '.join(CORRECTABLE)}.")
            bounds = CORRECTABLE[key]
            if bounds is None:
                clean[key] = str(value)[:32]
                continue
            try:
                num = float(value)
            except (TypeError, ValueError) as exc:
                raise InvalidInput(f"{key} must be a number, got {value!r}.") from exc
            if not math.isfinite(num) or not bounds[0] <= num <= bounds[1]:
                raise InvalidInput(f"{key}={value} is outside {bounds[0]}-{bounds[1]}.")
            clean[key] = int(num) if key == "count" else num
        with self.session() as s:
            row = Correction(
                analysis_id=analysis.id, user_id=actor.id, reason=reason.strip(), changes_json=_json(clean)
            )
            s.add(row)
            s.flush()
            audit.record(s, actor, "analysis.correct", f"analysis:{analysis.id}", reason.strip()[:500])
        return row

    def corrections_of(self: Store, analysis_id: int) -> list[Correction]:
        with self.read() as s:
            q = select(Correction).where(Correction.analysis_id == analysis_id).order_by(Correction.id)
            return list(s.execute(q).scalars())

    def effective_summary(self: Store, analysis: Analysis) -> dict[str, Any]:
        """The analysis' summary with its corrections applied in order (later wins)."""
        summary = dict(analysis.summary)
        summary["quality"] = analysis.quality
        corrections = self.corrections_of(analysis.id)
        for corr in corrections:
            summary.update(corr.changes)
        summary["corrected"] = bool(corrections)
        return summary
