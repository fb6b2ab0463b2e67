"""JSON views of store records (shared by the API and the pages), pseudonymised for coordinators."""

from __future__ import annotations

from typing import Any

from trichometry.clinic.course import photo_quality
from trichometry.store import Analysis, Job, Store, Subject, User, Visit, VisitImage


def subject_view(s: Subject) -> dict[str, Any]:
    return {"id": s.id, "code": s.code, "site": s.site.code, "created_at": s.created_at.isoformat()}


def visit_view(v: Visit) -> dict[str, Any]:
    return {
        "id": v.id,
        "subject_id": v.subject_id,
        "date": v.visit_date.isoformat(),
        "target_site": v.target_site,
        "arm": v.arm,
    }


def job_view(j: Job | None) -> dict[str, Any] | None:
    if j is None:
        return None
    return {
        "id": j.id,
        "visit_image_id": j.visit_image_id,
        "status": j.status,
        "progress": round(j.progress, 3),
        "message": j.message,
        "analysis_id": j.analysis_id,
    }


def analysis_view(store: Store, a: Analysis | None) -> dict[str, Any] | None:
    if a is None:
        return None
    return {
        "id": a.id,
        "created_at": a.created_at.isoformat(),
        "image_sha256": a.image_sha256,
        "method": a.method,
        "model": {"name": a.model_name, "version": a.model_version, "weights_sha256": a.weights_sha256},
        "code_version": a.code_version,
        "config_hash": a.config_hash,
        "quality": a.quality,
        "quality_reasons": (q := photo_quality(a)).reasons,
        "quality_advice": q.advice,
        "summary": a.summary,
        "effective_summary": store.effective_summary(a),
        "corrections": [
            {
                "id": c.id,
                "user_id": c.user_id,
                "created_at": c.created_at.isoformat(),
                "reason": c.reason,
                "changes": c.changes,
            }
            for c in store.corrections_of(a.id)
        ],
        "review": _review_view(store, a),
        "uncertainty": _uncertainty(a),
    }


def _review_view(store: Store, a: Analysis) -> dict[str, Any] | None:
    """Which reviewed version an analysis is (``None``: the detector's own)."""
    r = store.review_of(a.id)
    if r is None:
        return None
    return {"version": r.version, "base_analysis_id": r.base_analysis_id, "user_id": r.user_id,
            "reason": r.reason, "at": r.created_at.isoformat(), "edits": len(r.edits)}  # fmt: skip


def _uncertainty(a: Analysis) -> dict[str, Any]:
    """What the photo page shows beside the numbers: the density interval, how many hairs
    it rests on, and how many widths came from the detector's map instead of the photo."""
    doc = a.result or {}
    inner = doc.get("summary") or {}
    measured = inner.get("thickness_measured") or 0
    from_map = inner.get("thickness_from_map") or 0
    return {
        "hairs_listed": len(doc.get("hairs") or []),
        "density_ci95": doc.get("density_ci95"),
        "few_hairs": next((f for f in doc.get("flags") or [] if str(f).startswith("few_hairs")), None),
        "widths_measured": measured,
        "widths_from_map": from_map,
        "widths_from_map_share": from_map / measured if measured else None,
    }


def image_view(
    store: Store, actor: User, vi: VisitImage, jobs: dict[int, Job] | None = None
) -> dict[str, Any]:
    """A visit photo with its newest analysis and job; file names hidden from coordinators."""
    latest = store.latest_analysis(vi.id)
    return {
        "id": vi.id,
        "visit_id": vi.visit_id,
        "sha256": vi.image.sha256,
        "filename": None if actor.role == "coordinator" else vi.filename,
        "format": vi.image.format,
        "width": vi.image.width,
        "height": vi.image.height,
        "um_per_px": vi.um_per_px,
        "uploaded_at": vi.uploaded_at.isoformat(),
        "job": job_view((jobs or {}).get(vi.id)),
        "analysis": analysis_view(store, latest),
    }


def latest_jobs(store: Store, visit_id: int) -> dict[int, Job]:
    """Newest job per visit photo."""
    out: dict[int, Job] = {}
    for job in store.jobs_of_visit(visit_id):
        out[job.visit_image_id] = job
    return out
