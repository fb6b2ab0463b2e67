"""Longitudinal subjects: one persistent follicle map, re-imaged at visits, under treatment.

A subject owns one :class:`~trichometry.synth.patch.ScalpPatch` (the target area, centred
on a tattoo at the skin origin). Between visits every follicle follows a two-state
process (a hair is *active*, or the follicle is *dormant*): an active hair is shed at a
daily hazard ``shed_per_day``; a dormant follicle starts a new hair at
``regrow_per_day``. Event times are drawn exactly (exponential waiting times), so a hair
shed and regrown between two visits is recorded as *replaced*, not *kept*. Shaft
diameters drift by ``diameter_change_per_month`` (thickening > 0, miniaturisation < 0)
with per-follicle noise; a regrown hair starts thin and matures. In the trial set-up
(``clip=True``) the area is clipped at every visit and photographed
``clip_to_photo_days`` later, while anagen hairs grow about 0.3 mm/day.

Each visit re-images the patch with the same device (scale, size) but a small shift and
rotation and re-drawn lighting, focus and noise. The truth (:class:`SubjectTruth`) keeps
every follicle's identity and state per visit, the fate since the previous visit
(``kept``/``lost``/``new``/``replaced``/``absent``), and the true hair count and density
in the fixed target circle, so visit matching and change estimates can be scored.

Example::

    subject = simulate_subject("S001", seed=7, ranges=SceneRanges().with_overrides(width=256))
    for visit, sample in subject.iter_samples():
        print(visit.name, visit.target_count, sample.truth.count)
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from trichometry.errors import ConfigError
from trichometry.synth.patch import HairSpec, ScalpPatch, sample_patch
from trichometry.synth.protocol import (
    ARMS,
    ArmResponse,
    ResponseModel,
    VisitProtocol,
    parse_visits,
    visit_day,
)
from trichometry.synth.ranges import SceneRanges
from trichometry.synth.render import render
from trichometry.synth.subject_truth import FATES, FollicleState, FollicleTrack, SubjectTruth, VisitTruth
from trichometry.synth.view import View, sample_view
from trichometry.truth import Sample

__all__ = [
    "ARMS",
    "FATES",
    "ArmResponse",
    "FollicleState",
    "FollicleTrack",
    "ResponseModel",
    "Subject",
    "SubjectTruth",
    "VisitProtocol",
    "VisitTruth",
    "iter_cohort",
    "parse_visits",
    "simulate_cohort",
    "simulate_subject",
    "visit_day",
]

_DAYS_PER_MONTH = 30.4375
_MAX_LENGTH_UM = 20000.0
_MIN_LENGTH_UM = 50.0


@dataclass
class Subject:
    """A simulated subject: the patch as it is at each visit, the camera views, the truth."""

    subject_id: str
    arm: str
    patches: list[ScalpPatch]
    views: list[View]
    truth: SubjectTruth
    ranges: SceneRanges | None = None
    protocol: VisitProtocol | None = None

    def render(self, index: int) -> Sample:
        """Photograph visit ``index``; ``truth.image_id`` is ``<subject>_<visit>``."""
        v = self.truth.visits[index]
        return render(self.patches[index], self.views[index], seed=v.render_seed, image_id=v.image_id)

    def iter_samples(self) -> Iterator[tuple[VisitTruth, Sample]]:
        """Yield ``(visit truth, rendered sample)`` for every visit in order."""
        for i, v in enumerate(self.truth.visits):
            yield v, self.render(i)

    def extra_photo(self, index: int, photo: int) -> Sample:
        """Another photo of visit ``index`` (``photo`` >= 1): re-positioned and relit, same hairs.

        Clinics take several photos per visit; each is deterministic in ``(render_seed, photo)``.
        Its ``image_id`` is ``<subject>_<visit>_p<photo>``.
        """
        if photo < 1:
            raise ConfigError(f"photo {photo} must be >= 1 (photo 0 is render(index)).")
        v = self.truth.visits[index]
        rng = np.random.default_rng([v.render_seed, photo, 0xE7])
        view = _visit_view(self.views[0], self.ranges or SceneRanges(), self.protocol or VisitProtocol(), rng)
        return render(
            self.patches[index], view, seed=v.render_seed + photo, image_id=f"{v.image_id}_p{photo}"
        )


@dataclass
class _Follicle:
    spec: HairSpec
    track: FollicleTrack
    active: bool
    potential_um: float
    length_um: float
    taper_per_um: float
    generation: int = 0
    birth_day: float | None = None  # when the current hair emerged; None = before baseline


_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def _subject_rates(
    arm: str, model: ResponseModel, rng: np.random.Generator
) -> tuple[float, dict[str, float]]:
    c, t = model.control, model.treated
    nat_s, nat_r = np.exp(rng.normal(0.0, model.natural_sd, 2))
    q_draw = float(np.clip(rng.normal(1.0, model.responder_sd), 0.0, 3.0))
    q = q_draw if arm == "treated" else 0.0

    def ratio(a: float, b: float) -> float:
        if q == 0:
            return 1.0
        return (b / a) ** q if a > 0 and b > 0 else b / max(a, 1e-12)

    rates = {
        "shed_per_day": float(c.shed_per_day * nat_s * ratio(c.shed_per_day, t.shed_per_day)),
        "regrow_per_day": float(c.regrow_per_day * nat_r * ratio(c.regrow_per_day, t.regrow_per_day)),
        "diameter_change_per_month": float(
            c.diameter_change_per_month + q * (t.diameter_change_per_month - c.diameter_change_per_month)
        ),
    }
    return q, rates


def _add_dormant(patch: ScalpPatch, fraction: float, rng: np.random.Generator) -> ScalpPatch:
    """Add dormant follicles inside existing units until ``fraction`` of follicles are dormant."""
    hairs = list(patch.hairs)
    active = [h for h in hairs if h.active]
    need = round((fraction * len(hairs) - (len(hairs) - len(active))) / (1.0 - fraction))
    if need <= 0 or not active:
        return patch
    next_id = max(h.follicle_id for h in hairs) + 1
    for k, idx in enumerate(rng.choice(len(active), size=need, replace=True)):
        src = active[int(idx)]
        perp = math.radians(src.direction_deg + 90.0)
        off = float(rng.choice((-1.0, 1.0))) * (src.diameter_um + rng.uniform(15.0, 40.0))
        hairs.append(
            replace(
                src,
                follicle_id=next_id + k,
                exit_um=(src.exit_um[0] + off * math.cos(perp), src.exit_um[1] + off * math.sin(perp)),
                diameter_um=float(src.diameter_um * rng.uniform(0.8, 1.0)),
                active=False,
            )
        )
    return replace(patch, hairs=tuple(hairs))


def _step(f: _Follicle, t0: float, t1: float, rates: dict[str, float], rng: np.random.Generator) -> None:
    """Advance one follicle from day ``t0`` to ``t1`` with exact exponential event times."""
    t = t0
    while True:
        rate = rates["shed_per_day"] if f.active else rates["regrow_per_day"]
        if rate <= 0:
            break
        t += float(rng.exponential(1.0 / rate))
        if t >= t1:
            break
        f.active = not f.active
        if f.active:
            f.generation += 1
            f.birth_day = t


def _patch_extent(view: View, ranges: SceneRanges, protocol: VisitProtocol, model: ResponseModel) -> tuple:
    diag = math.hypot(view.width, view.height) * view.um_per_px  # covers any rotation
    if protocol.clip:
        reach = protocol.clip_length_um + model.growth_um_per_day * protocol.clip_to_photo_days
    else:
        reach = min(ranges.long_length_um[1], 6000.0)
    side = diag + 2 * (reach + 300.0 + 4 * protocol.shift_sd_um)
    return (side, side)


def _visit_view(base: View, ranges: SceneRanges, protocol: VisitProtocol, rng: np.random.Generator) -> View:
    """Same device as ``base``; shifted, rotated, with re-drawn lighting, focus and noise."""
    shift = rng.normal(0.0, protocol.shift_sd_um, 2)
    rot = base.rotation_deg + float(rng.normal(0.0, protocol.rotation_sd_deg))
    v = sample_view(ranges, rng, centre_um=(float(shift[0]), float(shift[1])))
    keep = ("um_per_px", "width", "height", "strip", "strip_text", "scale_bar", "circle")
    return replace(v, rotation_deg=rot, **{k: getattr(base, k) for k in keep})


def _advance(
    f: _Follicle, k: int, prev_day: int, day: int, rates: dict[str, float], model: ResponseModel,
    protocol: VisitProtocol, rng: np.random.Generator,
) -> HairSpec:  # fmt: skip
    """Move follicle ``f`` to visit ``k`` (day ``day``), record its state, return its hair."""
    was_active, was_gen = f.active, f.generation
    growth = model.growth_um_per_day
    if k > 0:
        _step(f, float(prev_day), float(day), rates, rng)
        dm = (day - prev_day) / _DAYS_PER_MONTH
        drift = (
            rates["diameter_change_per_month"] * dm
            + model.follicle_diameter_sd * math.sqrt(dm) * rng.normal()
        )
        f.potential_um = float(
            np.clip(f.potential_um * math.exp(drift), model.min_diameter_um, model.max_diameter_um)
        )
    renewed = f.generation != was_gen
    diameter = f.potential_um
    if f.birth_day is not None:  # a regrown hair starts thin and matures
        frac = 1.0 - (1.0 - model.new_hair_fraction) * math.exp(-(day - f.birth_day) / model.maturation_days)
        diameter = max(model.min_diameter_um, f.potential_um * frac)
    if f.active and k > 0:
        grown = growth * (day - f.birth_day) if renewed else math.inf
        if protocol.clip:
            f.length_um = min(grown, protocol.clip_length_um) + growth * protocol.clip_to_photo_days
        else:
            f.length_um = grown if renewed else f.length_um + growth * (day - prev_day)
        f.length_um = float(np.clip(f.length_um, _MIN_LENGTH_UM, _MAX_LENGTH_UM))
    if k == 0:
        fate = "baseline"
    elif was_active and f.active:
        fate = "replaced" if renewed else "kept"
    elif was_active:
        fate = "lost"
    else:
        fate = "new" if f.active else "absent"
    f.track.states.append(
        FollicleState(f.active, f.generation, float(diameter), float(f.length_um) if f.active else 0.0, fate)
    )
    clipped = protocol.clip or (f.spec.clipped and f.generation == 0)
    return replace(
        f.spec,
        active=f.active,
        diameter_um=float(diameter),
        length_um=float(f.length_um),
        clipped=bool(clipped),
        curvature_per_mm=0.0 if clipped else f.spec.curvature_per_mm,
        taper=float(min(0.3, f.taper_per_um * f.length_um)),
    )


def _frame_count(specs: list[HairSpec], view: View) -> int:
    """Active hairs whose exit point lies inside the frame (the counting rule)."""
    exits = np.array([h.exit_um for h in specs if h.active], dtype=float).reshape(-1, 2)
    px = view.skin_to_px(exits)
    ok = (
        (px[:, 0] >= -0.5)
        & (px[:, 0] < view.width - 0.5)
        & (px[:, 1] >= -0.5)
        & (px[:, 1] < view.height - 0.5)
    )
    return int(ok.sum())


def simulate_subject(
    subject_id: str,
    seed: int | Sequence[int],
    *,
    arm: str = "treated",
    ranges: SceneRanges | None = None,
    protocol: VisitProtocol | None = None,
    response: ResponseModel | None = None,
) -> Subject:
    """Draw a subject's patch and follow it through the protocol's visits.

    Args:
        subject_id: id used in image ids (``<subject>_<visit>``).
        seed: entropy (an int, or ints such as ``(cohort_seed, index)``); same seed and
            parameters give the same subject, views and images.
        arm: ``treated`` or ``control``.
        ranges: scene ranges for the patch and the device (scale, size, optics).
        protocol: visits and imaging set-up.
        response: follicle dynamics.

    Returns:
        The :class:`Subject` (render its visits with :meth:`Subject.iter_samples`).

    Raises:
        ConfigError: bad id, arm, seed or parameter.
    """
    if not isinstance(subject_id, str) or not _ID_RE.match(subject_id) or ".." in subject_id:
        raise ConfigError(f"subject id {subject_id!r} must be 1-64 characters from A-Z a-z 0-9 . _ -.")
    if arm not in ARMS:
        raise ConfigError(f"arm {arm!r} is not one of {', '.join(ARMS)}.")
    entropy = [seed] if isinstance(seed, (int, np.integer)) else list(seed)
    if not entropy or any(
        not isinstance(s, (int, np.integer)) or isinstance(s, bool) or s < 0 for s in entropy
    ):
        raise ConfigError(f"seed {seed!r} must be a non-negative integer.")
    ranges = ranges or SceneRanges()
    protocol = protocol or VisitProtocol()
    model = response or ResponseModel()
    rng_view, rng_patch, rng_dyn, rng_seed = (
        np.random.default_rng(s) for s in np.random.SeedSequence([int(s) for s in entropy]).spawn(4)
    )
    base_view = sample_view(ranges, rng_view, centre_um=(0.0, 0.0))
    patch = sample_patch(ranges, rng_patch, extent_um=_patch_extent(base_view, ranges, protocol, model))
    patch = _add_dormant(patch, protocol.dormant_fraction, rng_patch)
    q, rates = _subject_rates(arm, model, rng_dyn)
    radius = protocol.target_radius_fraction * min(base_view.width, base_view.height) * base_view.um_per_px
    area_cm2 = math.pi * radius**2 * 1e-8
    length0 = protocol.clip_length_um + model.growth_um_per_day * protocol.clip_to_photo_days
    fols = [
        _Follicle(
            spec=h,
            track=FollicleTrack(h.follicle_id, h.unit_id, h.exit_um, math.hypot(*h.exit_um) <= radius),
            active=h.active,
            potential_um=h.diameter_um,
            length_um=min(length0 if protocol.clip else h.length_um, _MAX_LENGTH_UM),
            taper_per_um=h.taper / max(h.length_um, 1.0),
        )
        for h in patch.hairs
    ]
    start = dt.date.fromisoformat(protocol.start_date)
    patches: list[ScalpPatch] = []
    views: list[View] = []
    visits: list[VisitTruth] = []
    prev_day = 0
    for k, (name, day) in enumerate(protocol.schedule):
        view = base_view if k == 0 else _visit_view(base_view, ranges, protocol, rng_view)
        specs = [_advance(f, k, prev_day, day, rates, model, protocol, rng_dyn) for f in fols]
        in_target = [f.track.states[k] for f in fols if f.track.in_target]
        active = [s for s in in_target if s.active]
        density = len(active) / area_cm2
        visits.append(
            VisitTruth(
                name=name,
                day=int(day),
                date=(start + dt.timedelta(days=int(day))).isoformat(),
                image_id=f"{subject_id}_{name}",
                render_seed=int(rng_seed.integers(0, 2**31 - 1)),
                view=view.to_dict(),
                target_count=len(active),
                target_density_per_cm2=float(density),
                density_change_per_cm2=float(
                    density - (visits[0].target_density_per_cm2 if visits else density)
                ),
                mean_diameter_um=float(np.mean([s.diameter_um for s in active])) if active else 0.0,
                frame_count=_frame_count(specs, view),
                fates=dict(sorted(Counter(s.fate for s in in_target).items())),
            )
        )
        patches.append(replace(patch, hairs=tuple(specs)))
        views.append(view)
        prev_day = day
    truth = SubjectTruth(
        subject_id=subject_id,
        arm=arm,
        response=q,
        rates=rates,
        site=protocol.site,
        target_centre_um=(0.0, 0.0),
        target_radius_um=float(radius),
        visits=visits,
        follicles=[f.track for f in fols],
    )
    return Subject(subject_id, arm, patches, views, truth, ranges=ranges, protocol=protocol)


def iter_cohort(
    n_subjects: int,
    seed: int,
    *,
    arms: Sequence[str] = ARMS,
    ranges: SceneRanges | None = None,
    protocol: VisitProtocol | None = None,
    response: ResponseModel | None = None,
    prefix: str = "S",
) -> Iterator[Subject]:
    """Yield subjects ``<prefix>001, ...`` one at a time; arms alternate in the given order.

    Subject ``i`` uses entropy ``(seed, i)``, so adding subjects never changes earlier ones.

    Raises:
        ConfigError: bad count, seed or arm (before any subject is made).
    """
    if not isinstance(n_subjects, int) or isinstance(n_subjects, bool) or not 1 <= n_subjects <= 10000:
        raise ConfigError(f"number of subjects {n_subjects!r} must be a whole number in 1..10000.")
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ConfigError(f"seed {seed!r} must be a non-negative integer.")
    arms = tuple(arms)
    if not arms or any(a not in ARMS for a in arms):
        raise ConfigError(f"arms {arms!r} must be chosen from {', '.join(ARMS)}.")
    width = max(3, len(str(n_subjects)))
    for i in range(n_subjects):
        yield simulate_subject(
            f"{prefix}{i + 1:0{width}d}",
            (int(seed), i),
            arm=arms[i % len(arms)],
            ranges=ranges,
            protocol=protocol,
            response=response,
        )


def simulate_cohort(n_subjects: int, seed: int, **kwargs: Any) -> list[Subject]:
    """All subjects of :func:`iter_cohort` as a list (same arguments)."""
    it = iter_cohort(n_subjects, seed, **kwargs)
    return list(it)
