"""Pascal-VOC box data (one box per hair): parse, read in place, or import into the format.

Expected layout (the FDU set's; the classic VOC names are accepted too)::

    SRC/images/ID.jpg        (or JPEGImages/)
    SRC/annotations/ID.xml   (or Annotations/)
    SRC/splits/train.txt     (or ImageSets/Main/; also val.txt, test.txt: one ID a line)

Box rules (from the FDU README): corners given in the wrong order are sorted; boxes with
zero width or height after sorting are dropped as ``degenerate``; boxes are clipped to the
frame and dropped as ``outside`` when nothing is left. Corners are kept as written in the
file (no 1-based shift). The label comes from ``<name>`` or, as in FDU, ``<class>``.

Example::

    for item in iter_voc("/data/fdu", split="val", um_per_px=2.8):
        image, boxes, labels = item.image, item.boxes, item.labels   # (H,W,3), (N,4), [str]
    report = import_voc("/data/fdu", "/tmp/fdu-imported", um_per_px=2.8)
"""

from __future__ import annotations

import logging
import math
import os
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np
from PIL import Image, UnidentifiedImageError
from tqdm import tqdm

from trichometry.data.boxes import Box, BoxAnnotation
from trichometry.data.format import decode_image, read_bytes, validate_id
from trichometry.data.manifest import SPLITS
from trichometry.data.writer import DatasetWriter
from trichometry.errors import ConfigError, DataFormatError, OutputError

logger = logging.getLogger(__name__)

FDU_CLASSES = ("premium", "single", "undersize", "abnormal")
FDU_UM_PER_PX = 2.8
MAX_XML_BYTES = 8 * 1024 * 1024
_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff")


@dataclass(frozen=True)
class VocLayout:
    """Where the parts of a VOC folder are.

    Attributes:
        root: the VOC folder.
        images_dir, annotations_dir: the image and XML folders.
        splits: split name -> image ids listed for it (empty when no split files).
    """

    root: Path
    images_dir: Path
    annotations_dir: Path
    splits: dict[str, list[str]] = field(default_factory=dict)

    def ids(self, split: str | None = None) -> list[str]:
        """Ids of one split (as listed), or of every annotation file (sorted) when ``None``."""
        if split is not None:
            if split not in self.splits:
                have = ", ".join(sorted(self.splits)) or "none"
                raise ConfigError(f"split {split!r} is not listed in {self.root} (splits found: {have}).")
            return list(self.splits[split])
        return sorted(p.stem for p in self.annotations_dir.glob("*.xml"))

    def image_path(self, image_id: str) -> Path:
        for suffix in _IMAGE_SUFFIXES:
            for cand in (suffix, suffix.upper()):
                p = self.images_dir / f"{image_id}{cand}"
                if p.is_file():
                    return p
        raise DataFormatError(
            f"no image for {image_id} in {self.images_dir}; add it or remove its annotation."
        )


class VocImage(NamedTuple):
    """One image read straight from a VOC folder; unpacks as ``image, boxes, labels``."""

    image: np.ndarray  # (H, W, 3) uint8 RGB
    boxes: np.ndarray  # (N, 4) float32 [xmin, ymin, xmax, ymax]
    labels: list[str]
    annotation: BoxAnnotation


@dataclass
class ImportReport:
    """What :func:`import_voc` did."""

    out: Path
    images: int = 0
    boxes: int = 0
    per_split: dict[str, int] = field(default_factory=dict)
    per_label: dict[str, int] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=dict)
    swapped: int = 0


def _first_dir(root: Path, names: tuple[str, ...], what: str) -> Path:
    for name in names:
        if (root / name).is_dir():
            return root / name
    raise DataFormatError(
        f"{root} has no {what} folder (looked for {', '.join(names)}); is it a Pascal-VOC folder?"
    )


