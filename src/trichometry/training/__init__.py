"""Training the hair network: typed Hydra configs, data sets, transforms, losses, the loop.

Entry point: :func:`trichometry.training.run.train` (``python train.py`` wraps it).
"""

from __future__ import annotations

from trichometry.training.config import TrainConfig, register_configs

__all__ = ["TrainConfig", "register_configs", "train"]


def train(cfg):
    """See :func:`trichometry.training.run.train`."""
    from trichometry.training.run import train as _train

    return _train(cfg)
