"""The long ("tidy") data set in the style of a CDISC ADaM Basic Data Structure (BDS).

One row per subject x site x visit x parameter. Columns:

* identifiers: ``STUDYID``, ``USUBJID``, ``ARM``, ``SITE`` (target site), ``VISIT``
  (visit label as collected);
* timing: ``AVISIT`` / ``AVISITN`` (analysis visit: ``Baseline`` / 0, the window name /
  its target day, or ``Unscheduled``), ``ADT`` (date), ``ADY`` (study day, CDISC style:
  baseline day = 1, day *d* after baseline = *d* + 1, days before baseline negative),
  ``AWINDOW``, ``AWTARGET``, ``AWLO``, ``AWHI`` (window and its days since baseline);
* flags: ``ABLFL`` (baseline), ``ANL01FL`` (the visit analysed for its window),
  ``MISSFL`` (an expected window without a visit: ``AVAL`` empty);
* values: ``PARAMCD``, ``PARAM``, ``AVAL`` (mean over the visit's images), ``AVALSD``
  (SD over images), ``NIMG`` (images with a value), ``BASE``, ``CHG``, ``PCHG``,
  ``CRIT1`` / ``CRIT1FL`` (responder rule, on the responder parameter only);
* traceability: ``IMGID``, ``IMGSHA256`` (``;``-separated, one per image),
  ``MODEL``, ``MODELVER``, ``MODELSHA``, ``CONVENTION``;
* the headline change (:mod:`trichometry.reports.headline`): one extra row per analysed
  follow-up visit with ``PARAMCD = DENSHCHG``, ``AVAL`` the headline density change,
  ``AVALLO`` / ``AVALHI`` its 95 % interval and ``METHOD`` the figure that leads
  (``hair-to-hair`` or ``independent counts``); these three columns are empty elsewhere.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from trichometry.reports.engine import MissingVisit, ReportConfig, VisitObservation
from trichometry.reports.headline import HeadlineChange
from trichometry.reports.parameters import PARAMETERS

COLUMNS: tuple[str, ...] = (
    "STUDYID",
    "USUBJID",
    "ARM",
    "SITE",
    "VISIT",
    "AVISIT",
    "AVISITN",
    "ADT",
    "ADY",
    "AWINDOW",
    "AWTARGET",
    "AWLO",
    "AWHI",
    "ABLFL",
    "ANL01FL",
    "MISSFL",
    "PARAMCD",
    "PARAM",
    "AVAL",
    "AVALSD",
    "NIMG",
    "BASE",
    "CHG",
    "PCHG",
    "CRIT1",
    "CRIT1FL",
    "IMGID",
    "IMGSHA256",
    "MODEL",
    "MODELVER",
    "MODELSHA",
    "CONVENTION",
    "AVALLO",
    "AVALHI",
    "METHOD",
)

HEADLINE_PARAM = ("DENSHCHG", "Headline density change from baseline (hairs/cm2)")

#: columns that hold numbers (empty = missing); all others hold text.
NUMERIC: frozenset[str] = frozenset(
    {
        "AVISITN",
        "ADY",
        "AWTARGET",
        "AWLO",
        "AWHI",
        "AVAL",
        "AVALSD",
        "NIMG",
        "BASE",
        "CHG",
        "PCHG",
        "AVALLO",
        "AVALHI",
    }
)


def _num(x: float) -> float | None:
    return x if isinstance(x, int) or (isinstance(x, float) and math.isfinite(x)) else None


def _day(x: float) -> int | float:
    return int(x) if float(x).is_integer() else float(x)


def _join(values: Sequence[str]) -> str:
    return ";".join(dict.fromkeys(v for v in values if v))


def _ady(day: int) -> int:
    return day + 1 if day >= 0 else day


def _crit(config: ReportConfig) -> str:
    return f"{config.responder_param} PCHG >= {config.responder_threshold_pct:g}%"


def long_rows(
    obs: Sequence[VisitObservation], missing: Sequence[MissingVisit], config: ReportConfig
) -> list[dict[str, Any]]:
    """The BDS rows (numbers as int/float, missing as ``None``), sorted for stable output."""
    rows: list[dict[str, Any]] = []
    study = {o.subject: o.study_id for o in obs}
    for o in obs:
        w = o.window
        imgs = o.images
        for p in PARAMETERS:
            aval, pchg = _num(o.values[p.code]), _num(o.pchg[p.code])
            resp = p.code == config.responder_param and not o.is_baseline and pchg is not None
            rows.append(
                {
                    "STUDYID": o.study_id,
                    "USUBJID": o.subject,
                    "ARM": o.arm,
                    "SITE": o.site,
                    "VISIT": o.visit,
                    "AVISIT": "Baseline" if o.is_baseline else (w.name if w else "Unscheduled"),
                    "AVISITN": 0 if o.is_baseline else (_day(w.centre_day) if w else None),
                    "ADT": o.date.isoformat() if o.date else "",
                    "ADY": _ady(o.day),
                    "AWINDOW": w.name if w else ("Baseline" if o.is_baseline else ""),
                    "AWTARGET": _day(w.centre_day) if w else (0 if o.is_baseline else None),
                    "AWLO": _day(w.first_day) if w else None,
                    "AWHI": _day(w.last_day) if w else None,
                    "ABLFL": "Y" if o.is_baseline else "",
                    "ANL01FL": "Y" if o.analysed else "",
                    "MISSFL": "",
                    "PARAMCD": p.code,
                    "PARAM": p.title(config.vellus_cutoff_um),
                    "AVAL": aval,
                    "AVALSD": _num(o.spread[p.code]),
                    "NIMG": o.n_valid[p.code],
                    "BASE": _num(o.base[p.code]),
                    "CHG": None if o.is_baseline else _num(o.chg[p.code]),
                    "PCHG": None if o.is_baseline else pchg,
                    "CRIT1": _crit(config) if resp else "",
                    "CRIT1FL": ("Y" if pchg >= config.responder_threshold_pct else "N") if resp else "",
                    "IMGID": _join([r.image_id for r in imgs]),
                    "IMGSHA256": _join([r.image_sha256 for r in imgs]),
                    "MODEL": _join([r.model.name for r in imgs]),
                    "MODELVER": _join([r.model.version for r in imgs]),
                    "MODELSHA": _join([r.model.sha256 for r in imgs]),
                    "CONVENTION": _join([r.convention for r in imgs]),
                    "AVALLO": None,
                    "AVALHI": None,
                    "METHOD": "",
                }
            )
    for m in missing:
        for p in PARAMETERS:
            row: dict[str, Any] = dict.fromkeys(COLUMNS, "")
            row.update(
                STUDYID=study.get(m.subject, config.study_id),
                USUBJID=m.subject,
                ARM=m.arm,
                SITE=m.site,
                AVISIT=m.window.name,
                AVISITN=_day(m.window.centre_day),
                ADY=None,
                AWINDOW=m.window.name,
                AWTARGET=_day(m.window.centre_day),
                AWLO=_day(m.window.first_day),
                AWHI=_day(m.window.last_day),
                MISSFL="Y",
                PARAMCD=p.code,
                PARAM=p.title(config.vellus_cutoff_um),
                AVAL=None,
                AVALSD=None,
                NIMG=0,
                BASE=None,
                CHG=None,
                PCHG=None,
                AVALLO=None,
                AVALHI=None,
            )
            rows.append(row)
    order = {p.code: i for i, p in enumerate(PARAMETERS)}
    rows.sort(
        key=lambda r: (
            r["ARM"],
            r["USUBJID"],
            r["SITE"],
            order[r["PARAMCD"]],
            r["AWTARGET"] if r["AWTARGET"] is not None else 10**9,
            r["ADY"] if r["ADY"] is not None else 10**9,
            r["VISIT"],
        )
    )
    return rows


def headline_rows(
    headlines: Sequence[HeadlineChange], obs: Sequence[VisitObservation]
) -> list[dict[str, Any]]:
    """The ``DENSHCHG`` rows: one per headline, copying its visit's ``DENS`` row's identifiers."""
    by_key = {(o.subject, o.site, o.visit): o for o in obs}
    out: list[dict[str, Any]] = []
    code, title = HEADLINE_PARAM
    for h in headlines:
        o = by_key[(h.subject, h.site, h.visit)]
        w = o.window
        assert w is not None  # headlines exist for windowed visits only
        imgs = o.images
        row: dict[str, Any] = dict.fromkeys(COLUMNS, "")
        row.update(
            STUDYID=o.study_id, USUBJID=o.subject, ARM=o.arm, SITE=o.site, VISIT=o.visit,
            AVISIT=w.name, AVISITN=_day(w.centre_day), ADT=o.date.isoformat() if o.date else "",
            ADY=_ady(o.day), AWINDOW=w.name, AWTARGET=_day(w.centre_day), AWLO=_day(w.first_day),
            AWHI=_day(w.last_day), ANL01FL="Y", PARAMCD=code, PARAM=title,
            AVAL=_num(round(h.change.estimate, 6)), AVALSD=None, NIMG=o.n_valid["DENS"],
            BASE=_num(h.baseline_density), CHG=None, PCHG=_num(round(h.change_pct, 6)),
            AVALLO=_num(round(h.change.low, 6)), AVALHI=_num(round(h.change.high, 6)),
            METHOD=h.measure, IMGID=_join([r.image_id for r in imgs]),
            IMGSHA256=_join([r.image_sha256 for r in imgs]), MODEL=_join([r.model.name for r in imgs]),
            MODELVER=_join([r.model.version for r in imgs]), MODELSHA=_join([r.model.sha256 for r in imgs]),
            CONVENTION=_join([r.convention for r in imgs]),
        )  # fmt: skip
        out.append(row)
    out.sort(key=lambda r: (r["ARM"], r["USUBJID"], r["SITE"], r["AWTARGET"], r["ADY"], r["VISIT"]))
    return out
