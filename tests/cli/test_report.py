"""``trichometry report`` end to end on a small hand-built cohort of analyze results."""

from __future__ import annotations

import csv
import importlib.util
import io
from pathlib import Path

import pytest
from click.testing import CliRunner

from trichometry.cli.main import cli

# the reports tests' cohort builder, loaded by path (conftest modules are not importable by name)
_spec = importlib.util.spec_from_file_location(
    "reports_cohort", Path(__file__).resolve().parents[1] / "reports" / "conftest.py"
)
_cohort = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_cohort)
make_cohort, write_results = _cohort.make_cohort, _cohort.write_results

TS = "2026-11-21T08:00:00Z"


@pytest.fixture
def cohort_dir(tmp_path):
    records, _ = make_cohort(n_per_arm=3, noise_sd=1.0)
    write_results(records, tmp_path)
    return tmp_path


def _run(*args):
    return CliRunner().invoke(cli, ["report", *map(str, args)])


def test_csv_report_from_results_and_manifest(cohort_dir):
    out = cohort_dir / "out" / "trial.csv"
    res = _run(
        "--results",
        cohort_dir / "results",
        "--manifest",
        cohort_dir / "manifest.csv",
        "--out",
        out,
        "--timestamp",
        TS,
        "--responder-threshold",
        15,
    )
    assert res.exit_code == 0, res.output
    assert "6 subjects, 30 images, 0 missing" in res.output
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert {r["CRIT1"] for r in rows if r["CRIT1"]} == {"DENS PCHG >= 15%"}
    assert (out.parent / "trial.csv.provenance.json").is_file()


def test_custom_windows_and_format_option(cohort_dir):
    out = cohort_dir / "trial.report"
    res = _run(
        "--results",
        cohort_dir / "results",
        "--manifest",
        cohort_dir / "manifest.csv",
        "--out",
        out,
        "--format",
        "xlsx",
        "--windows",
        "3m:91:20,6m:182:30",
        "--timestamp",
        TS,
    )
    assert res.exit_code == 0, res.output
    assert out.read_bytes()[:2] == b"PK"
    assert "week2" in res.output  # visits outside the two windows are reported, not dropped silently


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--windows", "1m:30:10", "--windows", "6w:42:5"], "overlap"),
        (["--windows", "3 months"], "NAME:DAY:TOL"),
        (["--timestamp", "soon"], "ISO 8601"),
        (["--responder-param", "nope"], "responder parameter"),
    ],
)
def test_bad_options_give_one_clear_line_and_no_file(cohort_dir, extra, message):
    out = cohort_dir / "trial.csv"
    res = _run(
        "--results", cohort_dir / "results", "--manifest", cohort_dir / "manifest.csv", "--out", out, *extra
    )
    assert res.exit_code != 0 and message in res.output and "Traceback" not in res.output
    assert not out.exists()


def test_missing_baseline_and_empty_cohort_are_refused(cohort_dir):
    manifest = cohort_dir / "manifest.csv"
    lines = manifest.read_text().splitlines()
    manifest.write_text("\n".join(ln for ln in lines if not ln.startswith("T002_baseline")) + "\n")
    out = cohort_dir / "trial.pdf"
    res = _run("--results", cohort_dir / "results", "--manifest", manifest, "--out", out)
    assert res.exit_code != 0 and "no baseline visit (day 0) for subject T002" in res.output
    manifest.write_text(lines[0] + "\n")
    res = _run("--results", cohort_dir / "results", "--manifest", manifest, "--out", out)
    assert res.exit_code != 0 and "cohort is empty" in res.output
    assert not out.exists()


def test_source_must_be_named(tmp_path):
    res = _run("--out", tmp_path / "x.csv")
    assert res.exit_code != 0 and "--results DIR --manifest CSV" in res.output
    res = _run("--results", tmp_path, "--manifest", tmp_path / "m.csv", "--out", tmp_path / "x.docx")
    assert res.exit_code != 0 and "--format" in res.output


def test_help_names_the_default_windows():
    from trichometry.cli.report import DEFAULT_WINDOWS_HELP
    from trichometry.reports.windows import DEFAULT_WINDOWS, spec

    assert DEFAULT_WINDOWS_HELP == ", ".join(spec(w) for w in DEFAULT_WINDOWS)
