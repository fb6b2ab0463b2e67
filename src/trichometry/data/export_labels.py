"""Reviewed hairs as training data: a Pascal-VOC folder plus COCO JSON, with provenance.

``trichometry export-labels DB OUT`` writes every photo whose newest analysis is a
reviewed version (``--all``: every analysed photo) as::

    OUT/images/ID.png          the photo's pixels, resampled to --um-per-px (default 2.8,
                               the FDU set's, so exports and FDU can train together)
    OUT/annotations/ID.xml     Pascal VOC: one <object> per hair, <name> its thickness
                               class, <bndbox> the box around its visible segment, and
                               <exit>/<tip> (x, y) and <assessable>; the detector family
                               reads the box, import-voc reads the whole file
    OUT/splits/train.txt       every exported id (the frame trainer holds every 10th out)
    OUT/coco.json              the same hairs as COCO keypoint annotations (exit, tip),
                               each image with its provenance: subject code, visit date,
                               image SHA-256, analysis id, review version, model
    OUT/provenance.json        what was exported, from which store, when, at what scale

IDs are ``SUBJECT_DATE_PHOTOID``: pseudonymous codes only, never names. Everything is
written to a temporary folder beside OUT and moved into place at the end
(:func:`trichometry.utils.atomic.atomic_directory`), so a failed export leaves nothing
half-written.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from tqdm import tqdm

from trichometry.data.voc import FDU_UM_PER_PX
from trichometry.errors import ConfigError
from trichometry.utils.atomic import atomic_directory
from trichometry.utils.encoding import encode_png

MIN_HALF_WIDTH_PX = 2.0  # a box is at least this far around its segment (no zero-width box)


@dataclass
class ExportReport:
    """What an export wrote and what it left out (with why)."""

    images: int = 0
    hairs: int = 0
    skipped: dict[str, int] = field(default_factory=dict)


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.") or "x"


def _photos(store: Any, reviewed_only: bool) -> list[tuple[Any, Any, Any]]:
    """``(visit photo, visit, newest analysis)`` of every photo to export, in a stable order."""
    from sqlalchemy import select

    from trichometry.store.models import Subject, Visit, VisitImage
    from trichometry.store.reviews import REVIEWED

    with store.read() as s:
        q = select(VisitImage, Visit).join(Visit, Visit.id == VisitImage.visit_id).join(Subject)
        rows = list(s.execute(q.order_by(Subject.code, Visit.visit_date, VisitImage.id)))
    out = []
    for vi, visit in rows:
        latest = store.latest_analysis(vi.id)
        if latest is None or (reviewed_only and latest.method != REVIEWED):
            continue
        out.append((vi, visit, latest))
    return out


def _segment_box(h: dict[str, Any], factor: float, size: tuple[int, int]) -> tuple[float, ...]:
    ex, ey, tx, ty = (h[k] * factor for k in ("x_px", "y_px", "end_x_px", "end_y_px"))
    half = max(MIN_HALF_WIDTH_PX, 0.5 * (h.get("thickness_px") or 0.0) * factor)
    w, hgt = size
    return (max(min(ex, tx) - half, 0.0), max(min(ey, ty) - half, 0.0),
            min(max(ex, tx) + half, w - 1.0), min(max(ey, ty) + half, hgt - 1.0), ex, ey, tx, ty)  # fmt: skip


def _voc_xml(image_id: str, size: tuple[int, int], hairs: list[tuple[dict, tuple]], prov: dict) -> bytes:
    root = ET.Element("annotation")
    ET.SubElement(root, "filename").text = f"{image_id}.png"
    sz = ET.SubElement(root, "size")
    ET.SubElement(sz, "width").text = str(size[0])
    ET.SubElement(sz, "height").text = str(size[1])
    ET.SubElement(sz, "depth").text = "3"
    src = ET.SubElement(root, "source")
    for k, v in prov.items():
        ET.SubElement(src, k).text = "" if v is None else str(v)
    for h, (x0, y0, x1, y1, ex, ey, tx, ty) in hairs:
        obj = ET.SubElement(root, "object")
        ET.SubElement(obj, "name").text = h.get("class") or "hair"
        bb = ET.SubElement(obj, "bndbox")
        for tag, v in zip(("xmin", "ymin", "xmax", "ymax"), (x0, y0, x1, y1)):
            ET.SubElement(bb, tag).text = f"{v:.2f}"
        for tag, (x, y) in (("exit", (ex, ey)), ("tip", (tx, ty))):
            pt = ET.SubElement(obj, tag)
            ET.SubElement(pt, "x").text = f"{x:.2f}"
            ET.SubElement(pt, "y").text = f"{y:.2f}"
        ET.SubElement(obj, "assessable").text = "1" if h.get("assessable", True) else "0"
        if h.get("thickness_um") is not None:
            ET.SubElement(obj, "thickness_um").text = f"{h['thickness_um']:.2f}"
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def export_labels(
    store: Any,
    out: str | Path,
    *,
    um_per_px: float = FDU_UM_PER_PX,
    reviewed_only: bool = True,
    overwrite: bool = False,
    progress: bool = True,
) -> ExportReport:
    """Write the store's reviewed hairs as VOC + COCO (see the module docstring).

    Raises:
        ConfigError: a bad scale, or nothing to export.
        OutputError: ``out`` exists (without ``overwrite``).
    """
    from trichometry.store.images import decode_rgb

    if not (math.isfinite(um_per_px) and 0.1 <= um_per_px <= 100):
        raise ConfigError(f"--um-per-px must lie in 0.1-100, got {um_per_px}.")
    out = Path(out)
    photos = _photos(store, reviewed_only)
    if not photos:
        what = "reviewed photo" if reviewed_only else "analysed photo"
        raise ConfigError(f"no {what} in this store; review hairs on a photo page first (or pass --all).")
    report = ExportReport()
    coco: dict[str, Any] = {"images": [], "annotations": [], "categories": []}
    categories: dict[str, int] = {}
    with atomic_directory(out, overwrite=overwrite) as tmp:  # whole, or nothing at OUT
        for sub in ("images", "annotations", "splits"):
            (tmp / sub).mkdir()
        ids = []
        for vi, visit, a in tqdm(photos, desc="export", unit="photo", disable=not progress):
            doc = a.result
            scale = doc.get("um_per_px")
            if not scale or doc.get("status") == "rejected":
                key = "uncalibrated" if not scale else "rejected"
                report.skipped[key] = report.skipped.get(key, 0) + 1
                continue
            factor = float(scale) / um_per_px
            image = decode_rgb(store.image_bytes(vi.image.sha256))
            size = (max(1, round(image.shape[1] * factor)), max(1, round(image.shape[0] * factor)))
            if size != (image.shape[1], image.shape[0]):
                interp = cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR
                image = cv2.resize(image, size, interpolation=interp)
            image_id = _safe(f"{visit.subject.code}_{visit.visit_date.isoformat()}_{vi.id}")
            review = store.review_of(a.id)
            prov = {"subject": visit.subject.code, "visit": visit.visit_date.isoformat(),
                    "target_site": visit.target_site, "image_sha256": vi.image.sha256, "analysis_id": a.id,
                    "method": a.method, "review_version": review.version if review else None,
                    "model": f"{a.model_name} {a.model_version}", "weights_sha256": a.weights_sha256,
                    "um_per_px": um_per_px, "original_um_per_px": float(scale)}  # fmt: skip
            hairs = [(h, _segment_box(h, factor, size)) for h in doc.get("hairs") or []]
            (tmp / "images" / f"{image_id}.png").write_bytes(encode_png(np.ascontiguousarray(image)))
            (tmp / "annotations" / f"{image_id}.xml").write_bytes(_voc_xml(image_id, size, hairs, prov))
            coco_id = len(coco["images"]) + 1
            coco["images"].append({"id": coco_id, "file_name": f"images/{image_id}.png", "width": size[0],
                                   "height": size[1], "trichometry": prov})  # fmt: skip
            for h, (x0, y0, x1, y1, ex, ey, tx, ty) in hairs:
                name = h.get("class") or "hair"
                cat = categories.setdefault(name, len(categories) + 1)
                coco["annotations"].append({
                    "id": len(coco["annotations"]) + 1, "image_id": coco_id, "category_id": cat,
                    "bbox": [x0, y0, x1 - x0, y1 - y0], "area": (x1 - x0) * (y1 - y0), "iscrowd": 0,
                    "keypoints": [ex, ey, 2, tx, ty, 2], "num_keypoints": 2,
                    "attributes": {"assessable": bool(h.get("assessable", True)),
                                   "thickness_um": h.get("thickness_um"),
                                   "source": h.get("source", "detected")},
                })  # fmt: skip
            ids.append(image_id)
            report.images += 1
            report.hairs += len(hairs)
        if not ids:
            raise ConfigError(
                f"nothing exportable: skipped {report.skipped}; photos need a scale (um per px)."
            )
        coco["categories"] = [{"id": i, "name": n, "supercategory": "hair", "keypoints": ["exit", "tip"],
                               "skeleton": [[1, 2]]} for n, i in categories.items()]  # fmt: skip
        (tmp / "splits" / "train.txt").write_text("\n".join(ids) + "\n")
        (tmp / "coco.json").write_text(json.dumps(coco, indent=1))
        (tmp / "provenance.json").write_text(json.dumps({
            "exported_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "store": store.engine.url.render_as_string(hide_password=True), "um_per_px": um_per_px,
            "reviewed_only": reviewed_only, "images": report.images, "hairs": report.hairs,
            "skipped": report.skipped,
        }, indent=1))  # fmt: skip
    return report
