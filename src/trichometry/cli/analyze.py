"""``trichometry analyze``: count and measure hairs in images or folders of images.

Writes into ``--out``: ``measurements.csv`` (one row per input file, failures
included with the reason), ``<stem>.json`` (full result, schema in
:mod:`trichometry.outputs.schema`) and ``<stem>_overlay.png`` (every hair drawn, coloured
by thickness class). Files that cannot be read get one clear line and a ``failed`` row;
the rest of the batch completes; the exit code is 1 when any file failed.
"""

from __future__ import annotations

import logging
from pathlib import Path

import click

from trichometry.errors import TrichometryError

logger = logging.getLogger(__name__)


def collect_inputs(paths: tuple[str, ...], recursive: bool, exclude: Path | None = None) -> list[Path]:
    """Expand folders into supported image files (by suffix; the content still decides).

    Files under ``exclude`` (the output folder: its overlay PNGs) are skipped in folders.
    """
    skip = exclude.resolve() if exclude is not None else None
    from trichometry.io import SUPPORTED_SUFFIXES

    out: list[Path] = []
    seen: set[Path] = set()
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            it = p.rglob("*") if recursive else p.iterdir()
            files = sorted(
                f
                for f in it
                if f.is_file()
                and f.suffix.lower() in SUPPORTED_SUFFIXES
                and not (skip is not None and f.resolve().is_relative_to(skip))
            )
            if not files:
                logger.warning("no supported images (%s) in %s", ", ".join(SUPPORTED_SUFFIXES), p)
        else:
            files = [p]  # an explicit file is tried whatever its name; missing files fail per file
        for f in files:
            key = f.resolve()
            if key not in seen:
                seen.add(key)
                out.append(f)
    return out


def unique_stem(path: Path, used: set[str]) -> str:
    """Output stem for ``path``; ``name-2``, ``name-3`` ... when two inputs share a stem."""
    base = "".join(c if c.isalnum() or c in "-_.+" else "_" for c in path.stem) or "image"
    stem, k = base, 1
    while stem.lower() in used or stem.lower() == "measurements":
        k += 1
        stem = f"{base}-{k}"
    used.add(stem.lower())
    return stem


def _failure_line(path: Path, message: str) -> str:
    """One line per failed file, naming it once."""
    text = " ".join(message.split())
    return f"FAILED {text}" if text.startswith(str(path)) else f"FAILED {path}: {text}"


