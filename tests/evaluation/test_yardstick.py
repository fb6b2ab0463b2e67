"""The yardstick's measures and floors on hand-made cases (checkable by hand)."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from trichometry.evaluation.yardstick import (
    box_matches,
    box_matches_pairs,
    constant_floor,
    count_agreement,
    detection_scores,
    interior,
)

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "yardstick.py"


def _bench():
    spec = importlib.util.spec_from_file_location("yardstick_bench", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_constant_floor_is_the_training_median_and_scores_as_a_guess() -> None:
    const = constant_floor([10, 12, 12, 30, 9])
    assert const == 12.0
    a = count_agreement([const, const], [10, 15])
    assert a["mae"] == 2.5 and a["bias"] == -0.5
    assert a["mape_pct"] == pytest.approx(100 * (2 / 10 + 3 / 15) / 2)
    assert a["bias_pct"] == pytest.approx(-100 / 25)
    assert math.isnan(a["pearson_r"]) and a["lin_ccc"] == 0.0  # a constant has no spread
    with pytest.raises(ValueError, match="training"):
        constant_floor([])


def test_perfect_and_shifted_counts() -> None:
    t = [5, 10, 20]
    perfect = count_agreement(t, t)
    assert perfect["mae"] == 0 and perfect["pearson_r"] == pytest.approx(1) and perfect["lin_ccc"] == 1
    shifted = count_agreement([7, 12, 22], t)  # r stays 1, concordance drops
    var = np.var(t)  # 38.9: concordance = 2 var / (2 var + bias^2)
    assert shifted["pearson_r"] == pytest.approx(1) and shifted["bias"] == 2
    assert shifted["lin_ccc"] == pytest.approx(2 * var / (2 * var + 4))


def test_box_rule_matches_one_to_one_inside_grown_boxes() -> None:
    boxes = np.array([[10, 10, 30, 50], [32, 10, 60, 50]], float)
    pts = np.array([[29.0, 12.0], [31.0, 48.0], [100.0, 100.0]])  # the second lies in both grown boxes
    assert box_matches(pts, boxes, margin=0) == 1  # 31 lies in neither box unless grown
    assert box_matches(pts, boxes, margin=2) == 2
    pairs = box_matches_pairs(pts, boxes, margin=2)
    assert sorted(pairs) == [(0, 0), (1, 1)]
    assert box_matches(np.zeros((0, 2)), boxes, 2) == 0
    assert detection_scores(2, 3, 2) == {"precision": 2 / 3, "recall": 1.0, "f1": 0.8}


def test_interior_keeps_points_far_from_the_frame() -> None:
    keep = interior(np.array([[64, 64], [63, 100], [100, 200 - 1 - 64], [100, 200 - 64]]), (200, 300), 64)
    assert keep.tolist() == [True, False, True, False]


def test_benchmark_box_scores_whole_and_interior_by_hand() -> None:
    bench = _bench()
    shape = (300, 400)
    boxes = np.array([[100, 100, 140, 160], [5, 5, 40, 40]], float)  # interior box, border box
    pts = np.array([[105.0, 150.0], [20.0, 20.0], [200.0, 200.0], [10.0, 290.0]])
    whole, inner = bench._box_scores([(pts, boxes)], [shape], margin=10, inner_px=64)
    assert whole == detection_scores(2, 4, 2)
    # interior: box 0 (matched), and the unmatched detection at (200, 200); the border box
    # and its match, and the stray detection near the frame, leave the interior figures
    assert inner["interior_precision"] == 0.5 and inner["interior_recall"] == 1.0


def test_benchmark_real_table_on_a_made_up_box_folder(tmp_path: Path) -> None:
    from PIL import Image

    bench = _bench()
    root = tmp_path / "voc"
    for sub in ("images", "annotations", "splits"):
        (root / sub).mkdir(parents=True)
    counts = {"t1": 3, "t2": 5, "t3": 4, "v1": 2}
    for image_id, n in counts.items():
        Image.fromarray(np.full((96, 128, 3), 180, np.uint8)).save(root / "images" / f"{image_id}.jpg")
        objs = "".join(
            f"<object><class>premium</class><bndbox><xmin>{10 + 20 * k}</xmin><ymin>10</ymin>"
            f"<xmax>{20 + 20 * k}</xmax><ymax>40</ymax></bndbox></object>"
            for k in range(n)
        )
        (root / "annotations" / f"{image_id}.xml").write_text(
            f"<annotation><size><width>128</width><height>96</height><depth>3</depth></size>{objs}</annotation>"
        )
    (root / "splits" / "train.txt").write_text("t1\nt2\nt3\n")
    (root / "splits" / "val.txt").write_text("v1\n")
    marks = tmp_path / "roots.csv"
    marks.write_text("image_id,box_index,root_x,root_y,tip_x,tip_y,cue\nv1,0,10,10,20,40,exit\n")
    args = SimpleNamespace(split="val", box_margin_px=10.0, interior_px=64.0, root_marks=marks)
    out = bench.real_table({"classical": ("classical", None)}, root, None, args)
    assert out["root_ends"]["marked"] == 1 and out["root_ends"]["upper_end_rule"] == 1.0
    assert out["root_ends"]["classical"]["found"] in (0, 1)
    assert out["photos"] == 1 and out["true_hairs"] == 2
    assert out["constant"]["guess"] == 4.0 and out["constant"]["mae"] == 2.0  # median of 3, 5, 4
    assert "classical" in out and out["classical"]["n"] == 1
    text = bench.markdown(out, None)
    assert "constant (4)" in text and "| classical |" in text and "Root ends on 1 hairs" in text


def test_root_end_rule_by_hand(tmp_path: Path) -> None:
    from trichometry.evaluation.yardstick import read_root_marks, root_end_matches, upper_end_share

    marks = np.array([[10.0, 10.0, 50.0, 90.0], [200.0, 100.0, 120.0, 20.0]])  # root first
    # one point near the first hair's root, one near the second hair's tip, one far away
    found, correct = root_end_matches(np.array([[12.0, 14.0], [125.0, 24.0], [400.0, 400.0]]), marks, 5.0)
    assert (found, correct) == (2, 1)
    assert root_end_matches(np.zeros((0, 2)), marks, 5.0) == (0, 0)
    assert upper_end_share(marks) == 0.5
    csv = tmp_path / "roots.csv"
    csv.write_text(
        "# a comment\nimage_id,box_index,root_x,root_y,tip_x,tip_y,cue\na,0,1,2,3,4,exit\na,1,5,6,7,8,unit\n"
    )
    got = read_root_marks(csv)
    np.testing.assert_array_equal(got["a"], [[1, 2, 3, 4], [5, 6, 7, 8]])
