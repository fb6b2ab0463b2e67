"""Shaft width by fitting the optics: each cross-section as a bar blurred by the image's own blur.

A hair seen through a dermoscope is, across its shaft, close to an opaque bar of width
``w`` on skin, imaged through optics whose blur is about Gaussian (``sigma``). The
darkness profile across the shaft (:func:`~.thickness.section_profiles`) is then

    p(t) = b0 + b1 t + A [Phi((t - c + w/2) / sigma) - Phi((t - c - w/2) / sigma)]

(skin level and slope ``b0``, ``b1``; contrast ``A``; centre ``c``). The blur is a property
of the image, not of a hair: :func:`estimate_blur` reads it from the edges of the thick,
high-contrast shafts of the same photo (where ``w`` and ``sigma`` separate cleanly), and
each hair is then fitted with that ``sigma`` fixed, so that a thin hair's profile, mostly
blur, still gives its width (the steepest-edge and half-depth widths read the blur there:
+13 um under 30 um). The fit is Levenberg-Marquardt on all sections of a hair at once
(closed-form Jacobian); each section's standard error comes from the fit's covariance
with the residual scatter, counting one independent sample per pixel (samples are
interpolated at 0.25 px). A hair's width is the inverse-variance mean of its usable
sections after dropping outliers, its standard error that of the mean, inflated where
the sections scatter more than their own errors say.

A section is unusable (and says why) when the fit does not converge, the contrast is
below ``min_contrast``, the centre strays from the trace, the width leaves ``[0.25, 4]``
diameter hints, or its relative error exceeds ``max_rel_se``; a hair with fewer than
``min_sections`` usable sections is not measured (``flag`` says why).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.special import ndtr

from trichometry.measure.thickness import STEP, section_width

_SQRT2PI = np.sqrt(2.0 * np.pi)
DEFAULT_BLUR_PX = 1.0
# A real shaft is not exactly a bar: darker rims read about 0.3 px wide, translucent rims
# about 0.3 px narrow (measured on the generator's two shadings, benchmarks/bench_width.py).
# This model error adds to each hair's standard error in quadrature.
MODEL_SE_PX = 0.3
# Where a shaft is this many blurs wide its two edges are separate steps: the steepest-edge
# width is then taken (it does not depend on the shading inside the shaft, which the bar
# model gets wrong by up to 0.4 px on darker-rimmed hair); below it the edges merge, the
# steepest-edge width reads the blur, and the fitted bar width is taken.
RESOLVED_SIGMAS = 3.0  # used where an image has too few thick shafts to read its blur from


@dataclass
class SectionFits:
    """Fits of K cross-sections (arrays of length K).

    Attributes:
        width, width_se: bar width and its standard error (px).
        sigma, sigma_se: blur (px; fixed ones have ``sigma_se`` 0).
        contrast: bar darkness ``A`` (grey levels; negative for light hair on dark skin).
        centre: bar centre offset from the trace (px).
        rms: residual root mean square (grey levels).
        converged: the iteration settled.
    """

    width: np.ndarray
    width_se: np.ndarray
    sigma: np.ndarray
    sigma_se: np.ndarray
    contrast: np.ndarray
    centre: np.ndarray
    rms: np.ndarray
    converged: np.ndarray


@dataclass
class OpticsWidth:
    """One hair's width from its fitted sections.

    Attributes:
        width_px, se_px: combined width and its standard error; ``None`` when unusable.
        sigma_px: the blur the sections were fitted with.
        n_sections, n_used: sections fitted / combined.
        contrast: median bar contrast of the used sections (grey levels).
        flag: ``None`` when measured, else why not (``"short_trace"``, ``"few_sections"``).
        reasons: count of each reason a section was left out.
        widths_px, ses_px: the used sections' widths and errors.
    """

    width_px: float | None
    se_px: float | None
    sigma_px: float
    n_sections: int
    n_used: int
    contrast: float
    flag: str | None
    reasons: dict[str, int] = field(default_factory=dict)
    widths_px: list[float] = field(default_factory=list)
    ses_px: list[float] = field(default_factory=list)


def blurred_bar(t: np.ndarray, centre, width, sigma) -> np.ndarray:
    """Unit-contrast bar of ``width`` at ``centre`` blurred by a Gaussian ``sigma`` (px)."""
    return ndtr((t - centre + 0.5 * width) / sigma) - ndtr((t - centre - 0.5 * width) / sigma)


def fit_sections(
    profiles: np.ndarray,
    t: np.ndarray,
    width0: float,
    sigma: float | None,
    n_iter: int = 60,
    masks: np.ndarray | None = None,
) -> SectionFits:
    """Fit each row of ``profiles`` (darkness over offsets ``t``) with the blurred bar.

    Args:
        profiles: ``(K, M)`` darkness profiles.
        t: ``(M,)`` offsets across the shaft (px), 0 on the trace.
        width0: starting width (px), the hair's diameter hint.
        sigma: the image's blur (px), fixed; ``None`` fits it per section too.
        n_iter: Levenberg-Marquardt iterations.
        masks: ``(K, M)`` bool, the samples of each section to fit (a neighbour's shaft
            left out); ``None`` uses all.
    """
    prof = np.asarray(profiles, float).reshape(-1, len(t))
    k = len(prof)
    wts = np.ones_like(prof) if masks is None else np.asarray(masks, float).reshape(prof.shape)
    free_sigma = sigma is None
    edge = np.abs(t) > 0.5 * width0 + 1.5
    b0 = np.array([_skin_level(p, edge & (w > 0)) for p, w in zip(prof, wts)]) if k else np.zeros(0)
    core = np.abs(t) <= max(0.5 * width0, 1.0)
    a0 = prof[:, core].mean(axis=1) - b0 if k else np.zeros(0)
    # parameters: centre, width, A, b0, b1 (and sigma)
    theta = np.stack([np.zeros(k), np.full(k, width0), a0, b0, np.zeros(k)], axis=1)
    if free_sigma:
        theta = np.concatenate([theta, np.full((k, 1), max(0.15 * width0, 0.8))], axis=1)
    fixed = None if free_sigma else float(sigma)
    lam = np.full(k, 1e-2)
    resid, jac = _residual_jacobian(theta, t, prof, fixed, wts)
    cost = (resid**2).sum(axis=1)
    converged = np.zeros(k, bool)
    npar = theta.shape[1]
    for _ in range(n_iter):
        jtj = np.einsum("kmi,kmj->kij", jac, jac)
        g = np.einsum("kmi,km->ki", jac, resid)
        diag = np.einsum("kii->ki", jtj)
        a = jtj + (lam[:, None] * np.maximum(diag, 1e-9))[:, :, None] * np.eye(npar)
        try:
            step = -np.linalg.solve(a, g[..., None])[..., 0]
        except np.linalg.LinAlgError:
            step = -np.linalg.lstsq(a[0], g[0], rcond=None)[0][None] if k == 1 else np.zeros_like(theta)
        trial = _clamped(theta + step, width0)
        r_new, j_new = _residual_jacobian(trial, t, prof, fixed, wts)
        c_new = (r_new**2).sum(axis=1)
        better = c_new < cost
        small = better & (cost - c_new <= 1e-6 * np.maximum(cost, 1e-12))
        converged |= small
        theta = np.where(better[:, None], trial, theta)
        resid = np.where(better[:, None], r_new, resid)
        jac = np.where(better[:, None, None], j_new, jac)
        cost = np.where(better, c_new, cost)
        lam = np.where(better, lam * 0.3, lam * 4.0)
        converged |= lam > 1e8  # no step improves: at a minimum
        if converged.all():
            break
    m = np.maximum(wts.sum(axis=1), 1.0)
    dof = np.maximum(m * STEP - npar, 1.0)  # one independent sample per pixel
    var = cost * STEP / dof
    jtj = np.einsum("kmi,kmj->kij", jac, jac) * STEP
    cov = np.linalg.pinv(jtj) * var[:, None, None] if k else np.zeros((0, npar, npar))
    se = np.sqrt(np.maximum(np.einsum("kii->ki", cov), 0.0)) if k else np.zeros((0, npar))
    return SectionFits(
        width=theta[:, 1],
        width_se=se[:, 1],
        sigma=theta[:, 5] if free_sigma else np.full(k, fixed),
        sigma_se=se[:, 5] if free_sigma else np.zeros(k),
        contrast=theta[:, 2],
        centre=theta[:, 0],
        rms=np.sqrt(cost / m),
        converged=converged,
    )


def _clamped(theta: np.ndarray, width0: float) -> np.ndarray:
    out = theta.copy()
    out[:, 1] = np.clip(out[:, 1], 0.05 * width0, 8.0 * width0 + 4.0)
    out[:, 0] = np.clip(out[:, 0], -2.0 * width0 - 2.0, 2.0 * width0 + 2.0)
    if out.shape[1] > 5:
        out[:, 5] = np.clip(out[:, 5], 0.2, 4.0 * width0 + 4.0)
    return out


def _skin_level(p: np.ndarray, use: np.ndarray) -> float:
    return float(np.median(p[use])) if use.any() else float(p.min())


def _residual_jacobian(
    theta: np.ndarray, t: np.ndarray, prof: np.ndarray, sigma: float | None, wts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    c, w, a, b0, b1 = (theta[:, i : i + 1] for i in range(5))
    s = theta[:, 5:6] if sigma is None else np.full_like(c, sigma)
    za = (t[None] - c + 0.5 * w) / s
    zb = (t[None] - c - 0.5 * w) / s
    pa, pb = np.exp(-0.5 * za**2) / _SQRT2PI, np.exp(-0.5 * zb**2) / _SQRT2PI
    bar = ndtr(za) - ndtr(zb)
    resid = (b0 + b1 * t[None] + a * bar - prof) * wts
    cols = [
        a * (pb - pa) / s,  # d/dc
        a * 0.5 * (pa + pb) / s,  # d/dw
        bar,  # d/dA
        np.ones_like(bar),  # d/db0
        np.broadcast_to(t[None], bar.shape),  # d/db1
    ]
    if sigma is None:
        cols.append(a * (zb * pb - za * pa) / s)  # d/dsigma
    return resid, np.stack(cols, axis=2) * wts[..., None]


def usable(
    fits: SectionFits, width0: float, *, min_contrast: float = 8.0, max_rel_se: float = 0.25
) -> tuple[np.ndarray, dict[str, int]]:
    """``(K,)`` bool: sections fit to use, and how many failed each test."""
    peak = np.abs(fits.contrast) * blurred_bar(np.zeros(1), 0.0, fits.width, fits.sigma)
    tests = {
        "not_converged": ~fits.converged,
        "low_contrast": peak < min_contrast,
        "off_trace": np.abs(fits.centre) > 0.5 * width0 + 1.5,
        "width_out_of_range": (fits.width < 0.25 * width0) | (fits.width > 4.0 * width0),
        "imprecise": fits.width_se > max_rel_se * np.maximum(fits.width, 1e-6),
        "poor_fit": fits.rms > 0.35 * np.abs(fits.contrast),
    }
    bad = np.zeros(len(fits.width), bool)
    reasons = {}
    for name, fail in tests.items():
        fail = fail & ~bad  # each section counted under its first failure
        if fail.any():
            reasons[name] = int(fail.sum())
        bad |= fail
    return ~bad, reasons


def combine(widths: np.ndarray, ses: np.ndarray) -> tuple[float, float, np.ndarray]:
    """Robust inverse-variance mean of section widths: ``(width, se, kept)``.

    Sections further than 3 standard errors (and 10 %) from the median are outliers; the
    error of the mean is inflated by the scatter of the rest where it exceeds their errors.
    """
    w, s = np.asarray(widths, float), np.maximum(np.asarray(ses, float), 1e-3)
    med = float(np.median(w))
    kept = np.abs(w - med) <= np.maximum(3.0 * s, 0.1 * med)
    if not kept.any():  # two tight clusters either side of the median: keep the nearest
        kept = np.abs(w - med) == np.abs(w - med).min()
    w, s = w[kept], s[kept]
    inv = 1.0 / s**2
    mean = float((inv * w).sum() / inv.sum())
    se = float(np.sqrt(1.0 / inv.sum()))
    if len(w) > 1:
        chi2 = float((inv * (w - mean) ** 2).sum() / (len(w) - 1))
        se *= np.sqrt(max(1.0, chi2))
    return mean, se, kept


def optics_width(
    profiles: np.ndarray | None,
    t: np.ndarray | None,
    width0: float,
    sigma_px: float,
    *,
    min_contrast: float = 8.0,
    min_sections: int = 2,
    max_sections: int = 7,
    max_rel_se: float = 0.25,
    masks: np.ndarray | None = None,
) -> OpticsWidth:
    """A hair's width from its cross-sections (nearest the exit first), blur fixed.

    Args:
        profiles, t: from :func:`~.thickness.section_profiles` (``None``: trace too short).
        width0: diameter hint (px).
        sigma_px: the image's blur (:func:`estimate_blur`).
        min_contrast: least bar peak darkness (grey levels).
        min_sections: usable sections needed.
        max_sections: the first this many usable sections count.
        max_rel_se: a section whose width error exceeds this share of its width is unusable.
        masks: ``(K, M)`` samples of each section to fit (``section_profiles(masked=True)``).
    """
    if profiles is None or t is None or len(profiles) == 0:
        flag = "short_trace" if profiles is None else "few_sections"
        return OpticsWidth(None, None, sigma_px, 0, 0, 0.0, flag)
    profiles = profiles[: 2 * max_sections]  # nearest the root; enough to find max_sections
    masks = None if masks is None else masks[: 2 * max_sections]
    fits = fit_sections(profiles, t, width0, sigma_px, masks=masks)
    ok, reasons = usable(fits, width0, min_contrast=min_contrast, max_rel_se=max_rel_se)
    idx = np.flatnonzero(ok)[:max_sections]
    n = len(profiles)
    if len(idx) < min_sections:
        return OpticsWidth(None, None, sigma_px, n, len(idx), 0.0, "few_sections", reasons)
    widths = fits.width[idx].copy()
    for j, k in enumerate(idx):
        if widths[j] >= RESOLVED_SIGMAS * sigma_px:
            whole = masks is None or bool(masks[k].all())  # the edge rule needs both skin bands
            r = section_width(profiles[k], t, width0) if whole else None
            if r is not None and 0.5 * widths[j] <= r[1] <= 1.5 * widths[j]:
                widths[j] = r[1]
    width, se, kept = combine(widths, fits.width_se[idx])
    se = float(np.hypot(se, MODEL_SE_PX))
    idx = idx[kept]
    return OpticsWidth(
        width_px=width,
        se_px=se,
        sigma_px=sigma_px,
        n_sections=n,
        n_used=len(idx),
        contrast=float(np.median(np.abs(fits.contrast[idx]))),
        flag=None,
        reasons=reasons,
        widths_px=[float(v) for v in widths[kept]],
        ses_px=[float(v) for v in fits.width_se[idx]],
    )


def estimate_blur(
    sections: list[tuple[np.ndarray, np.ndarray, float]],
    *,
    min_width_sigmas: float = 3.0,
    min_contrast: float = 20.0,
    min_sections: int = 4,
    max_hairs: int = 15,
    sections_per_hair: int = 8,
    default: float = DEFAULT_BLUR_PX,
) -> tuple[float, int]:
    """The image's blur (px) from the edges of its thick, contrasted shafts.

    Args:
        sections: per hair ``(profiles, t, diameter hint px)`` or
            ``(profiles, t, masks, diameter hint px)``.
        min_width_sigmas: a section counts when its bar is at least this many blurs wide
            (its two edges are then separate and each shows the blur).
        min_contrast: least contrast (grey levels) of a counted section.
        min_sections: below this many counted sections the ``default`` is returned.
        max_hairs, sections_per_hair: the widest hairs and their sections nearest the root
            that are fitted (the blur is one number; a few dozen edges settle it).

    Returns:
        ``(sigma_px, n_sections_used)``; ``n`` 0 means the default was used.
    """
    sig, wts = [], []
    items = [(s[0], s[1], s[-1], s[2] if len(s) == 4 else None) for s in sections]
    thick = sorted((s for s in items if s[0] is not None and len(s[0]) and s[2] >= 4.0), key=lambda s: -s[2])
    for profiles, t, d, masks in thick[:max_hairs]:
        n = sections_per_hair
        f = fit_sections(profiles[:n], t, d, None, masks=None if masks is None else masks[:n])
        good = (
            f.converged
            & (np.abs(f.contrast) >= min_contrast)
            & (f.width >= min_width_sigmas * f.sigma)
            & (np.abs(f.centre) <= 0.5 * d + 1.5)
            & (f.rms <= 0.25 * np.abs(f.contrast))
            & (f.sigma_se > 0)
            & (f.sigma_se < 0.5 * f.sigma)
        )
        sig.extend(f.sigma[good])
        wts.extend(1.0 / f.sigma_se[good] ** 2)
    if len(sig) < min_sections:
        return float(default), 0
    return float(_weighted_median(np.asarray(sig), np.asarray(wts))), len(sig)


def _weighted_median(x: np.ndarray, w: np.ndarray) -> float:
    order = np.argsort(x)
    cw = np.cumsum(w[order])
    return float(x[order][np.searchsorted(cw, 0.5 * cw[-1])])
