"""Registration on real trichoscopy photos (FDU set, read in place; skipped when absent).

A real photo is re-imaged synthetically (rotated, shifted, relit, 10 % of hairs removed);
the known transform must be recovered from image features alone and from the hairs
(box centres) alone, and two different real photos must be refused.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import cv2
import numpy as np
import pytest

from trichometry.errors import RegistrationError
from trichometry.visits import register
from trichometry.visits import similarity as sim

pytestmark = pytest.mark.fdu
UPP = 2.8


def _load(root, image_id):
    img = cv2.cvtColor(cv2.imread(str(root / "images" / f"{image_id}.jpg")), cv2.COLOR_BGR2RGB)
    pts = []
    for box in ET.parse(root / "annotations" / f"{image_id}.xml").iter("bndbox"):
        x0, x1 = sorted(float(box.find(k).text) for k in ("xmin", "xmax"))
        y0, y1 = sorted(float(box.find(k).text) for k in ("ymin", "ymax"))
        if x1 > x0 and y1 > y0:
            pts.append(((x0 + x1) / 2, (y0 + y1) / 2))
    return img, np.array(pts).reshape(-1, 2)


def _reimage(img, pts, rng):
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), 7.0, 1.0)  # base -> follow
    m[:, 2] += (40.0, -25.0)
    follow = cv2.warpAffine(img, m, (w, h), borderMode=cv2.BORDER_REFLECT)
    follow = np.clip(follow.astype(np.float32) * 0.85 + 12, 0, 255).astype(np.uint8)  # relit
    fpts = sim.apply(m, pts)
    keep = sim.inside_polygon(sim.frame_polygon(w, h), fpts) & (rng.random(len(fpts)) > 0.1)
    return follow, fpts[keep], sim.invert(m)


def _first_val(root, k=0):
    return (root / "splits" / "val.txt").read_text().split()[k]


def test_real_photo_registered_by_features_and_by_hairs(fdu_root):
    img, pts = _load(fdu_root, _first_val(fdu_root))
    follow, fpts, truth = _reimage(img, pts, np.random.default_rng(0))
    h, w = img.shape[:2]
    corners = sim.frame_polygon(w, h)
    none = np.zeros((0, 2))
    size = {"base_size": (w, h), "follow_size": (w, h)}
    by_features = register(none, none, um_per_px=UPP, **size, base_image=img, follow_image=follow)
    by_hairs = register(pts, fpts, um_per_px=UPP, **size)
    for reg in (by_features, by_hairs):
        err = np.hypot(*(reg.apply(corners) - sim.apply(truth, corners)).T)
        assert err.max() < 4.0, (reg.method, err)  # px (about 11 um)


def test_two_different_real_photos_are_refused(fdu_root):
    ids = (fdu_root / "splits" / "val.txt").read_text().split()
    a_img, a = _load(fdu_root, ids[0])
    b_img, b = _load(fdu_root, ids[-1])
    h, w = a_img.shape[:2]
    with pytest.raises(RegistrationError):
        register(
            a, b, um_per_px=UPP, base_size=(w, h), follow_size=(w, h), base_image=a_img, follow_image=b_img
        )
