"""Reports straight from the clinic store (SQLite in a temporary folder)."""

from __future__ import annotations

import datetime as dt
import io

import numpy as np
import pytest
from PIL import Image

from trichometry.reports import ReportConfig, build_report
from trichometry.reports.store_source import StoreSource

TS = "2026-11-21T08:00:00Z"
AREA = 0.1
DAYS = (0, 14, 91)


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch):
    from argon2 import PasswordHasher

    import trichometry.store.passwords as passwords

    monkeypatch.setattr(passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def _png(seed: int) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(seed).integers(0, 255, (32, 32, 3), dtype=np.uint8)).save(
        buf, "PNG"
    )
    return buf.getvalue()


def _result(n: int) -> dict:
    return {
        "summary": {"hair_count": n, "area_cm2": AREA, "density_per_cm2": n / AREA},
        "hairs": [{"thickness_um": 50.0 if i % 4 else 20.0} for i in range(n)],
        "convention": {"name": "trial", "cutoffs_um": [30.0]},
    }


@pytest.fixture
def filled_store(tmp_path):
    from trichometry.store import Store
    from trichometry.store.analyses import AnalysisRecord

    store = Store.open(tmp_path / "data")
    admin, _ = store.ensure_admin()
    store.create_site("BER01", "Berlin")
    counts = {"S1": (20, 22, 26), "S2": (30, 30, 33), "S3": (25, 24, 25), "S4": (18, 18, 17)}
    arms = {"S1": "treated", "S2": "treated", "S3": "control", "S4": "control"}
    seed = 0
    for code, ns in counts.items():
        subj = store.create_subject(admin, code, "BER01")
        for day, n in zip(DAYS, ns):
            arm = None if (code == "S1" and day == 0) else arms[code]  # arm recorded on later visits only
            visit = store.create_visit(
                admin, subj.id, dt.date(2026, 1, 5) + dt.timedelta(days=day), "vertex", arm
            )
            vi, _ = store.add_image(admin, visit.id, _png(seed), f"{code}_{day}.png", 2.8)
            seed += 1
            rec = AnalysisRecord(
                "model",
                "hairnet-s",
                "0.1.0",
                "ab" * 32,
                "0.1.0",
                "c" * 64,
                "ok",
                {"count": n, "density_per_cm2": n / AREA},
                _result(n),
            )
            analysis = store.add_analysis(vi.id, rec, admin)
            if code == "S4" and day == 91:  # a clinician corrected the count of this photo
                store.correct_analysis(admin, analysis.id, {"count": 19}, "two hairs missed at the edge")
    visit = store.create_visit(
        admin, store.get_subject(admin, "S3").id, dt.date(2026, 7, 6), "vertex", "control"
    )
    store.add_image(admin, visit.id, _png(99), "S3_later.png", 2.8)  # uploaded, never analysed
    yield store, admin
    store.close()


def test_store_report_has_days_arms_corrections_and_provenance(filled_store):
    store, _admin = filled_store
    source = StoreSource(store)
    rep = build_report(source, ReportConfig(), generated_at=TS)
    obs = {(o.subject, o.day): o for o in rep.observations}
    assert sorted({o.day for o in rep.observations}) == [0, 14, 91]
    assert obs[("S1", 0)].arm == "treated" and obs[("S1", 0)].is_baseline
    assert obs[("S1", 91)].chg["DENS"] == pytest.approx(60.0)
    assert obs[("S4", 91)].values["HAIRCNT"] == 19 and obs[("S4", 91)].chg["DENS"] == pytest.approx(10.0)
    assert obs[("S1", 91)].values["NVDENS"] == pytest.approx(26 * 0.75 / AREA, abs=0.5 / AREA)
    s = rep.stat("DENS", "treated", "3m")
    assert s.n == 2 and s.mean_chg == pytest.approx((60 + 30) / 2)
    assert rep.provenance["models"][0]["sha256"] == "ab" * 32
    assert all(len(i["sha256"]) == 64 for i in rep.provenance["images"])
    assert any("corrected" in w and "S4" in w for w in rep.warnings)
    assert any("without an analysis" in w and "'S3': 1" in w for w in rep.warnings)
    assert "clinic store sqlite" in rep.provenance["source"]


def test_store_report_respects_the_actor(filled_store):
    from trichometry.store.analyses import AnalysisRecord

    store, _admin = filled_store
    store.create_site("PAR01", "Paris")
    clinician = store.create_user("dr_p", "pw-long-enough-123", "clinician", "PAR01")
    other = store.create_subject(clinician, "P1")
    for day, n in ((0, 10), (14, 12)):
        visit = store.create_visit(
            clinician, other.id, dt.date(2026, 2, 1) + dt.timedelta(days=day), "vertex", "treated"
        )
        vi, _ = store.add_image(clinician, visit.id, _png(200 + day), "p.png", 2.8)
        store.add_analysis(
            vi.id,
            AnalysisRecord(
                "model", "hairnet-s", "0.1.0", "ab" * 32, "0.1.0", "c" * 64, "ok", {"count": n}, _result(n)
            ),
            clinician,
        )
    coord = store.create_user("coord", "pw-long-enough-123", "coordinator")
    rep = build_report(StoreSource(store, coord), generated_at=TS)
    assert {o.subject for o in rep.observations} == {"P1", "S1", "S2", "S3", "S4"}
    assert "as coord (coordinator)" in rep.provenance["source"]
    own = build_report(StoreSource(store, clinician), generated_at=TS)
    assert {o.subject for o in own.observations} == {"P1"}
    assert own.stat("DENS", "treated", "2w").mean_chg == pytest.approx(20.0)


def test_cli_reads_the_store_with_db(filled_store, tmp_path):
    from click.testing import CliRunner

    from trichometry.cli.main import cli

    store, _admin = filled_store
    url = store.engine.url.render_as_string(hide_password=False)
    out = tmp_path / "store.csv"
    res = CliRunner().invoke(cli, ["report", "--db", url, "--out", str(out), "--timestamp", TS])
    assert res.exit_code == 0, res.output
    assert "4 subjects, 12 images" in res.output and "without an analysis" in res.output
    res = CliRunner().invoke(
        cli, ["report", "--db", f"sqlite:///{tmp_path / 'none.sqlite'}", "--out", str(out)]
    )
    assert res.exit_code != 0 and "no store database" in res.output
    assert not (tmp_path / "none.sqlite").exists()
    (tmp_path / "empty.sqlite").write_bytes(b"")
    res = CliRunner().invoke(
        cli, ["report", "--db", f"sqlite:///{tmp_path / 'empty.sqlite'}", "--out", str(out)]
    )
    assert res.exit_code != 0 and "not a trichometry store" in res.output