def find_voc_layout(root: str | os.PathLike[str]) -> VocLayout:
    """Locate images, annotations and split lists under ``root``.

    Raises:
        DataFormatError: when a folder is missing or an id is listed in two splits.
    """
    root = Path(root)
    if not root.is_dir():
        raise DataFormatError(f"VOC folder {root} does not exist; check the path.")
    images = _first_dir(root, ("images", "JPEGImages"), "image")
    anns = _first_dir(root, ("annotations", "Annotations"), "annotation")
    splits: dict[str, list[str]] = {}
    for sdir in (root / "splits", root / "ImageSets" / "Main"):
        if not sdir.is_dir():
            continue
        for name in SPLITS:
            f = sdir / f"{name}.txt"
            if f.is_file():
                ids = [ln.strip() for ln in f.read_text(encoding="utf-8").splitlines() if ln.strip()]
                splits[name] = [validate_id(i) for i in ids]
        break
    owner: dict[str, str] = {}
    for name, ids in splits.items():
        for i in ids:
            if i in owner and owner[i] != name:
                raise DataFormatError(f"{i} is listed in both {owner[i]}.txt and {name}.txt; keep it in one.")
            owner[i] = name
    return VocLayout(root=root, images_dir=images, annotations_dir=anns, splits=splits)


def _num(el: ET.Element, tag: str, path: Path) -> float:
    node = el.find(tag)
    if node is None or node.text is None:
        raise DataFormatError(f"{path}: a <bndbox> lacks <{tag}>; fix or remove that object.")
    try:
        v = float(node.text.strip())
    except ValueError:
        raise DataFormatError(f"{path}: <{tag}> is {node.text.strip()!r}, not a number.") from None
    if not math.isfinite(v):
        raise DataFormatError(f"{path}: <{tag}> is not finite.")
    return v


def parse_voc_xml(
    data: bytes,
    path: str | os.PathLike[str],
    *,
    um_per_px: float,
    classes: tuple[str, ...] | None = None,
    image_size: tuple[int, int] | None = None,
) -> tuple[BoxAnnotation, int]:
    """Parse one VOC XML file into usable boxes.

    Args:
        data: the XML bytes.
        path: the file's path (image id = its stem; used in messages).
        um_per_px: scale to record (assumed; VOC carries none).
        classes: allowed labels; another label is an error. ``None`` keeps any label.
        image_size: ``(width, height)`` of the image when known; must match ``<size>``.

    Returns:
        The annotation (with ``dropped`` counts) and how many boxes had swapped corners.

    Raises:
        DataFormatError: malformed XML, DTDs/entities (refused for safety), bad numbers,
            unknown labels, or a size that disagrees with the image.
    """
    path = Path(path)
    image_id = validate_id(path.stem)
    if len(data) > MAX_XML_BYTES:
        raise DataFormatError(f"{path} is larger than {MAX_XML_BYTES} bytes; that is not a VOC annotation.")
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise DataFormatError(
            f"{path} declares a DTD or entities, which are refused; remove the declaration."
        )
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise DataFormatError(f"{path} is not well-formed XML ({exc}); fix or re-export it.") from exc
    size = root.find("size")
    if size is not None and size.find("width") is not None:
        width, height = int(_num(size, "width", path)), int(_num(size, "height", path))
        if image_size is not None and (width, height) != tuple(image_size):
            raise DataFormatError(
                f"{path} says {width}x{height} px but its image is {image_size[0]}x{image_size[1]}; "
                "fix <size> or pair it with the right image."
            )
    elif image_size is not None:
        width, height = image_size
    else:
        raise DataFormatError(f"{path} has no <size>; add <size><width>/<height> or give the image.")
    if width <= 0 or height <= 0:
        raise DataFormatError(f"{path}: image size {width}x{height} must be positive.")
    dropped: Counter[str] = Counter()
    swapped = 0
    boxes: list[Box] = []
    for obj in root.iter("object"):
        label_el = obj.find("name")
        if label_el is None:
            label_el = obj.find("class")
        label = (label_el.text or "").strip() if label_el is not None else ""
        if not label:
            raise DataFormatError(f"{path}: an <object> has no <name> or <class>; label it or remove it.")
        if classes is not None and label not in classes:
            raise DataFormatError(f"{path}: label {label!r} is not one of {', '.join(classes)}.")
        bb = obj.find("bndbox")
        if bb is None:
            raise DataFormatError(f"{path}: an <object> ({label}) has no <bndbox>.")
        x0, y0, x1, y1 = (_num(bb, t, path) for t in ("xmin", "ymin", "xmax", "ymax"))
        if x0 > x1 or y0 > y1:
            swapped += 1
        x0, x1 = sorted((x0, x1))
        y0, y1 = sorted((y0, y1))
        if x0 == x1 or y0 == y1:
            dropped["degenerate"] += 1
            continue
        cx0, cy0 = max(x0, -0.5), max(y0, -0.5)
        cx1, cy1 = min(x1, width - 0.5), min(y1, height - 0.5)
        if cx0 >= cx1 or cy0 >= cy1:
            dropped["outside"] += 1
            continue
        diff_el = obj.find("difficult")
        difficult = diff_el is not None and (diff_el.text or "0").strip() == "1"
        boxes.append(Box(cx0, cy0, cx1, cy1, label=label, difficult=difficult))
    ann = BoxAnnotation(
        image_id=image_id,
        width=width,
        height=height,
        um_per_px=float(um_per_px),
        boxes=boxes,
        dropped=dict(dropped),
        source={"annotation": path.name, "format": "pascal-voc", "um_per_px_assumed": True},
    )
    return ann, swapped


