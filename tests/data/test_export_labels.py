"""Reviewed hairs exported as VOC + COCO read back as the same hairs, import-voc takes the
folder, and a debug fine-tune of the shipped detector runs on it."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from trichometry.clinic.analysis import AnalysisSettings, default_analyser
from trichometry.clinic.review import hairs_for_review, save_review
from trichometry.data.export_labels import export_labels
from trichometry.data.voc import import_voc, iter_voc
from trichometry.errors import ConfigError, OutputError
from trichometry.store import Store
from trichometry.synth import generate_sample
from trichometry.utils.encoding import encode_png

UM = 3.0
CONFIGS = Path(__file__).resolve().parents[2] / "configs"


@pytest.fixture(scope="module")
def clinic(tmp_path_factory):
    """Two analysed photos of one subject; the second reviewed (one hair out, one in)."""
    from argon2 import PasswordHasher

    import trichometry.store.passwords as passwords

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        yield from _clinic(tmp_path_factory)


def _clinic(tmp_path_factory):
    root = tmp_path_factory.mktemp("clinic")
    store = Store.open(root / "data")
    admin = store.create_user("admin", "admin-password-1", "admin")
    store.create_site("A", "Site A", actor=admin)
    subject = store.create_subject(admin, "S-EXP")
    ids = []
    for k, day in enumerate(("2026-01-05", "2026-02-04")):
        visit = store.create_visit(admin, subject.id, day, "vertex")
        data = encode_png(generate_sample(21 + k, width=320, height=256, um_per_px=UM).image)
        vi, _ = store.add_image(admin, visit.id, data, f"{day}.png", um_per_px=UM)
        store.add_analysis(
            vi.id, default_analyser(data, UM, AnalysisSettings(method="classical")), actor=admin
        )
        ids.append(vi.id)
    now = hairs_for_review(store, admin, ids[1])
    hairs = [{"exit": [h["x_px"], h["y_px"]], "end": [h["end_x_px"], h["end_y_px"]], "origin": h["hair_id"]}
             for h in now["hairs"][1:]]  # fmt: skip
    hairs.append({"exit": [30.0, 200.0], "end": [70.0, 150.0], "origin": None, "assessable": False})
    save_review(store, admin, ids[1], base_version=0, hairs=hairs, reason="export test")
    yield store, ids
    store.close()


def _reviewed_doc(store, photo_id):
    return store.latest_analysis(photo_id).result


def test_reviewed_hairs_round_trip_through_voc_and_coco(clinic, tmp_path):
    store, ids = clinic
    out = tmp_path / "export"
    report = export_labels(store, out, um_per_px=2.8, progress=False)
    doc = _reviewed_doc(store, ids[1])
    assert report.images == 1 and report.hairs == len(doc["hairs"])  # only the reviewed photo
    f = UM / 2.8
    want = np.array(
        [[h["x_px"] * f, h["y_px"] * f, h["end_x_px"] * f, h["end_y_px"] * f] for h in doc["hairs"]]
    )
    (item,) = list(iter_voc(out, "train", um_per_px=2.8))
    assert item.image.shape[:2] == (round(256 * f), round(320 * f))
    boxes = np.asarray(item.boxes)
    assert len(boxes) == len(want)
    # each box encloses its segment, at most the half-width margin (2 px or half the width) beyond it
    lo, hi = np.minimum(want[:, :2], want[:, 2:]), np.maximum(want[:, :2], want[:, 2:])
    assert np.all(boxes[:, :2] <= lo + 1e-6) and np.all(boxes[:, 2:] >= hi - 1e-6)
    # the exits and tips travel exactly (to 0.01 px) in the VOC file and in COCO
    xml = ET.parse(next((out / "annotations").glob("*.xml"))).getroot()
    exits = [[float(o.find("exit/x").text), float(o.find("exit/y").text)] for o in xml.iter("object")]
    np.testing.assert_allclose(exits, want[:, :2], atol=0.01)
    assert [o.find("assessable").text for o in xml.iter("object")].count("0") == 1
    coco = json.loads((out / "coco.json").read_text())
    kp = np.array([a["keypoints"] for a in coco["annotations"]])
    np.testing.assert_allclose(kp[:, [0, 1, 3, 4]], want, atol=1e-6)
    prov = coco["images"][0]["trichometry"]
    assert prov["subject"] == "S-EXP" and prov["review_version"] == 1 and prov["method"] == "reviewed"
    assert prov["image_sha256"] == store.get_visit_image(None, ids[1]).image.sha256
    # import-voc reads the folder
    rep = import_voc(out, tmp_path / "imported", um_per_px=2.8, progress=False)
    assert rep.images == 1 and rep.boxes == len(want)


def test_export_refuses_an_existing_folder_and_leaves_nothing_behind(clinic, tmp_path):
    store, _ = clinic
    (tmp_path / "taken").mkdir()
    with pytest.raises(OutputError, match="exists"):
        export_labels(store, tmp_path / "taken", progress=False)
    with pytest.raises(ConfigError, match="um-per-px"):
        export_labels(store, tmp_path / "bad", um_per_px=0.0, progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]


def test_a_debug_fine_tune_runs_on_the_export(clinic, tmp_path):
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from omegaconf import open_dict

    from trichometry.models import load_checkpoint
    from trichometry.training import register_configs, train

    store, _ = clinic
    out = tmp_path / "export"
    export_labels(store, out, reviewed_only=False, progress=False)  # two photos: one fit, one tune
    register_configs()
    GlobalHydra.instance().clear()
    overrides = ["experiment=finetune_reviewed", f"data.fdu_root={out}", "trainer.max_steps=2",
                 "trainer.batch_size=1", "trainer.val_every=2", "trainer.progress=false",
                 "data.frame_px=[96,128]"]  # fmt: skip
    with initialize_config_dir(config_dir=str(CONFIGS), version_base="1.3"):
        cfg = compose(config_name="train", overrides=overrides)
    with open_dict(cfg):
        cfg.output_dir, cfg.data.cache_dir = str(tmp_path / "run"), str(tmp_path / "cache")
        cfg.trainer.num_threads = 1
    metrics = train(cfg)
    ckpt = load_checkpoint(tmp_path / "run" / "checkpoints" / "last.pt")
    assert metrics["step"] == 2 and ckpt["model"]["name"] == "frame_s"
    assert str(out) in json.dumps(ckpt.get("data", ckpt.get("provenance", {})), default=str)
