"""Run an evaluation: methods x cohort -> per-photo, per-visit and summary figures.

Entry point of ``evaluate.py``: :func:`evaluate` takes an :class:`EvaluateConfig` (or the
DictConfig Hydra composes from it), scores every method on the same subjects, and writes
the report (see :mod:`trichometry.evaluation.report`).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from trichometry.evaluation.cohort import Subject, dataset_cohort, generate_cohort
from trichometry.evaluation.config import to_objects
from trichometry.evaluation.detectors import Perturbation, get_detector
from trichometry.evaluation.metrics import PointScores, count_errors, error_summary, sum_scores
from trichometry.evaluation.scoring import repeat_groups, score_photo, score_subject
from trichometry.visits import repeatability

logger = logging.getLogger(__name__)


def summarise_photos(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Pooled detection, count, thickness and segmentation figures of one method.

    Photos rejected by quality control carry no hairs; they are counted
    (``n_rejected``) and left out of the figures, as the clinic leaves them out.
    """
    n_all = len(rows)
    rows = [r for r in rows if not r.get("rejected")]
    pooled = sum_scores([PointScores(r["tp"], r["fp"], r["fn"], np.zeros((0, 2)), np.zeros(0)) for r in rows])
    thick = [e for r in rows for e in r["thickness_errors_um"]]
    dice = [r["dice"] for r in rows if r["dice"] is not None]
    cld = [r["cl_dice"] for r in rows if r["cl_dice"] is not None]
    return {
        "n_photos": len(rows),
        "n_rejected": n_all - len(rows),
        "detection": pooled.to_dict(),
        "count": count_errors([r["pred_count"] for r in rows], [r["true_count"] for r in rows]),
        "thickness_error_um": error_summary(thick),
        "dice": float(np.mean(dice)) if dice else None,
        "cl_dice": float(np.mean(cld)) if cld else None,
    }


def summarise_visits(rows: list[dict[str, Any]], window_names: Iterable[str]) -> dict[str, Any]:
    """Change error (percentage points) per window, hair-to-hair matching vs independent counts."""
    out: dict[str, Any] = {}
    for name in [*window_names, "all"]:
        sel = [r for r in rows if name == "all" or r["window"] == name]
        ok = [r for r in sel if r.get("registered")]
        m_err = [r["matched_change_pct"] - r["true_change_pct"] for r in ok]
        i_err = [r["independent_change_pct"] - r["true_change_pct"] for r in ok]
        t_err = [r["matched_thickness_change_um"] - r["true_thickness_change_um"] for r in ok]
        p_err = [r["pairs_change_pct"] - r["pairs_true_change_pct"] for r in ok if "pairs_change_pct" in r]
        m_tgt = [r["matched_change_pct"] - r["target_change_pct"] for r in ok]
        i_tgt = [r["independent_change_pct"] - r["target_change_pct"] for r in ok]
        covered = [
            r["matched_change_pct_low"] <= r["true_change_pct"] <= r["matched_change_pct_high"]
            for r in ok
            if math.isfinite(r["matched_change_pct_low"])
        ]
        out[name] = {
            "n_visits": len(sel),
            "registration_failures": len(sel) - len(ok),
            "mean_true_change_pct": float(np.nanmean([r["true_change_pct"] for r in ok])) if ok else None,
            "matched_error_pp": error_summary(m_err),
            "independent_error_pp": error_summary(i_err),
            # visit_combine=consensus: the same visits matched by photo pairs instead
            "pairs_error_pp": error_summary(p_err),
            "thickness_change_error_um": error_summary(t_err),
            "matched_error_vs_target_pp": error_summary(m_tgt),
            "independent_error_vs_target_pp": error_summary(i_tgt),
            "matched_interval_coverage": float(np.mean(covered)) if covered else None,
        }
    return out


def _subjects(cfg: Any, cohort_cfg: Any) -> list[Subject] | Iterable[Subject]:
    if cfg.data.source == "dataset":
        return list(dataset_cohort(str(cfg.data.root), str(cfg.data.split)))
    return generate_cohort(cohort_cfg)


def evaluate(cfg: Any) -> dict[str, Any]:
    """Score every configured method on the configured cohort and write the report.

    Args:
        cfg: an :class:`~trichometry.evaluation.config.EvaluateConfig` or a DictConfig of it.

    Returns:
        The results dict that was written to ``results.json``.
    """
    from trichometry.evaluation.report import write_report

    cohort_cfg, methods, windows, reg, match = to_objects(cfg)
    pert = Perturbation(miss=float(cfg.perturb_miss), extra=float(cfg.perturb_extra),
                        jitter_um=float(cfg.perturb_jitter_um))  # fmt: skip
    detectors = {m: get_detector(m, cfg.checkpoint, pert) for m in methods}
    photo_rows: dict[str, list[dict[str, Any]]] = {m: [] for m in methods}
    visit_rows: dict[str, list[dict[str, Any]]] = {m: [] for m in methods}
    rep: dict[str, tuple[list, list]] = {m: ([], []) for m in methods}
    n_subjects = cohort_cfg.n_subjects if cfg.data.source == "generated" else None
    for subject in tqdm(_subjects(cfg, cohort_cfg), total=n_subjects, desc="subjects", unit="subject"):
        for m in methods:
            dets = {p.image_id: detectors[m](p) for v in subject.visits for p in v.photos}
            photo_rows[m] += [score_photo(p, dets[p.image_id], cfg.radius_um) for v in subject.visits
                              for p in v.photos]  # fmt: skip
            roi = cfg.roi_radius_fraction
            visit_rows[m] += score_subject(subject, dets, windows=windows, registration=reg, matching=match,
                                           roi_fraction=roi, combine=str(cfg.visit_combine))  # fmt: skip
            ind, mat = repeat_groups(subject, dets, reg, match, roi)
            rep[m][0].extend(ind)
            rep[m][1].extend(mat)
    names = [w.name for w in windows]
    results: dict[str, Any] = {"methods": {}}
    for m in methods:
        results["methods"][m] = {
            "photos": summarise_photos(photo_rows[m]),
            "change": summarise_visits(visit_rows[m], names),
            "repeatability_density": {
                "independent": repeatability(rep[m][0]).to_dict(),
                "matched_overlap": repeatability(rep[m][1]).to_dict(),
            },
            "visits": visit_rows[m],
            "photo_rows": [{k: v for k, v in r.items() if k != "thickness_errors_um"} for r in photo_rows[m]],
        }
    results["visit_combine"] = str(cfg.visit_combine)
    results["cohort"] = {
        "source": cfg.data.source,
        "subjects": len({r["subject"] for r in visit_rows[methods[0]]}),
        "photos": len(photo_rows[methods[0]]),
    }
    write_report(results, Path(cfg.out_dir), title=str(cfg.title), config=_plain(cfg))
    return results


def _plain(cfg: Any) -> dict[str, Any]:
    try:
        from omegaconf import OmegaConf

        if OmegaConf.is_config(cfg):
            return OmegaConf.to_container(cfg, resolve=True)  # type: ignore[return-value]
    except ImportError:  # pragma: no cover
        pass
    import dataclasses

    return dataclasses.asdict(cfg) if dataclasses.is_dataclass(cfg) else dict(cfg)