def source_checkout() -> Path | None:
    """The trichometry source checkout this code runs from (a git work tree), if any."""
    root = Path(__file__).resolve().parents[3]
    return root if (root / "pyproject.toml").is_file() and (root / ".git").exists() else None


def _refuse_inside_checkout(out: Path) -> None:
    checkout = source_checkout()
    if checkout is not None and out.resolve().is_relative_to(checkout):
        raise OutputError(
            f"{out} lies inside the trichometry source checkout {checkout}; imported images and "
            "annotations may not be redistributed, so choose a folder outside the repository."
        )


def _check_scale(um_per_px: float) -> float:
    try:
        v = float(um_per_px)
    except (TypeError, ValueError):
        raise ConfigError(f"um_per_px {um_per_px!r} must be a number (about 2.8 for the FDU set).") from None
    if not (math.isfinite(v) and 0.05 <= v <= 100):
        raise ConfigError(f"um_per_px {um_per_px!r} is outside 0.05..100; give the scale of the images.")
    return v


def _image_size(path: Path) -> tuple[int, int]:
    try:
        with Image.open(path) as im:
            return im.size
    except (UnidentifiedImageError, OSError) as exc:
        raise DataFormatError(f"{path} is not a readable image ({exc}); replace or remove it.") from exc


def read_voc_annotation(
    layout: VocLayout, image_id: str, *, um_per_px: float, classes: tuple[str, ...] | None = None
) -> tuple[BoxAnnotation, int, Path]:
    """Parse ``image_id``'s XML checked against its image; returns (annotation, swapped, image path)."""
    xml_path = layout.annotations_dir / f"{validate_id(image_id)}.xml"
    img_path = layout.image_path(image_id)
    ann, swapped = parse_voc_xml(
        read_bytes(xml_path, "VOC annotation"),
        xml_path,
        um_per_px=_check_scale(um_per_px),
        classes=classes,
        image_size=_image_size(img_path),
    )
    ann.source["image"] = img_path.name
    return ann, swapped, img_path


