"""Whole real frames for the frame network (detector v3): read once, augmented per step.

Each photo of a Pascal-VOC box folder (such as FDU) is resampled once to the canonical
scale and kept in memory with its hairs as undirected segments (the darker diagonal of
each box, read at the photo's own resolution: :func:`~.hair_segments.box_segments`). The
prepared set is cached as one ``.npz`` per photo under ``cache_dir`` (keyed by scale),
so a resumed run starts at once. Each draw flips the frame, jitters its scale and
colour, and crops or pads it to ``size`` (whole frames: the default is about one FDU
frame at 8 um/px).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

from trichometry.inference.resample import resample_image
from trichometry.training.frame_targets import render_targets
from trichometry.training.hair_segments import box_segments, truth_segments


@dataclass
class Frame:
    """One prepared photo: canonical image and its hairs (``p``, ``q`` ends, root known)."""

    image: np.ndarray
    p: np.ndarray
    q: np.ndarray
    root_known: np.ndarray
    image_id: str = ""


def prepare_box_frame(image_rgb: np.ndarray, boxes: np.ndarray, factor: float, image_id: str = "") -> Frame:
    """A photo and its ``(N, 4)`` boxes (its own pixels) at ``factor`` x its size."""
    seg = box_segments(image_rgb, boxes).scaled(factor)
    return Frame(resample_image(image_rgb, factor), seg.p, seg.q, seg.root_known, image_id)


def synth_frame(
    seed: int,
    size: tuple[int, int],
    canonical_um_per_px: float,
    um_range: tuple[float, float],
    overrides: dict | None = None,
) -> Frame:
    """A generated scene covering ``size`` (H, W) canonical px at a scale drawn from
    ``um_range``, resampled to canonical, with every hair's directed segment."""
    from trichometry.synth import generate_sample

    rng = np.random.default_rng(seed)
    um = float(np.exp(rng.uniform(np.log(um_range[0]), np.log(um_range[1]))))
    h, w = (max(16, round(s * canonical_um_per_px / um)) for s in size)
    sample = generate_sample(seed, width=w, height=h, um_per_px=um, **(overrides or {}))
    factor = um / canonical_um_per_px
    seg = truth_segments(sample.truth, factor)
    return Frame(resample_image(sample.image, factor), seg.p, seg.q, seg.root_known, f"synth-{seed}")


def load_synth_frames(
    n: int,
    seed0: int,
    size: tuple[int, int],
    canonical_um_per_px: float,
    um_range: tuple[float, float],
    cache_dir: str | Path,
    overrides: dict | None = None,
) -> list[Frame]:
    """``n`` generated frames (seeds ``seed0``...), cached under ``cache_dir``."""
    from tqdm import tqdm

    key = hashlib.sha256(
        f"{size}|{canonical_um_per_px}|{um_range}|{sorted((overrides or {}).items())}|v1".encode()
    ).hexdigest()[:12]
    seeds = tqdm(range(seed0, seed0 + n), desc="generated frames", unit="scene", leave=False)
    return _cached(
        Path(cache_dir) / f"synth_frames_{key}",
        ((f"synth-{seed}", str(seed)) for seed in seeds),
        lambda name: synth_frame(int(name), size, canonical_um_per_px, um_range, overrides),
    )


def _cached(cache: Path, items: Iterable[tuple[str, str]], make: Callable[[str], Frame]) -> list[Frame]:
    """Frames of ``(image_id, file name)`` items: read from ``cache/NAME.npz`` where there,
    else made by ``make(name)`` and written there whole (temporary file, then rename)."""
    cache.mkdir(parents=True, exist_ok=True)
    frames = []
    for image_id, name in items:
        path = cache / f"{name}.npz"
        if path.is_file():
            z = np.load(path)
            frames.append(Frame(z["image"], z["p"], z["q"], z["known"], image_id))
            continue
        fr = make(name)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, image=fr.image, p=fr.p, q=fr.q, known=fr.root_known)
        tmp.replace(path)
        frames.append(fr)
    return frames


