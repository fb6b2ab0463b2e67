"""Ground truth of a longitudinal subject: follicle identities, states and fates per visit.

Written by :mod:`trichometry.synth.longitudinal`, stored as ``subjects/ID.json`` in a data
set (``data/README.md``), and read back with :meth:`SubjectTruth.from_dict` to score
visit matching (per follicle kept / lost / new / replaced) and change estimates (true
density change in the target circle, diameter change of kept hairs).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from trichometry.errors import ConfigError

FATES = ("baseline", "kept", "lost", "new", "replaced", "absent")


@dataclass(frozen=True)
class FollicleState:
    """One follicle at one visit.

    Attributes:
        active: a hair is visible (else the follicle is dormant).
        generation: hairs this follicle has started since baseline (0 = the baseline hair).
        diameter_um: shaft diameter (active) or the follicle's current potential (dormant).
        length_um: visible length at the photo (0 when dormant).
        fate: since the previous visit: ``kept`` (same hair), ``lost``, ``new``,
            ``replaced`` (shed and regrown: a different hair), ``absent``; ``baseline`` first.
    """

    active: bool
    generation: int
    diameter_um: float
    length_um: float
    fate: str


@dataclass
class FollicleTrack:
    """A follicle's identity and its state at every visit (same order as the visits)."""

    follicle_id: int
    unit_id: int
    exit_um: tuple[float, float]
    in_target: bool
    states: list[FollicleState] = field(default_factory=list)


@dataclass
class VisitTruth:
    """Truth of one visit: the image's identity and the true target-area numbers."""

    name: str
    day: int
    date: str
    image_id: str
    render_seed: int
    view: dict[str, Any]
    target_count: int
    target_density_per_cm2: float
    density_change_per_cm2: float
    mean_diameter_um: float
    frame_count: int
    fates: dict[str, int]


@dataclass
class SubjectTruth:
    """Everything true about one subject over all visits (serialised to ``subjects/ID.json``)."""

    subject_id: str
    arm: str
    response: float
    rates: dict[str, float]
    site: str
    target_centre_um: tuple[float, float]
    target_radius_um: float
    visits: list[VisitTruth]
    follicles: list[FollicleTrack]

    @property
    def target_area_cm2(self) -> float:
        return math.pi * self.target_radius_um**2 * 1e-8

    def visit_index(self, visit: str) -> int:
        for i, v in enumerate(self.visits):
            if v.name == visit:
                return i
        raise ConfigError(
            f"subject {self.subject_id} has no visit {visit!r}; it has {[v.name for v in self.visits]}."
        )

    def density_change_per_cm2(self, visit: str) -> float:
        """True change of hair density in the target circle from baseline to ``visit``."""
        return self.visits[self.visit_index(visit)].density_change_per_cm2

    def fates_between(self, a: str, b: str, *, in_target_only: bool = False) -> dict[int, str]:
        """Per follicle: ``kept``/``lost``/``new``/``replaced``/``absent`` from visit ``a`` to ``b``."""
        ia, ib = self.visit_index(a), self.visit_index(b)
        out: dict[int, str] = {}
        for f in self.follicles:
            if in_target_only and not f.in_target:
                continue
            sa, sb = f.states[ia], f.states[ib]
            if sa.active and sb.active:
                out[f.follicle_id] = "kept" if sa.generation == sb.generation else "replaced"
            elif sa.active:
                out[f.follicle_id] = "lost"
            else:
                out[f.follicle_id] = "new" if sb.active else "absent"
        return out

    def diameter_change_um(self, a: str, b: str) -> dict[int, float]:
        """Per follicle whose hair is kept from ``a`` to ``b``: diameter change in um."""
        ia, ib = self.visit_index(a), self.visit_index(b)
        return {
            f.follicle_id: f.states[ib].diameter_um - f.states[ia].diameter_um
            for f in self.follicles
            if f.states[ia].active
            and f.states[ib].active
            and f.states[ia].generation == f.states[ib].generation
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": 1,
            "subject_id": self.subject_id,
            "arm": self.arm,
            "response": round(self.response, 6),
            "rates": {k: round(v, 8) for k, v in self.rates.items()},
            "site": self.site,
            "target": {
                "centre_um": [round(c, 4) for c in self.target_centre_um],
                "radius_um": round(self.target_radius_um, 4),
                "area_cm2": round(self.target_area_cm2, 8),
            },
            "visits": [asdict(v) for v in self.visits],
            "follicles": [
                {
                    "follicle_id": f.follicle_id,
                    "unit_id": f.unit_id,
                    "exit_um": [round(c, 4) for c in f.exit_um],
                    "in_target": f.in_target,
                    "active": [s.active for s in f.states],
                    "generation": [s.generation for s in f.states],
                    "diameter_um": [round(s.diameter_um, 4) for s in f.states],
                    "length_um": [round(s.length_um, 3) for s in f.states],
                    "fate": [s.fate for s in f.states],
                }
                for f in self.follicles
            ],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SubjectTruth:
        tracks = []
        for f in d["follicles"]:
            states = [
                FollicleState(bool(a), int(g), float(di), float(le), str(fa))
                for a, g, di, le, fa in zip(
                    f["active"], f["generation"], f["diameter_um"], f["length_um"], f["fate"]
                )
            ]
            tracks.append(
                FollicleTrack(
                    int(f["follicle_id"]),
                    int(f["unit_id"]),
                    tuple(f["exit_um"]),
                    bool(f["in_target"]),
                    states,
                )
            )
        names = {fl.name for fl in fields(VisitTruth)}
        return cls(
            subject_id=str(d["subject_id"]),
            arm=str(d["arm"]),
            response=float(d["response"]),
            rates={k: float(v) for k, v in d["rates"].items()},
            site=str(d["site"]),
            target_centre_um=tuple(d["target"]["centre_um"]),
            target_radius_um=float(d["target"]["radius_um"]),
            visits=[VisitTruth(**{k: v for k, v in vd.items() if k in names}) for vd in d["visits"]],
            follicles=tracks,
        )