def iter_voc(
    root: str | os.PathLike[str],
    split: str | None = None,
    *,
    um_per_px: float = FDU_UM_PER_PX,
    classes: tuple[str, ...] | None = None,
) -> Iterator[VocImage]:
    """Yield ``(image, boxes, labels, annotation)`` straight from a VOC folder, no import.

    Args:
        root: the VOC folder.
        split: ``train``/``val``/``test`` as listed in its split files; ``None`` = all.
        um_per_px: the scale to record in each annotation.
        classes: allowed labels (``None`` keeps any).
    """
    layout = find_voc_layout(root)
    for image_id in layout.ids(split):
        ann, _, img_path = read_voc_annotation(layout, image_id, um_per_px=um_per_px, classes=classes)
        image = decode_image(read_bytes(img_path, "image"), img_path, color=True)
        boxes, labels = ann.as_arrays()
        yield VocImage(image=image, boxes=boxes, labels=labels, annotation=ann)


def import_voc(
    src: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    um_per_px: float = FDU_UM_PER_PX,
    copy_images: bool = True,
    default_split: str = "train",
    classes: tuple[str, ...] | None = None,
    overwrite: bool = False,
    progress: bool = True,
) -> ImportReport:
    """Import a VOC folder into a ``boxes`` data set at ``out`` (atomically).

    Args:
        src: the VOC folder.
        out: the data set folder to create (outside the repository for unlicensed data).
        um_per_px: assumed scale of every image (2.8 for FDU).
        copy_images: copy image bytes into ``out/images``; otherwise the manifest refers to
            the originals by absolute path (the data set then depends on ``src``).
        default_split: split of images not listed in any split file.
        classes: allowed labels (``None`` keeps any).
        overwrite: replace an existing ``out`` once the new one is complete.
        progress: show a tqdm bar.

    Raises:
        DataFormatError: malformed input (nothing is written).
        ConfigError: bad scale or split.
        OutputError: ``out`` exists, cannot be written, or lies inside the source checkout.
    """
    um_per_px = _check_scale(um_per_px)
    _refuse_inside_checkout(Path(out))
    if default_split not in SPLITS:
        raise ConfigError(f"default split {default_split!r} is not one of {', '.join(SPLITS)}.")
    layout = find_voc_layout(src)
    ids = layout.ids()
    if not ids:
        raise DataFormatError(f"{layout.annotations_dir} holds no .xml files; nothing to import.")
    owner = {i: s for s, lst in layout.splits.items() for i in lst}
    missing = sorted(set(owner) - set(ids))
    if missing:
        raise DataFormatError(
            f"{len(missing)} id(s) listed in split files have no annotation (first: {missing[0]}); "
            "fix the split lists."
        )
    report = ImportReport(out=Path(out))
    labels: Counter[str] = Counter()
    dropped: Counter[str] = Counter()
    splits: Counter[str] = Counter()
    provenance = {"source": str(Path(src).resolve()), "um_per_px_assumed": um_per_px, "copied": copy_images}
    with DatasetWriter(
        out,
        name=Path(src).name,
        description="imported Pascal-VOC boxes",
        provenance=provenance,
        overwrite=overwrite,
    ) as writer:
        for image_id in tqdm(ids, desc="import-voc", unit="img", disable=not progress):
            ann, swapped, img_path = read_voc_annotation(
                layout, image_id, um_per_px=um_per_px, classes=classes
            )
            split = owner.get(image_id, default_split)
            data = read_bytes(img_path, "image")
            writer.add_boxes(
                ann,
                data,
                image_suffix=img_path.suffix,
                image_ref=None if copy_images else str(img_path.resolve()),
                split=split,
            )
            report.swapped += swapped
            labels.update(ann.labels)
            dropped.update(ann.dropped)
            splits[split] += 1
            report.boxes += ann.count
    report.images = len(ids)
    report.per_label = dict(sorted(labels.items()))
    report.dropped = dict(sorted(dropped.items()))
    report.per_split = dict(sorted(splits.items()))
    logger.info("imported %d images, %d boxes into %s", report.images, report.boxes, out)
    return report
