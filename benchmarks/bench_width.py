"""Truth sweep of the shaft-width estimators: error against true width, scale, blur, noise and JPEG.

Each trial renders one small image of five parallel straight hairs of exactly known
diameter (no taper) on textured skin, with the generator's own shaft rasteriser and
shading (``--style default``) or the held-out style's translucent shading (``heldout``),
then a Gaussian blur, sensor noise and JPEG. The estimators see the image and the true
centrelines only (the diameter hint they are given is the truth off by up to +/-30 %, as
a detector's would be); the optics fit reads the blur from the image itself
(:func:`trichometry.measure.optics_width.estimate_blur`). Reported per estimator:
MAE and bias in um by true-width band, MAE over the issue's target region (20-120 um at
<= 5 um/px and blur <= 1 px), bias under 30 um, the share of hairs left unmeasured, and
for the optics fit how often the truth lies within its 95 % interval (``+/- 1.96 se``).

    python benchmarks/bench_width.py --trials 400 --out benchmarks/results/width

writes ``results.json``, ``results.md`` and ``width_error.png`` (error against true width,
coloured by blur) under ``--out``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2
import numpy as np

from trichometry.measure.optics_width import estimate_blur, optics_width
from trichometry.measure.thickness import darkness, section_profiles, widths_from_sections
from trichometry.synth.hairs import _composite
from trichometry.synth.patch import HairSpec
from trichometry.synth.raster import rasterise_shaft
from trichometry.synth.skin import skin_tone
from trichometry.synth.style_heldout_hairs import shade_shaft
from trichometry.utils.atomic import atomic_write_text

WIDTH_UM = (10.0, 120.0)
UM_PER_PX = (2.0, 10.0)
BLUR_PX = (0.3, 2.0)
NOISE = (0.5, 4.0)  # grey levels (0-255), Gaussian
JPEG = (None, 90, 75)
BANDS = ((10, 20), (20, 30), (30, 60), (60, 90), (90, 120))
N_HAIRS = 5


def render_trial(rng: np.random.Generator, style: str) -> dict:
    """One image of parallel hairs and its truth."""
    upp = float(rng.uniform(*UM_PER_PX))
    blur = float(rng.uniform(*BLUR_PX))
    noise = float(rng.uniform(*NOISE))
    jpeg = JPEG[int(rng.integers(len(JPEG)))]
    widths = rng.uniform(*WIDTH_UM, N_HAIRS)
    widths[0] = rng.uniform(60.0, 110.0)  # one terminal hair per image, as on any scalp
    gap_px = max(widths.max() / upp * 2.5, 14.0)
    h = int(max(160, 40 + 6 * widths.max() / upp))
    w = int(N_HAIRS * gap_px + 2 * gap_px)
    skin = skin_tone(float(rng.uniform(1.5, 4.0)))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    tex = 1.0 + 0.03 * np.sin(xx / 9.0 + rng.uniform(0, 6)) * np.sin(yy / 13.0 + rng.uniform(0, 6))
    img = (skin[None, None, :] * tex[..., None]).astype(np.float32)
    angle = float(rng.uniform(-0.2, 0.2))  # radians off vertical
    lines = []
    for k, d_um in enumerate(widths):
        x0 = gap_px * (k + 1.5)
        top = np.array([x0 - np.tan(angle) * h * 0.5, -5.0])
        bottom = np.array([x0 + np.tan(angle) * h * 0.5, h + 5.0])
        pts = np.linspace(bottom, top, 8)  # exit at the bottom
        ras = rasterise_shaft(pts, d_um, d_um, upp, (h, w))
        hs = HairSpec(
            follicle_id=int(rng.integers(1 << 20)),
            unit_id=k,
            exit_um=(0.0, 0.0),
            direction_deg=90.0,
            diameter_um=float(d_um),
            taper=0.0,
            length_um=float(h * upp),
            curvature_per_mm=0.0,
            clipped=True,
            pigment=float(rng.uniform(0.0, 0.6)),
            grey=float(rng.choice([0.0, 0.0, 0.0, 0.5])),
        )
        (_composite if style == "default" else shade_shaft)(img, ras, hs)
        lines.append(pts)
    out = cv2.GaussianBlur(img, (0, 0), blur)
    out = np.clip(out * 255.0 + rng.normal(0.0, noise, out.shape), 0, 255).astype(np.uint8)
    if jpeg is not None:
        _, buf = cv2.imencode(".jpg", out[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, int(jpeg)])
        out = cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1]
    return {
        "image": out,
        "lines": lines,
        "widths_um": widths,
        "um_per_px": upp,
        "blur_px": blur,
        "noise": noise,
        "jpeg": jpeg,
    }


def measure_trial(trial: dict, rng: np.random.Generator) -> list[dict]:
    """Both estimators on every hair of one trial (true centrelines, hint off by <= 30 %)."""
    dark = darkness(trial["image"])
    upp = trial["um_per_px"]
    hints = [d / upp * float(rng.uniform(0.7, 1.3)) for d in trial["widths_um"]]
    # trace from the exit outwards, stopping short of the image border
    h = trial["image"].shape[0]
    traces = [np.linspace(p[0] + (p[1] - p[0]) * 5 / (h + 10), p[-1], 8) for p in trial["lines"]]
    secs = [section_profiles(dark, tr, max(d, 2.0)) for tr, d in zip(traces, hints)]
    blur, n_blur = estimate_blur([(*s, max(d, 2.0)) for s, d in zip(secs, hints) if s is not None])
    rows = []
    for s, d, true_um in zip(secs, hints, trial["widths_um"]):
        ow = optics_width(*(s if s is not None else (None, None)), max(d, 2.0), blur)
        pw = widths_from_sections(s, d)
        rows.append(
            {
                "true_um": float(true_um),
                "um_per_px": upp,
                "blur_px": trial["blur_px"],
                "noise": trial["noise"],
                "jpeg": trial["jpeg"],
                "blur_est_px": blur,
                "blur_sections": n_blur,
                "optics_um": None if ow.width_px is None else ow.width_px * upp,
                "optics_se_um": None if ow.se_px is None else ow.se_px * upp,
                "edge_um": None if pw.edge_px is None else pw.edge_px * upp,
                "half_depth_um": None if pw.half_depth_px is None else pw.half_depth_px * upp,
            }
        )
    return rows


def summarise(rows: list[dict], key: str) -> dict:
    """Error figures of one estimator (``key``: optics_um, edge_um or half_depth_um)."""
    t = np.array([r["true_um"] for r in rows])
    v = np.array([np.nan if r[key] is None else r[key] for r in rows])
    upp = np.array([r["um_per_px"] for r in rows])
    blur = np.array([r["blur_px"] for r in rows])
    ok = np.isfinite(v)
    err = v - t

    def mae(m):
        m = m & ok
        return None if not m.any() else round(float(np.abs(err[m]).mean()), 2)

    def bias(m):
        m = m & ok
        return None if not m.any() else round(float(err[m].mean()), 2)

    target = (t >= 20) & (t <= 120) & (upp <= 5) & (blur <= 1.0)
    out = {
        "n": len(rows),
        "unmeasured_share": round(float((~ok).mean()), 3),
        "mae_target_um": mae(target),
        "n_target": int((target & ok).sum()),
        "bias_under30_target_um": bias(target & (t < 30)),
        "mae_all_um": mae(np.ones_like(ok)),
        "bands": {
            f"{a}-{b}": {"mae_um": mae((t >= a) & (t < b)), "bias_um": bias((t >= a) & (t < b))}
            for a, b in BANDS
        },
    }
    if key == "optics_um":
        se = np.array([np.nan if r["optics_se_um"] is None else r["optics_se_um"] for r in rows])
        out["coverage95"] = round(float((np.abs(err[ok]) <= 1.96 * se[ok]).mean()), 3) if ok.any() else None
        out["median_se_um"] = round(float(np.median(se[ok])), 2) if ok.any() else None
    return out


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    for ax, key, title in (
        (axes[0], "optics_um", "optics fit (default)"),
        (axes[1], "edge_um", "steepest edge"),
    ):
        sel = [r for r in rows if r[key] is not None]
        t = np.array([r["true_um"] for r in sel])
        e = np.array([r[key] - r["true_um"] for r in sel])
        b = np.array([r["blur_px"] for r in sel])
        sc = ax.scatter(t, e, c=b, s=6, cmap="viridis", vmin=BLUR_PX[0], vmax=BLUR_PX[1])
        ax.axhline(0, color="k", lw=0.8)
        ax.set_title(title)
        ax.set_xlabel("true diameter (um)")
        ax.set_ylim(-25, 25)
    axes[0].set_ylabel("measured - true (um)")
    fig.colorbar(sc, ax=axes, label="blur sigma (px)")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


def _table(res: dict) -> str:
    lines = [
        f"### Style `{res['style']}`, {res['n_hairs']} hairs",
        "",
        "| estimator | MAE target (n) | bias < 30 um | MAE all | unmeasured | "
        + " | ".join(f"MAE / bias {b}" for b in res["optics_um"]["bands"])
        + " | 95 % coverage |",
        "|" + "---|" * (6 + len(BANDS)),
    ]
    for key in ("optics_um", "edge_um", "half_depth_um"):
        s = res[key]
        bands = " | ".join(f"{v['mae_um']} / {v['bias_um']}" for v in s["bands"].values())
        lines.append(
            f"| {key[:-3]} | {s['mae_target_um']} ({s['n_target']}) | {s['bias_under30_target_um']} | "
            f"{s['mae_all_um']} | {s['unmeasured_share']:.1%} | {bands} | {s.get('coverage95', '-')} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trials", type=int, default=400, help="images per style (5 hairs each)")
    ap.add_argument("--styles", default="default,heldout")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/width"))
    args = ap.parse_args(argv)
    results = {"command": " ".join(["python", "benchmarks/bench_width.py", *(argv or sys.argv[1:])])}
    md = []
    all_rows = []
    for style in [s.strip() for s in args.styles.split(",") if s.strip()]:
        rng = np.random.default_rng([args.seed, len(style)])
        rows = []
        for _ in range(args.trials):
            rows += measure_trial(render_trial(rng, style), rng)
        res = {"style": style, "n_hairs": len(rows)}
        res.update({k: summarise(rows, k) for k in ("optics_um", "edge_um", "half_depth_um")})
        results[style] = res
        md.append(_table(res))
        all_rows += rows
        if style == "default":
            plot(rows, args.out / "width_error.png")
    text = "\n\n".join(md)
    print(text)
    atomic_write_text(args.out / "results.json", json.dumps(results, indent=2))
    atomic_write_text(args.out / "results.md", text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
