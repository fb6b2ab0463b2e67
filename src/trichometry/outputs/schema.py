"""The JSON document and the CSV row of one analysed image (schema version 1).

JSON (``<stem>.json``), top level:

=================================  =========================================================
``schema_version``                 1
``status``                         ``ok`` (measured) or ``rejected`` (quality: no numbers)
``image``                          ``source``, ``sha256``, ``format``, ``bit_depth``, ``width``, ``height``
``calibration``                    ``um_per_px``, ``source`` (explicit|dicom|device-profile|none), ``note``
``hair_count``                     hairs whose exit point lies in the analysed area
``area_cm2``                       analysed area (ROI minus masked overlays/glare); null if uncalibrated
``um_per_px``                      scale used; null if uncalibrated
``density_per_cm2``                hairs per cm2; null if uncalibrated
``density_ci95``                   exact Poisson (Garwood) 95 % interval per cm2; null if uncalibrated
``non_vellus_density_per_cm2``     hairs at or above the convention's vellus cut-off per cm2
``mean_thickness_um``              mean shaft diameter near the root
``median_thickness_um``            median shaft diameter
``class_counts``                   hairs per thickness class of ``convention``
``cumulative_thickness_mm_per_cm2`` sum of diameters (mm) per cm2 ("hair mass")
``anisotrichosis_pct``             coefficient of variation of diameters (%)
``follicular_units``               units, units_per_cm2, hairs_per_unit histogram, link distance
``convention``                     name, cut-offs (um), class labels
``roi``                            the analysed region
``quality``                        verdict, reasons, metrics
``model``                          method, name, version, sha256 of the detector
``timings_s``                      read, quality, infer, measure, total
``flags``                          e.g. ``uncalibrated``, ``quality-warn``
``summary``                        the full measurement summary (direction, evenness, ...)
``hairs``                          per hair: ``hair_id``, ``x_px``, ``y_px`` (exit point),
                                   ``end_x_px``, ``end_y_px``, ``direction_deg``, ``length_px``,
                                   ``length_um``, ``thickness_px``, ``thickness_um``,
                                   ``thickness_se_um`` (standard error), ``thickness_source``,
                                   ``class``, ``class_confidence`` (probability of that class
                                   given the error), ``unit_id``, ``reaches_border``,
                                   ``assessable`` (false: a reviewer marked its width not
                                   assessable; counted, not measured); in a reviewed
                                   version also ``source`` (``detected``, or ``reviewed``:
                                   added or moved by a reviewer) and, for a hair joined to
                                   a baseline hair, ``same_as`` (``image_sha256``, ``exit``)
``candidates``                     sub-threshold exit peaks in the analysed area (``x_px``,
                                   ``y_px``, ``score``: heatmap peak value); never counted, used
                                   only to rescue a hair seen at another visit (``compare``)
``trichometry_version``            package version that produced the document
=================================  =========================================================
"""

from __future__ import annotations

from typing import Any

from trichometry.utils.encoding import json_safe
from trichometry.utils.spreadsheet import neutralise

SCHEMA_VERSION = 1

#: keys every JSON document has (null where not applicable)
REQUIRED_KEYS: tuple[str, ...] = (
    "schema_version",
    "status",
    "image",
    "calibration",
    "hair_count",
    "area_cm2",
    "um_per_px",
    "density_per_cm2",
    "density_ci95",
    "mean_thickness_um",
    "median_thickness_um",
    "class_counts",
    "cumulative_thickness_mm_per_cm2",
    "follicular_units",
    "quality",
    "model",
    "convention",
    "hairs",
)

#: columns of measurements.csv, one row per input file (failed files included)
CSV_COLUMNS: tuple[str, ...] = (
    "file",
    "status",
    "error",
    "quality",
    "quality_reasons",
    "hair_count",
    "area_cm2",
    "density_per_cm2",
    "density_ci95_low",
    "density_ci95_high",
    "non_vellus_density_per_cm2",
    "mean_thickness_um",
    "median_thickness_um",
    "cumulative_thickness_mm_per_cm2",
    "anisotrichosis_pct",
    "follicular_units",
    "units_per_cm2",
    "class_counts",
    "um_per_px",
    "calibration",
    "convention",
    "roi",
    "method",
    "model_name",
    "model_version",
    "model_sha256",
    "sha256",
    "width",
    "height",
    "flags",
    "time_s",
    "json",
    "overlay",
)


def _hair(h: Any) -> dict[str, Any]:
    return {
        "hair_id": h.hair_id,
        "x_px": h.exit_xy[0],
        "y_px": h.exit_xy[1],
        "end_x_px": h.end_xy[0],
        "end_y_px": h.end_xy[1],
        "direction_deg": h.direction_deg,
        "length_px": h.length_px,
        "length_um": h.length_um,
        "thickness_px": h.thickness_px,
        "thickness_um": h.thickness_um,
        "thickness_se_um": h.thickness_se_um,
        "thickness_source": h.thickness_source,
        "class": h.class_name,
        "class_confidence": h.class_confidence,
        "unit_id": h.unit_id,
        "reaches_border": h.reaches_border,
        "assessable": h.profile_flag != "not_assessable",
    }


