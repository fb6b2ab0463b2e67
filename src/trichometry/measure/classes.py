"""Thickness classes (vellus / intermediate / terminal) under named conventions.

Schools disagree on the cut-offs, so every result names the convention it used and
prints its cut-offs. Built-in conventions (diameters in micrometres):

=============  ==================================================================
``trichoscopy``  vellus (thin) < 30, intermediate 30-60, terminal >= 60
``trichoscan``   vellus < 40, terminal >= 40 (TrichoScan)
``trial``        vellus < 30, non-vellus >= 30 (trial target-area counts)
=============  ==================================================================

A custom convention is written ``custom:C1,C2,...`` (increasing cut-offs in um): the
first class is ``vellus``, the last ``terminal``, any between ``intermediate_<k>``.
A hair is *non-vellus* when its diameter is ``>=`` the first cut-off.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from trichometry.errors import ConfigError


@dataclass(frozen=True)
class Convention:
    """Named diameter cut-offs.

    Attributes:
        name: convention name as written in results.
        cutoffs_um: increasing class boundaries in um; ``len(labels) == len(cutoffs_um) + 1``.
        labels: class names from thinnest to thickest; the first is the vellus class.
    """

    name: str
    cutoffs_um: tuple[float, ...]
    labels: tuple[str, ...]

    def __post_init__(self) -> None:
        if len(self.labels) != len(self.cutoffs_um) + 1:
            raise ConfigError(f"convention {self.name!r} needs one label more than cut-offs.")
        if any(b <= a for a, b in zip(self.cutoffs_um, self.cutoffs_um[1:])) or any(
            not (c > 0 and math.isfinite(c)) for c in self.cutoffs_um
        ):
            raise ConfigError(
                f"convention {self.name!r}: cut-offs must be positive and increasing, got {self.cutoffs_um}."
            )

    @property
    def vellus_below_um(self) -> float:
        """Diameters below this are vellus; at or above are non-vellus."""
        return self.cutoffs_um[0]

    def classify(self, diameter_um: float | None) -> str | None:
        """Class label for one diameter, ``None`` when the diameter is unknown."""
        if diameter_um is None or not math.isfinite(diameter_um):
            return None
        for cut, label in zip(self.cutoffs_um, self.labels):
            if diameter_um < cut:
                return label
        return self.labels[-1]

    def class_probabilities(self, diameter_um: float | None, se_um: float | None) -> dict[str, float] | None:
        """Probability of each class for a diameter measured with standard error ``se_um``
        (normal error); a known diameter without an error puts all weight on its class.
        ``None`` when the diameter is unknown."""
        label = self.classify(diameter_um)
        if label is None:
            return None
        if se_um is None or not math.isfinite(se_um) or se_um <= 0:
            return {k: float(k == label) for k in self.labels}
        cdf = [0.5 * math.erfc(-(c - diameter_um) / (se_um * math.sqrt(2.0))) for c in self.cutoffs_um]
        edges = [0.0, *cdf, 1.0]
        return {k: max(0.0, edges[i + 1] - edges[i]) for i, k in enumerate(self.labels)}

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "cutoffs_um": [float(c) for c in self.cutoffs_um],
            "labels": list(self.labels),
            "vellus_below_um": float(self.vellus_below_um),
        }


CONVENTIONS: dict[str, Convention] = {
    "trichoscopy": Convention("trichoscopy", (30.0, 60.0), ("vellus", "intermediate", "terminal")),
    "trichoscan": Convention("trichoscan", (40.0,), ("vellus", "terminal")),
    "trial": Convention("trial", (30.0,), ("vellus", "non-vellus")),
}


def get_convention(convention: str | Convention) -> Convention:
    """Look a convention up by name, parse ``custom:C1,C2,...``, or pass one through.

    Raises:
        ConfigError: unknown name or malformed custom cut-offs (the message lists the names).
    """
    if isinstance(convention, Convention):
        return convention
    key = str(convention).strip().lower()
    if key in CONVENTIONS:
        return CONVENTIONS[key]
    if key.startswith("custom:"):
        try:
            cuts = tuple(float(v) for v in key.split(":", 1)[1].split(",") if v.strip())
        except ValueError as exc:
            raise ConfigError(
                f"cannot read cut-offs in {convention!r}; write e.g. 'custom:30,60' (um)."
            ) from exc
        if not cuts:
            raise ConfigError(f"{convention!r} has no cut-offs; write e.g. 'custom:30,60' (um).")
        mids = tuple(f"intermediate_{k}" for k in range(1, len(cuts)))
        return Convention(key, cuts, ("vellus", *mids, "terminal"))
    raise ConfigError(
        f"unknown thickness convention {convention!r}; choose one of {sorted(CONVENTIONS)} "
        "or write 'custom:C1,C2,...' with cut-offs in um."
    )
