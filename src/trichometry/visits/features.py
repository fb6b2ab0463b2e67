"""Image-feature registration: ORB key points on a contrast-normalised grey image + RANSAC."""

from __future__ import annotations

import numpy as np


def feature_transform(
    base_img: np.ndarray, follow_img: np.ndarray, tol_px: float
) -> tuple[np.ndarray | None, int, int]:
    """ORB + RANSAC; returns ``(matrix or None, inliers, matches)``."""
    import cv2

    def grey(img: np.ndarray) -> np.ndarray:
        g = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY) if img.ndim == 3 else img
        return cv2.createCLAHE(clipLimit=3.0, tileGridSize=(8, 8)).apply(g.astype(np.uint8))

    orb = cv2.ORB_create(nfeatures=3000)
    kb, db = orb.detectAndCompute(grey(base_img), None)
    kf, dfe = orb.detectAndCompute(grey(follow_img), None)
    if db is None or dfe is None or len(kb) < 8 or len(kf) < 8:
        return None, 0, 0
    knn = cv2.BFMatcher(cv2.NORM_HAMMING).knnMatch(dfe, db, k=2)
    good = [p[0] for p in knn if len(p) == 2 and p[0].distance < 0.8 * p[1].distance]
    if len(good) < 8:
        return None, 0, len(good)
    src = np.float32([kf[g.queryIdx].pt for g in good])
    dst = np.float32([kb[g.trainIdx].pt for g in good])
    mat, inl = cv2.estimateAffinePartial2D(
        src, dst, method=cv2.RANSAC, ransacReprojThreshold=max(tol_px, 3.0), maxIters=4000, confidence=0.995
    )
    if mat is None:
        return None, 0, len(good)
    return mat.astype(np.float64), int(inl.sum()), len(good)
