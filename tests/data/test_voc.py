from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from trichometry.data import Dataset
from trichometry.data.voc import find_voc_layout, import_voc, iter_voc, parse_voc_xml
from trichometry.errors import ConfigError, DataFormatError, OutputError

XML = """<annotation>
  <filename>{id}.jpg</filename>
  <size><width>64</width><height>48</height><depth>3</depth></size>
  <object><class>premium</class><difficult>0</difficult>
    <bndbox><xmin>10</xmin><ymin>5</ymin><xmax>30</xmax><ymax>25</ymax></bndbox></object>
  <object><class>single</class><difficult>1</difficult>
    <bndbox><xmin>40</xmin><ymin>30</ymin><xmax>20</xmax><ymax>10</ymax></bndbox></object>
  <object><class>abnormal</class>
    <bndbox><xmin>7</xmin><ymin>9</ymin><xmax>7</xmax><ymax>19</ymax></bndbox></object>
  <object><name>undersize</name>
    <bndbox><xmin>50</xmin><ymin>40</ymin><xmax>80</xmax><ymax>60</ymax></bndbox></object>
  <object><class>premium</class>
    <bndbox><xmin>70</xmin><ymin>1</ymin><xmax>90</xmax><ymax>3</ymax></bndbox></object>
</annotation>
"""


