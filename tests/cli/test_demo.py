from __future__ import annotations

from click.testing import CliRunner

from trichometry.cli.main import cli
from trichometry.data import Dataset


def test_demo_writes_a_cohort_and_prints_a_table(tmp_path):
    out = tmp_path / "demo"
    res = CliRunner().invoke(cli, ["demo", "--out", str(out), "--quiet"])
    assert res.exit_code == 0, res.output
    ds = Dataset(out, verify=True)
    assert len(ds) == 6 and ds.subjects() == ["S001", "S002"]
    lines = res.output.splitlines()
    assert lines[0].split()[:5] == ["subject", "arm", "visit", "day", "hairs"]
    body = lines[2:8]
    for line, row in zip(body, ds.rows):
        cells = line.split()
        assert cells[0] == row.subject and cells[2] == row.visit and int(cells[4]) == row.n_hairs
        assert float(cells[5]) == round(row.density_per_cm2, 1)
    assert str(out.resolve()) in res.output
    # a second run replaces the previous demo
    first = (out / "manifest.csv").read_bytes()
    res = CliRunner().invoke(cli, ["demo", "--out", str(out), "--quiet"])
    assert res.exit_code == 0 and (out / "manifest.csv").read_bytes() == first


def test_demo_refuses_to_replace_other_folders(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("precious")
    res = CliRunner().invoke(cli, ["demo", "--out", str(tmp_path / "mine"), "--quiet"])
    assert res.exit_code == 1 and "not a trichometry data set" in res.output
    assert (tmp_path / "mine" / "thesis.tex").read_text() == "precious"