def _list_devices(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from trichometry.io import load_device_profiles

    for name, mags in sorted(load_device_profiles().items()):
        first = next(iter(mags.values()))
        tag = " (EXAMPLE, not measured)" if first.example else ""
        scales = ", ".join(
            f"{m:g}x: {p.um_per_px:g} um/px at {p.reference_width_px} px wide"
            for m, p in sorted(mags.items())
        )
        click.echo(f"{name}{tag}: {scales}")
        if first.description:
            click.echo(f"    {first.description}")
    ctx.exit(0)


@click.command("analyze")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder (created if needed).",
)
@click.option(
    "--um-per-px", type=float, default=None, help="Scale in micrometres per pixel (wins over all else)."
)
@click.option("--device", default=None, help="Device profile name (see --list-devices).")
@click.option(
    "--magnification", type=float, default=None, help="Magnification of the device profile, e.g. 70."
)
@click.option(
    "--device-profiles",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Extra device-profile JSON file (layout of trichometry/resources/devices.json).",
)
@click.option(
    "--roi",
    default=None,
    help="Analysed region: full, target-area[:CM2], circle:CX,CY,R[px|um|mm], "
    "polygon:X1,Y1;X2,Y2;...[px|um|mm]. Default: the whole frame.",
)
@click.option(
    "--method",
    type=click.Choice(["model", "classical"]),
    default="model",
    show_default=True,
    help="Learned model or the no-learning classical baseline.",
)
@click.option(
    "--model",
    "model_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Model checkpoint (default: the shipped model or $TRICHOMETRY_MODEL).",
)
@click.option(
    "--convention",
    default="trichoscopy",
    show_default=True,
    help="Thickness classes: trichoscopy, trichoscan, trial, or custom:C1,C2,... (um).",
)
@click.option("--overlay/--no-overlay", default=True, show_default=True, help="Write <stem>_overlay.png.")
@click.option("-r", "--recursive", is_flag=True, help="Scan folders recursively.")
@click.option(
    "--list-devices",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_list_devices,
    help="List the device profiles and exit.",
)
def command(
    inputs: tuple[str, ...],
    out_dir: Path,
    um_per_px: float | None,
    device: str | None,
    magnification: float | None,
    device_profiles: Path | None,
    roi: str | None,
    method: str,
    model_path: Path | None,
    convention: str,
    overlay: bool,
    recursive: bool,
) -> None:
    """Count hairs, measure their thickness and density in IMAGE_OR_FOLDER... .

    Example: trichometry analyze visit1/ --device fdu-70x --roi target-area --out results/
    """
    import os
    import sys

    from tqdm import tqdm

    from trichometry.analysis import analyze, get_detector
    from trichometry.io import check_um_per_px, find_profile, load_device_profiles
    from trichometry.measure import get_convention
    from trichometry.outputs import failure_row, render_overlay, result_row, write_csv, write_json, write_png
    from trichometry.utils.atomic import ensure_writable_dir

    # options that would fail every file: check once, fail fast
    if device_profiles is not None:
        os.environ["TRICHOMETRY_DEVICE_PROFILES"] = str(device_profiles)
    if um_per_px is not None:
        check_um_per_px(um_per_px)
    if device is not None:
        find_profile(device, magnification, load_device_profiles())
    get_convention(convention)
    detector = get_detector(method, model_path)
    out = ensure_writable_dir(out_dir)
    files = collect_inputs(inputs, recursive, exclude=out)
    if not files:
        raise click.UsageError(
            "no input images found; give image files or folders holding .jpg/.png/.tif/.dcm."
        )

    rows: list[dict] = []
    used: set[str] = set()
    counts = {"ok": 0, "warn": 0, "rejected": 0, "failed": 0}
    csv_path = out / "measurements.csv"
    bar = tqdm(files, desc="analyze", unit="img", disable=None)
    for f in bar:
        stem = unique_stem(f, used)
        try:
            result = analyze(
                f,
                um_per_px=um_per_px,
                device=device,
                magnification=magnification,
                roi=roi,
                method=method,
                model=detector,
                convention=convention,
            )
            doc = result.to_dict()
            json_name, png_name = f"{stem}.json", f"{stem}_overlay.png" if overlay else ""
            write_json(out / json_name, doc)
            if overlay:
                write_png(out / png_name, render_overlay(result, doc))
            rows.append(result_row(doc, str(f), json_name, png_name))
            if result.status == "rejected":
                counts["rejected"] += 1
                tqdm.write(f"REJECTED {f}: " + " ".join(result.quality.reasons), file=sys.stderr)
            else:
                counts["warn" if result.quality.verdict == "warn" else "ok"] += 1
        except TrichometryError as exc:
            counts["failed"] += 1
            rows.append(failure_row(str(f), str(exc)))
            tqdm.write(_failure_line(f, str(exc)), file=sys.stderr)
        except Exception as exc:  # a bug: keep the batch going, but say so loudly
            logger.debug("unexpected error on %s", f, exc_info=True)
            counts["failed"] += 1
            msg = f"internal error ({type(exc).__name__}: {exc}); please report it with this file"
            rows.append(failure_row(str(f), msg))
            tqdm.write(_failure_line(f, msg), file=sys.stderr)
        write_csv(csv_path, rows)  # rewritten atomically after each image: always complete
    bar.close()
    click.echo(
        f"analysed {len(files)} file(s): {counts['ok']} ok, {counts['warn']} with warnings, "
        f"{counts['rejected']} rejected by quality control, {counts['failed']} failed; results in {csv_path}"
    )
    if counts["failed"]:
        raise SystemExit(1)
