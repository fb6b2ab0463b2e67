"""albumentations pipelines that move image, masks and exit points together.

Geometric transforms are only flips, 90-degree rotations and crops: they keep the pixel
scale, so diameters (in canonical px) stay valid. Photometric transforms touch the image.
"""

from __future__ import annotations

import albumentations as A
import numpy as np

from trichometry.training.config import AugmentationConfig

MASK_KEYS = ("shaft", "shaft_weight", "exit_weight", "diameter", "mil")


def build_transform(cfg: AugmentationConfig, crop_px: int, train: bool = True) -> A.Compose:
    """A pipeline taking ``image=``, ``masks=[...]`` (``MASK_KEYS`` order), ``keypoints=``.

    Args:
        cfg: augmentation options.
        crop_px: output side; smaller items are padded (pad pixels are ignored by the
            loss: their weights are 0).
        train: random crop and augmentations; otherwise a deterministic centre crop.
    """
    ops: list[A.BasicTransform] = [
        A.PadIfNeeded(crop_px, crop_px, position="top_left", border_mode=0, fill=0, fill_mask=0),
    ]
    if train:
        ops.append(A.RandomCrop(crop_px, crop_px))
        if cfg.flips:
            ops += [A.HorizontalFlip(p=0.5), A.VerticalFlip(p=0.5), A.RandomRotate90(p=0.5)]
        ops += photometric_ops(cfg)
    else:
        ops.append(A.CenterCrop(crop_px, crop_px))
    return A.Compose(ops, keypoint_params=A.KeypointParams(format="xy", remove_invisible=True))


def photometric_ops(cfg: AugmentationConfig) -> list[A.BasicTransform]:
    """The image-only changes of training: colour, blur, noise and JPEG."""
    ops: list[A.BasicTransform] = []
    if cfg.brightness_contrast > 0:
        lim = cfg.brightness_contrast
        ops.append(A.RandomBrightnessContrast(lim, lim, p=0.8))
    if cfg.hue_saturation > 0:
        s = cfg.hue_saturation
        ops.append(A.HueSaturationValue(int(20 * s), int(30 * s), int(20 * s), p=0.5))
    if cfg.blur_p > 0:
        ops.append(A.GaussianBlur(blur_limit=(3, 5), p=cfg.blur_p))
    if cfg.noise_p > 0:
        ops.append(A.GaussNoise(std_range=(0.01, 0.05), p=cfg.noise_p))
    if cfg.jpeg_p > 0:
        ops.append(A.ImageCompression(quality_range=(50, 95), p=cfg.jpeg_p))
    return ops


def apply_transform(transform: A.Compose, item: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Run ``transform`` on a training item (see :mod:`trichometry.training.targets`)."""
    # albumentations 2 flips keypoints as x -> W - 1 - x: pixel centres at integers, as ours.
    pts = np.asarray(item["points"], dtype=np.float64).reshape(-1, 2)
    # An exit point counts from -0.5 (pixel edge) but albumentations wants [0, size): clamp
    # the at most half-pixel overhang rather than crash or drop the hair.
    h, w = item["image"].shape[:2]
    pts = np.clip(pts, 0.0, [w - 1e-3, h - 1e-3]) if len(pts) else pts
    out = transform(image=item["image"], masks=[item[k] for k in MASK_KEYS], keypoints=pts)
    res = {
        "image": out["image"],
        "points": np.asarray(out["keypoints"], dtype=np.float64).reshape(-1, 2),
    }
    for k, m in zip(MASK_KEYS, out["masks"]):
        dtype = item[k].dtype  # masks may come back as a common float type
        res[k] = np.rint(m).astype(dtype) if np.issubdtype(dtype, np.integer) else np.asarray(m, dtype)
    return res