def result_to_dict(result: Any) -> dict[str, Any]:
    """The JSON document of an :class:`~trichometry.analysis.AnalysisResult`."""
    from trichometry.measure import get_convention

    ld = result.loaded
    m = result.measurement
    s: dict[str, Any] = m.summary if m is not None else {}
    fu = s.get("follicular_units")
    doc: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "status": result.status,
        "image": {
            "source": ld.source,
            "sha256": ld.sha256,
            "format": ld.format,
            "bit_depth": ld.bit_depth,
            "width": ld.width,
            "height": ld.height,
        },
        "calibration": {
            "um_per_px": ld.um_per_px,
            "source": ld.calibration_source,
            "note": ld.calibration_note,
        },
        "hair_count": s.get("hair_count"),
        "area_cm2": s.get("area_cm2"),
        "area_px": s.get("area_px"),
        "um_per_px": ld.um_per_px,
        "density_per_cm2": s.get("density_per_cm2"),
        "density_ci95": s.get("density_ci95_per_cm2"),
        "interval_method": s.get("interval_method"),
        "non_vellus_density_per_cm2": s.get("non_vellus_density_per_cm2"),
        "mean_thickness_um": s.get("mean_diameter_um"),
        "median_thickness_um": s.get("median_diameter_um"),
        "mean_thickness_px": s.get("mean_diameter_px"),
        "class_counts": s.get("class_counts"),
        "cumulative_thickness_mm_per_cm2": s.get("cumulative_thickness_mm_per_cm2"),
        "anisotrichosis_pct": s.get("anisotrichosis_pct"),
        "follicular_units": fu,
        "convention": m.convention if m is not None else get_convention(result.convention).to_dict(),
        "roi": m.roi if m is not None else result.roi,  # same Roi.to_dict layout
        "quality": result.quality.to_dict(),
        "model": result.model,
        "timings_s": result.timings_s,
        "flags": list(result.flags),
        "summary": s or None,
        "hairs": [_hair(h) for h in m.hairs] if m is not None else [],
        "candidates": m.candidates() if m is not None else [],
        "trichometry_version": result.trichometry_version,
    }
    return json_safe(doc)


def _cell(v: Any) -> Any:
    """CSV-safe cell: None -> empty; text starting with = + - @ neutralised (spreadsheet formulas)."""
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.6g}"
    return neutralise(v)


def _dict_cell(d: dict[str, Any] | None) -> str | None:
    return None if not d else ";".join(f"{k}={v}" for k, v in d.items())


def result_row(doc: dict[str, Any], file: str, json_name: str = "", overlay_name: str = "") -> dict[str, Any]:
    """The measurements.csv row of one JSON document (see :data:`CSV_COLUMNS`)."""
    ci = doc.get("density_ci95") or [None, None]
    fu = doc.get("follicular_units") or {}
    model = doc.get("model") or {}
    q = doc.get("quality") or {}
    row = {
        "file": file,
        "status": doc["status"],
        "error": None,
        "quality": q.get("verdict"),
        "quality_reasons": " | ".join(q.get("reasons", [])) or None,
        "hair_count": doc.get("hair_count"),
        "area_cm2": doc.get("area_cm2"),
        "density_per_cm2": doc.get("density_per_cm2"),
        "density_ci95_low": ci[0],
        "density_ci95_high": ci[1],
        "non_vellus_density_per_cm2": doc.get("non_vellus_density_per_cm2"),
        "mean_thickness_um": doc.get("mean_thickness_um"),
        "median_thickness_um": doc.get("median_thickness_um"),
        "cumulative_thickness_mm_per_cm2": doc.get("cumulative_thickness_mm_per_cm2"),
        "anisotrichosis_pct": doc.get("anisotrichosis_pct"),
        "follicular_units": fu.get("units"),
        "units_per_cm2": fu.get("units_per_cm2"),
        "class_counts": _dict_cell(doc.get("class_counts")),
        "um_per_px": doc.get("um_per_px"),
        "calibration": doc["calibration"]["source"],
        "convention": (doc.get("convention") or {}).get("name"),
        "roi": (doc.get("roi") or {}).get("spec"),
        "method": model.get("method"),
        "model_name": model.get("name"),
        "model_version": model.get("version"),
        "model_sha256": model.get("sha256"),
        "sha256": doc["image"]["sha256"],
        "width": doc["image"]["width"],
        "height": doc["image"]["height"],
        "flags": ";".join(doc.get("flags", [])) or None,
        "time_s": (doc.get("timings_s") or {}).get("total"),
        "json": json_name,
        "overlay": overlay_name,
    }
    return {k: _cell(row.get(k)) for k in CSV_COLUMNS}


def failure_row(file: str, error: str) -> dict[str, Any]:
    """The measurements.csv row of a file that could not be analysed."""
    row = {k: "" for k in CSV_COLUMNS}
    row.update(file=_cell(file), status="failed", error=_cell(error))
    return row