def make_voc(root, ids=("a1", "a2", "b1"), splits=(("train", ("a1", "a2")), ("val", ("b1",)))):
    for sub in ("images", "annotations", "splits"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for i in ids:
        Image.fromarray(rng.integers(0, 255, (48, 64, 3), dtype=np.uint8)).save(root / "images" / f"{i}.jpg")
        (root / "annotations" / f"{i}.xml").write_text(XML.format(id=i))
    for name, lst in splits:
        (root / "splits" / f"{name}.txt").write_text("\n".join(lst) + "\n")
    return root


def test_parse_sorts_swapped_drops_degenerate_and_clips():
    ann, swapped = parse_voc_xml(XML.format(id="x").encode(), "x.xml", um_per_px=2.8)
    assert swapped == 1
    assert ann.dropped == {"degenerate": 1, "outside": 1}
    assert ann.labels == ["premium", "single", "undersize"]
    boxes, labels = ann.as_arrays()
    assert labels == ann.labels
    np.testing.assert_array_equal(boxes, [[10, 5, 30, 25], [20, 10, 40, 30], [50, 40, 63.5, 47.5]])
    assert ann.boxes[1].difficult and not ann.boxes[0].difficult
    assert (ann.width, ann.height, ann.um_per_px) == (64, 48, 2.8)


@pytest.mark.parametrize(
    ("xml", "match"),
    [
        ("<annotation><size>", "not well-formed"),
        ('<!DOCTYPE a [<!ENTITY x "y">]><annotation/>', "DTD"),
        ("<annotation/>", "no <size>"),
        (
            "<annotation><size><width>9</width><height>9</height></size><object><class>p</class>"
            "<bndbox><xmin>a</xmin><ymin>1</ymin><xmax>2</xmax><ymax>3</ymax></bndbox></object></annotation>",
            "not a number",
        ),
        (
            "<annotation><size><width>9</width><height>9</height></size><object>"
            "<bndbox><xmin>1</xmin><ymin>1</ymin><xmax>2</xmax><ymax>3</ymax></bndbox></object></annotation>",
            "no <name> or <class>",
        ),
    ],
)
def test_malformed_xml_raises(xml, match):
    with pytest.raises(DataFormatError, match=match):
        parse_voc_xml(xml.encode(), "x.xml", um_per_px=2.8)


def test_unknown_class_and_size_mismatch():
    with pytest.raises(DataFormatError, match="not one of"):
        parse_voc_xml(XML.format(id="x").encode(), "x.xml", um_per_px=2.8, classes=("premium",))
    with pytest.raises(DataFormatError, match="its image is 65x48"):
        parse_voc_xml(XML.format(id="x").encode(), "x.xml", um_per_px=2.8, image_size=(65, 48))


def test_iter_voc_reads_in_place(tmp_path):
    root = make_voc(tmp_path / "voc")
    items = list(iter_voc(root, split="train", um_per_px=3.0))
    assert [it.annotation.image_id for it in items] == ["a1", "a2"]
    image, boxes, labels, ann = items[0]
    assert image.shape == (48, 64, 3) and image.dtype == np.uint8
    assert boxes.shape == (3, 4) and labels == ["premium", "single", "undersize"]
    assert ann.um_per_px == 3.0
    with pytest.raises(ConfigError, match="not listed"):
        list(iter_voc(root, split="test"))


@pytest.mark.parametrize("copy", [True, False])
def test_import_then_read_back(tmp_path, copy):
    src = make_voc(tmp_path / "voc", ids=("a1", "a2", "b1", "c1"))  # c1 is in no split file
    out = tmp_path / "out"
    rep = import_voc(src, out, um_per_px=2.8, copy_images=copy, default_split="test", progress=False)
    assert (rep.images, rep.boxes, rep.swapped) == (4, 12, 4)
    assert rep.dropped == {"degenerate": 4, "outside": 4}
    assert rep.per_split == {"test": 1, "train": 2, "val": 1}
    ds = Dataset(out, verify=True)
    assert ds.ids("val") == ["b1"] and ds.ids("test") == ["c1"]
    b = ds.boxed("a2")
    assert b.annotation.count == 3 and b.row.n_hairs == 3 and b.row.um_per_px == 2.8
    assert b.image.shape == (48, 64, 3)
    assert (out / "images" / "a2.jpg").exists() is copy
    if copy:
        assert (out / "images" / "a2.jpg").read_bytes() == (src / "images" / "a2.jpg").read_bytes()
    assert ds.check() == 4
    with pytest.raises(DataFormatError, match="read it with"):
        ds.sample("a2")


def test_import_fails_cleanly(tmp_path):
    src = make_voc(tmp_path / "voc")
    (src / "images" / "b1.jpg").unlink()
    with pytest.raises(DataFormatError, match="no image for b1"):
        import_voc(src, tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["voc"]
    with pytest.raises(ConfigError, match="um_per_px"):
        import_voc(src, tmp_path / "out", um_per_px=-1, progress=False)
    with pytest.raises(DataFormatError, match="no image folder"):
        find_voc_layout(tmp_path)
    src2 = make_voc(tmp_path / "voc2", splits=(("train", ("a1",)), ("val", ("a1",))))
    with pytest.raises(DataFormatError, match="both"):
        import_voc(src2, tmp_path / "out", progress=False)
    src3 = make_voc(tmp_path / "voc3")
    (tmp_path / "exists").mkdir()
    with pytest.raises(OutputError, match="already exists"):
        import_voc(src3, tmp_path / "exists", progress=False)


@pytest.mark.fdu
def test_real_fdu_files(fdu_root, tmp_path):
    import csv

    layout = find_voc_layout(fdu_root)
    assert len(layout.splits["train"]) == 992 and len(layout.splits["val"]) == 330
    counts = {r["image_id"]: r for r in csv.DictReader((fdu_root / "counts.csv").open())}
    items = iter_voc(
        fdu_root, split="val", um_per_px=2.8, classes=("premium", "single", "undersize", "abnormal")
    )
    for _, it in zip(range(3), items):
        ann = it.annotation
        ref = counts[ann.image_id]
        assert it.image.shape == (1024, 1280, 3)
        assert ann.count == int(ref["boxes"]) and ann.dropped.get("degenerate", 0) == int(ref["degenerate"])
        for label in ("premium", "single", "undersize", "abnormal"):
            assert ann.labels.count(label) == int(ref[label])
        assert np.all(it.boxes[:, 2] > it.boxes[:, 0]) and np.all(it.boxes[:, 3] > it.boxes[:, 1])


def test_import_into_the_source_checkout_is_refused(tmp_path):
    from trichometry.data.voc import source_checkout

    checkout = source_checkout()
    if checkout is None:
        pytest.skip("not running from a source checkout")
    src = make_voc(tmp_path / "voc")
    target = checkout / "data" / "fdu-copy"
    with pytest.raises(OutputError, match="outside the repository"):
        import_voc(src, target, progress=False)
    assert not target.exists()
