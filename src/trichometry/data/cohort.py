"""Write simulated longitudinal subjects as one data set folder (atomically).

Example::

    subjects = iter_cohort(4, seed=0, ranges=SceneRanges().with_overrides(width=640, height=512))
    rows = write_cohort("cohort", subjects, n_subjects=4, seed=0)

Subjects are assigned to splits as a whole (all visits of a subject share a split), so a
model trained on ``train`` never sees a ``test`` subject's scalp.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
from tqdm import tqdm

from trichometry.data.manifest import SPLITS, ManifestRow
from trichometry.data.writer import DatasetWriter
from trichometry.errors import ConfigError

if TYPE_CHECKING:  # the data set format does not depend on the generator
    from trichometry.synth.longitudinal import Subject


def assign_splits(
    n_subjects: int, seed: int, *, val_fraction: float = 0.1, test_fraction: float = 0.1
) -> list[str]:
    """Split name for each subject index: a seeded shuffle, ``round(n * fraction)`` per split.

    Raises:
        ConfigError: fractions outside [0, 1] or summing above 1.
    """
    for name, f in (("val_fraction", val_fraction), ("test_fraction", test_fraction)):
        if not (isinstance(f, (int, float)) and 0.0 <= f <= 1.0):
            raise ConfigError(f"{name}={f!r} must be in [0, 1].")
    if val_fraction + test_fraction > 1.0:
        raise ConfigError(
            f"val_fraction + test_fraction = {val_fraction + test_fraction:g} must not exceed 1."
        )
    n_test = round(n_subjects * test_fraction)
    n_val = min(round(n_subjects * val_fraction), n_subjects - n_test)
    order = np.random.default_rng([int(seed), 0x5B11]).permutation(n_subjects)
    out = ["train"] * n_subjects
    for rank, idx in enumerate(order):
        if rank < n_test:
            out[idx] = "test"
        elif rank < n_test + n_val:
            out[idx] = "val"
    return out


def write_cohort(
    out: str | os.PathLike[str],
    subjects: Iterable[Subject],
    *,
    n_subjects: int,
    splits: list[str] | str = "train",
    name: str = "synthetic cohort",
    provenance: dict[str, Any] | None = None,
    overwrite: bool = False,
    progress: bool = True,
    total_images: int | None = None,
    photos_per_visit: int = 1,
) -> list[ManifestRow]:
    """Render every visit of every subject and write them, with truth, as a data set.

    Args:
        out: the data set folder to create; it appears complete or not at all.
        subjects: the subjects (a generator is fine: each is rendered and dropped).
        n_subjects: how many ``subjects`` yields (for the progress bar and ``splits``).
        splits: one split for all, or one per subject (see :func:`assign_splits`).
        name: stored in ``dataset.json``.
        provenance: generator settings to store (seed, ranges, protocol); no timestamps.
        overwrite: replace an existing ``out`` once the new one is complete.
        progress: show a tqdm bar (one step per image).
        total_images: expected number of images, for the bar (grows as subjects come if None).
        photos_per_visit: photos per visit; photos after the first are re-positioned and
            relit (:meth:`Subject.extra_photo`, ids ``<subject>_<visit>_p<j>``).

    Returns:
        The manifest rows written, in order.

    Raises:
        ConfigError: unknown split, or ``splits`` of the wrong length.
        OutputError: ``out`` exists (without ``overwrite``) or cannot be written.
    """
    per_subject = [splits] * n_subjects if isinstance(splits, str) else list(splits)
    if len(per_subject) != n_subjects:
        raise ConfigError(f"got {len(per_subject)} splits for {n_subjects} subjects.")
    if not isinstance(photos_per_visit, int) or not 1 <= photos_per_visit <= 20:
        raise ConfigError(f"photos per visit {photos_per_visit!r} must be a whole number in 1..20.")
    bad = sorted(set(per_subject) - set(SPLITS))
    if bad:
        raise ConfigError(f"unknown split(s) {', '.join(bad)}; use {', '.join(SPLITS)}.")
    desc = f"{name}: {n_subjects} subject(s)"
    with DatasetWriter(
        out, name=name, description=desc, provenance=provenance, overwrite=overwrite
    ) as writer:
        bar = tqdm(desc="simulate", unit="img", total=total_images, disable=not progress)
        try:
            count = 0
            for subject, split in zip(subjects, per_subject):
                truth = subject.truth
                if total_images is None:
                    bar.total = (bar.total or 0) + len(truth.visits) * photos_per_visit
                    bar.refresh()
                writer.add_subject(subject.subject_id, truth.to_dict())
                for k, visit in enumerate(truth.visits):
                    for j in range(photos_per_visit):
                        sample = subject.render(k) if j == 0 else subject.extra_photo(k, j)
                        writer.add_sample(
                            sample,
                            subject=subject.subject_id,
                            visit=visit.name,
                            date=visit.date,
                            days_since_baseline=visit.day,
                            site=truth.site,
                            arm=subject.arm,
                            split=split,
                        )
                        bar.update(1)
                count += 1
            if count != n_subjects:
                raise ConfigError(f"expected {n_subjects} subjects, got {count}.")
        finally:
            bar.close()
    return writer.rows