def load_box_frames(
    fdu_root: str | Path, ids: list[str], um_per_px: float, canonical_um_per_px: float, cache_dir: str | Path
) -> list[Frame]:
    """Prepared frames of ``ids`` (cached under ``cache_dir``)."""
    from tqdm import tqdm

    from trichometry.data.voc import find_voc_layout, read_voc_annotation

    layout = find_voc_layout(fdu_root)
    factor = um_per_px / canonical_um_per_px
    key = hashlib.sha256(f"{Path(fdu_root).resolve()}|{um_per_px}|{canonical_um_per_px}|v1".encode())

    def make(image_id: str) -> Frame:
        ann, _, img_path = read_voc_annotation(layout, image_id, um_per_px=um_per_px)
        image = cv2.cvtColor(cv2.imread(str(img_path), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
        boxes = np.asarray(ann.as_arrays()[0], float).reshape(-1, 4)
        return prepare_box_frame(image, boxes, factor, image_id)

    ids_bar = tqdm(ids, desc="frames", unit="photo", leave=False)
    return _cached(Path(cache_dir) / f"frames_{key.hexdigest()[:12]}", ((i, i) for i in ids_bar), make)


def _photometric(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    x = img.astype(np.float32)
    x = x * rng.uniform(0.75, 1.25) + rng.uniform(-20, 20)  # contrast, brightness
    x = x * rng.uniform(0.9, 1.1, size=3)[None, None, :]  # colour balance
    grey = x.mean(axis=2, keepdims=True)
    x = grey + (x - grey) * rng.uniform(0.7, 1.3)  # saturation
    gamma = rng.uniform(0.8, 1.25)
    x = 255.0 * (np.clip(x, 0, 255) / 255.0) ** gamma
    if rng.random() < 0.3:
        x = cv2.GaussianBlur(x, (0, 0), rng.uniform(0.3, 1.0))
    if rng.random() < 0.3:
        x = x + rng.normal(0, rng.uniform(1, 6), x.shape).astype(np.float32)
    return np.clip(x, 0, 255)


def augment_frame(
    fr: Frame, rng: np.random.Generator, size: tuple[int, int], scale: tuple[float, float] = (0.8, 1.25)
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A randomly flipped, scaled, recoloured ``size`` (H, W) view; returns (image float
    ``(H, W, 3)`` in 0..255, p, q) in the view's pixels."""
    img, p, q = fr.image, fr.p.copy(), fr.q.copy()
    s = float(np.exp(rng.uniform(np.log(scale[0]), np.log(scale[1]))))
    h0, w0 = img.shape[:2]
    nw, nh = max(8, round(w0 * s)), max(8, round(h0 * s))
    img = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR)
    sx, sy = nw / w0, nh / h0
    p = (p + 0.5) * [sx, sy] - 0.5
    q = (q + 0.5) * [sx, sy] - 0.5
    if rng.random() < 0.5:
        img = img[:, ::-1]
        p[:, 0], q[:, 0] = nw - 1 - p[:, 0], nw - 1 - q[:, 0]
    if rng.random() < 0.5:
        img = img[::-1]
        p[:, 1], q[:, 1] = nh - 1 - p[:, 1], nh - 1 - q[:, 1]
    img = _photometric(np.ascontiguousarray(img), rng)
    th, tw = size
    out = np.full((th, tw, 3), img.reshape(-1, 3).mean(0), np.float32)
    oy = int(rng.integers(0, nh - th + 1)) if nh > th else -int(rng.integers(0, th - nh + 1))
    ox = int(rng.integers(0, nw - tw + 1)) if nw > tw else -int(rng.integers(0, tw - nw + 1))
    sy0, sx0 = max(oy, 0), max(ox, 0)
    dy0, dx0 = max(-oy, 0), max(-ox, 0)
    hh, ww = min(nh - sy0, th - dy0), min(nw - sx0, tw - dx0)
    out[dy0 : dy0 + hh, dx0 : dx0 + ww] = img[sy0 : sy0 + hh, sx0 : sx0 + ww]
    shift = np.array([ox, oy], float)
    return out, p - shift, q - shift


class FrameDataset(Dataset):
    """Augmented frames with their targets; item ``i`` of epoch ``e`` is drawn with its own
    random stream, so workers and ranks agree and a resumed run continues the sequence."""

    def __init__(
        self,
        frames: list[Frame],
        size: tuple[int, int],
        seed: int,
        scale: tuple[float, float] = (0.8, 1.25),
        **target_kw,
    ) -> None:
        if not frames:
            raise ValueError("no training frames")
        self.frames, self.size, self.seed, self.scale = frames, tuple(size), int(seed), tuple(scale)
        self.target_kw, self.epoch = target_kw, 0

    def __len__(self) -> int:
        return len(self.frames)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        fr = self.frames[int(i)]
        rng = np.random.default_rng([self.seed, self.epoch, int(i)])
        img, p, q = augment_frame(fr, rng, self.size, self.scale)
        t = render_targets(p, q, fr.root_known, self.size, **self.target_kw)
        return {
            "image": torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)) / np.float32(255.0)),
            "heat": torch.from_numpy(t.heat[None]),
            "reg": torch.from_numpy(t.reg),
            "mask": torch.from_numpy(t.mask),
        }
