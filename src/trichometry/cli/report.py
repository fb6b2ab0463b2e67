"""``trichometry report``: cohort density report (CSV / XLSX / PDF) with statistics and provenance."""

from __future__ import annotations

from pathlib import Path

import click

from trichometry.errors import ConfigError

FORMATS = ("csv", "xlsx", "pdf")
# trichometry.visits.windows.DEFAULT_WINDOWS as NAME:DAY:TOL (importing trichometry.visits here
# would cost --help a second; tests/cli/test_report.py checks that the two agree)
DEFAULT_WINDOWS_HELP = "2w:14:4, 1m:30:7, 3m:91:14, 6m:182:28"


@click.command("report")
@click.option(
    "--results", "results_dir", type=click.Path(path_type=Path), help="Folder of `analyze --out` results."
)
@click.option(
    "--manifest", type=click.Path(path_type=Path), help="Manifest CSV placing each image in the trial."
)
@click.option("--db", "db_url", help="Clinic store database URL, e.g. sqlite:///data/trichometry.sqlite.")
@click.option(
    "--format", "fmt", type=click.Choice(FORMATS), help="Export format (default: from --out's suffix)."
)
@click.option("--out", required=True, type=click.Path(path_type=Path), help="File to write (atomically).")
@click.option(
    "--windows",
    multiple=True,
    help="Visit window NAME:DAY:TOL (days after baseline +/- TOL); repeat or comma-separate. "
    f"Default {DEFAULT_WINDOWS_HELP}.",
)
@click.option(
    "--responder-threshold", type=float, default=10.0, show_default=True, help="Responder: change >= this %."
)
@click.option("--responder-param", default="DENS", show_default=True, help="PARAMCD the responder rule uses.")
@click.option("--vellus-cutoff", type=float, default=30.0, show_default=True, help="Vellus below this (um).")
@click.option(
    "--reference-arm", help="Arm others are compared against (default: control/placebo if present)."
)
@click.option(
    "--study-id", default="TRICHOMETRY", show_default=True, help="STUDYID when the manifest has none."
)
@click.option(
    "--baseline-visit", default="baseline", show_default=True, help="Baseline visit label (date-only)."
)
@click.option(
    "--timestamp", help="generated_at (ISO 8601 or epoch seconds); default SOURCE_DATE_EPOCH or now."
)
def command(
    results_dir: Path | None,
    manifest: Path | None,
    db_url: str | None,
    fmt: str | None,
    out: Path,
    windows: tuple[str, ...],
    responder_threshold: float,
    responder_param: str,
    vellus_cutoff: float,
    reference_arm: str | None,
    study_id: str,
    baseline_visit: str,
    timestamp: str | None,
) -> None:
    """Per-subject, per-visit hair counts and change from baseline, summarised per arm and window.

    Example: trichometry report --results results/ --manifest cohort/manifest.csv --out trial.xlsx
    """
    from trichometry.reports import (
        ReportConfig,
        ResultsFolderSource,
        build_report,
        parse_windows,
        write_report,
    )
    from trichometry.reports.windows import DEFAULT_WINDOWS

    fmt = fmt or out.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ConfigError(f"cannot tell the format from {out.name!r}; add --format csv, xlsx or pdf.")
    if db_url and (results_dir or manifest):
        raise ConfigError("give either --db or --results with --manifest, not both.")
    if not db_url and not (results_dir and manifest):
        raise ConfigError("say where the cohort is: --results DIR --manifest CSV (or --db URL).")
    config = ReportConfig(
        windows=parse_windows(windows) if windows else DEFAULT_WINDOWS,
        responder_threshold_pct=responder_threshold,
        responder_param=responder_param.upper(),
        vellus_cutoff_um=vellus_cutoff,
        study_id=study_id,
        baseline_visit=baseline_visit,
        reference_arm=reference_arm,
    )
    if db_url:
        from trichometry.reports.store_source import StoreSource, open_store

        store = open_store(db_url)
        try:
            report = build_report(StoreSource(store), config, generated_at=timestamp)
        finally:
            store.close()
    else:
        report = build_report(ResultsFolderSource(results_dir, manifest), config, generated_at=timestamp)
    path = write_report(report, fmt, out)
    p = report.provenance
    click.echo(
        f"wrote {path} ({fmt}): {p['n_subjects']} subjects, {p['n_images']} images, "
        f"{len(report.missing)} missing window visit(s), data sha256 {p['data_sha256'][:16]}"
    )
    for w in report.warnings:
        click.echo(f"warning: {w}", err=True)
