"""The hairs a raw prediction gives at any exit threshold and peak separation, counted as
the measurement engine counts them: the sweep behind :mod:`trichometry.training.calibrate`.

:class:`Sweep` finds the exit peaks once and traces once per distinct set of exits;
:class:`RealPhoto` / :func:`real_photos` hold box-labelled real photos for the count
objective.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from trichometry.inference.peaks import peak_values
from trichometry.inference.prediction import Prediction
from trichometry.inference.predictor import THRESHOLD_LIMITS, Predictor
from trichometry.measure.detect import find_exits, locate_hairs


class Sweep:
    """The hairs one raw prediction gives at each threshold and separation, counted as
    the measurement engine counts them (:func:`~trichometry.measure.detect.locate_hairs`:
    exit peaks in the analysable area, far ends of traced shafts dropped).

    Peaks are found once; the tracing runs once per distinct set of exit points.
    """

    def __init__(self, prediction: Prediction, um: float, valid: np.ndarray | None = None) -> None:
        self.prediction, self.um, self.valid = prediction, um, valid
        self._peaks = peak_values(prediction.exit_prob, THRESHOLD_LIMITS[0])  # the lowest asked
        self._seen: dict[bytes, np.ndarray] = {}
        self._asked: dict[tuple[float, float], np.ndarray] = {}

    def _inside(self, xy: np.ndarray) -> np.ndarray:
        if self.valid is None or len(xy) == 0:
            return np.ones(len(xy), dtype=bool)
        ij = np.clip(np.round(xy[:, ::-1]).astype(int), 0, np.array(self.valid.shape) - 1)
        return self.valid[ij[:, 0], ij[:, 1]]

    def hairs(self, threshold: float, separation_um: float) -> np.ndarray:
        """``(N, 2)`` counted exit points at this raw threshold and separation."""
        asked = (float(threshold), float(separation_um))
        if asked not in self._asked:
            self._asked[asked] = self._hairs(*asked)
        return self._asked[asked]

    def _hairs(self, threshold: float, separation_um: float) -> np.ndarray:
        p, sep = self.prediction, max(1.0, separation_um / self.um)
        exits, _ = find_exits(p.exit_prob, float(threshold), sep, self._peaks)
        key = exits.tobytes()
        if key not in self._seen:
            found = locate_hairs(
                p.exit_prob, p.shaft_prob, p.diameter_px, threshold=float(threshold),
                min_distance_px=sep, inside=self._inside, peaks=self._peaks,
            )  # fmt: skip
            self._seen[key] = found.exits[found.keep]
        return self._seen[key]


@dataclass
class RealPhoto:
    """A real photo's raw prediction, its box count and where it can be analysed."""

    prediction: Prediction
    n_true: int
    um: float
    valid: np.ndarray

    def __post_init__(self) -> None:
        self._sweep = Sweep(self.prediction, self.um, self.valid)

    def count(self, threshold: float, separation_um: float) -> int:
        """Hairs counted in the analysable area at this raw threshold and separation."""
        return len(self._sweep.hairs(threshold, separation_um))


def real_photos(
    predictor: Predictor, voc_root: str | Path, split: str = "train", limit: int = 60, um_per_px: float = 2.8
) -> list[RealPhoto]:
    """Raw predictions of the first ``limit`` photos of a box split (never the validation one
    you report on), with burned-in overlays masked out as the analysis pipeline does."""
    from trichometry.data.voc import iter_voc
    from trichometry.quality import detect_overlays

    out = []
    for i, item in enumerate(iter_voc(voc_root, split, um_per_px=um_per_px)):
        if i >= limit:
            break
        overlay, _ = detect_overlays(item.image)
        raw = predictor.predict(item.image, um_per_px, calibrated=False)
        out.append(RealPhoto(raw, len(item.boxes), um_per_px, ~overlay))
    return out
