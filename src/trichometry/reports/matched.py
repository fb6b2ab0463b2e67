"""Hair-to-hair comparisons of a report's follow-up visits with their baselines.

For every analysed follow-up visit in a window (``ANL01FL``), its photos are registered onto
the baseline visit's photos and each hair is matched to its follicle
(:func:`trichometry.visits.compare_visit`, follow-up rescaled to the baseline's calibration
when they differ). The photos themselves are needed for registration, so this runs only for
sources that can load them (``load_image(record)``); the result feeds
:func:`trichometry.reports.headline.headline_changes`.

Comparisons are cached by the content of their inputs (image hashes and analysis
documents), so a page, an export and a report asking for the same visit pay once: the
figures of many (small), the full comparison with its photos of a few (a picture of it
holds the photos, several MB each).
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from trichometry.errors import TrichometryError
from trichometry.reports.engine import VisitObservation
from trichometry.reports.headline import MatchedChange, VisitKey, analysed_followups
from trichometry.reports.records import ImageRecord
from trichometry.visits.change import Interval

log = logging.getLogger(__name__)

#: ``record -> RGB image`` (``None`` when the photo cannot be loaded)
ImageLoader = Callable[[ImageRecord], "np.ndarray | None"]


@dataclass
class Compared:
    """A comparison and what it was made from (for pictures of it)."""

    change: MatchedChange
    comparison: Any  # trichometry.visits.VisitComparison
    baseline: Any  # trichometry.visits.VisitPhotos
    followup: Any


class _Cache:
    """A small thread-safe least-recently-stored cache (inputs are content-addressed)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.items: dict[str, Any] = {}
        self.lock = threading.Lock()

    def get(self, key: str) -> Any:
        with self.lock:
            return self.items.get(key)

    def put(self, key: str, value: Any) -> None:
        with self.lock:
            if len(self.items) >= self.size:
                self.items.pop(next(iter(self.items)))
            self.items[key] = value


_FIGURES = _Cache(4096)  # MatchedChange | reason: a few hundred bytes each
_FULL = _Cache(4)  # Compared: holds both visits' photos


def _usable(o: VisitObservation) -> list[ImageRecord]:
    return [r for r in o.images if r.measurement.get("status") != "rejected"]


def _key(base: VisitObservation, o: VisitObservation) -> str:
    h = hashlib.sha256()
    for r in (*_usable(base), None, *_usable(o)):
        if r is None:
            h.update(b"|")
            continue
        h.update(r.image_sha256.encode())
        doc = {k: v for k, v in r.measurement.items() if k != "corrections"}
        h.update(json.dumps(doc, sort_keys=True, default=str).encode())
    h.update(f"{base.date}/{o.date}/{o.day}".encode())
    return h.hexdigest()


def _photos(o: VisitObservation, load_image: ImageLoader) -> Any:
    import datetime as dt

    from trichometry.visits import HairPoints, VisitPhotos

    recs = _usable(o)
    if not recs:
        raise TrichometryError(f"visit {o.visit} has no photo that passed quality control")
    points = []
    for r in recs:
        image = load_image(r)
        if image is None:
            raise TrichometryError(f"photo {r.image_id} cannot be loaded for registration")
        try:
            points.append(HairPoints.from_analysis(dict(r.measurement), image=image))
        except (KeyError, TypeError, ValueError) as exc:
            raise TrichometryError(
                f"photo {r.image_id}: its analysis lists hairs without positions ({exc!r})"
            ) from exc
    if any(not p.um_per_px for p in points):
        raise TrichometryError("a photo is uncalibrated; give um per pixel when uploading")
    date = o.date or (dt.date(2000, 1, 1) + dt.timedelta(days=o.day))
    return VisitPhotos(o.visit, date, points, subject=o.subject, site=o.site)


def compare_with_baseline(
    base: VisitObservation, o: VisitObservation, load_image: ImageLoader
) -> Compared | str:
    """The hair-to-hair comparison of follow-up ``o`` with ``base``, or why there is none."""
    return _compare(_key(base, o), base, o, load_image)


def _compare(
    key: str, base: VisitObservation, o: VisitObservation, load_image: ImageLoader
) -> Compared | str:
    from trichometry.visits import compare_visit

    cached = _FULL.get(key)
    if cached is None and isinstance(_FIGURES.get(key), str):
        cached = _FIGURES.get(key)  # it failed before: it would fail again
    if cached is not None:
        return cached
    try:
        b, f = _photos(base, load_image), _photos(o, load_image)
        comp = compare_visit(b, f, rescale=True)
    except TrichometryError as exc:
        log.info("no hair-to-hair comparison for %s %s %s: %s", o.subject, o.site, o.visit, exc)
        _FIGURES.put(key, str(exc))
        return str(exc)
    ch = comp.change
    dens, thick = ch.density_change_per_cm2, ch.mean_thickness_change_um
    out = Compared(
        change=MatchedChange(
            density=Interval(dens.estimate, dens.low, dens.high),
            thickness=Interval(thick.estimate, thick.low, thick.high),
            matched=float(ch.matched),
            lost=float(ch.lost),
            new=float(ch.new),
            n_photos=int(ch.n_photos),
        ),
        comparison=comp,
        baseline=b,
        followup=f,
    )
    _FULL.put(key, out)
    _FIGURES.put(key, out.change)
    return out


def matched_change(
    base: VisitObservation, o: VisitObservation, load_image: ImageLoader
) -> MatchedChange | str:
    """Only the figures of :func:`compare_with_baseline` (cached for many visits)."""
    key = _key(base, o)
    cached = _FIGURES.get(key)
    if cached is not None:
        return cached
    got = _compare(key, base, o, load_image)
    return got if isinstance(got, str) else got.change


def matched_changes(
    obs: Sequence[VisitObservation], load_image: ImageLoader
) -> dict[VisitKey, MatchedChange | str]:
    """Per analysed follow-up visit in a window: its hair-to-hair change, or why there is none."""
    return {
        (o.subject, o.site, o.visit): matched_change(base, o, load_image)
        for base, o in analysed_followups(obs)
    }
