"""Partial training: start from another checkpoint's weights and train only some modules.

``trainer.init_from`` copies a checkpoint's weights into a network that may have new
modules (a :class:`~trichometry.models.net.RefineBranch`); those keep their fresh
initialisation. ``trainer.train_only`` names the top-level modules that learn
(``["diameter_branch"]``); every other parameter is frozen, and the frozen modules stay in
eval mode, so their batch-norm statistics, and with them the frozen outputs, do not move.
Training a diameter branch this way leaves the shaft and exit maps of the source
checkpoint bit for bit, so its calibrated threshold still holds.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from trichometry.errors import CheckpointError, ConfigError
from trichometry.models.checkpoint import unwrap

BRANCHES = ("exit_branch", "diameter_branch")  # modules a network may gain (models.net.RefineBranch)


def init_from(model: nn.Module, ckpt: dict, *, new_modules: Sequence[str]) -> list[str]:
    """Copy ``ckpt``'s weights into ``model``; only tensors under ``new_modules`` may be absent.

    Returns:
        The names of the tensors left at their initialisation.

    Raises:
        CheckpointError: the checkpoint has tensors the network lacks, a tensor of another
            shape, or lacks a tensor outside ``new_modules``.
    """
    net = unwrap(model)
    own = net.state_dict()
    theirs = ckpt["state_dict"]
    extra = sorted(set(theirs) - set(own))
    shape = sorted(k for k in set(theirs) & set(own) if tuple(theirs[k].shape) != tuple(own[k].shape))
    missing = sorted(set(own) - set(theirs))
    unexpected_missing = [k for k in missing if not _under(k, new_modules)]
    if extra or shape or unexpected_missing:
        problems = (("not in the network", extra), ("other shape", shape), ("missing", unexpected_missing))
        said = "; ".join(f"{what}: {', '.join(k[:3])}{' ...' * (len(k) > 3)}" for what, k in problems if k)
        raise CheckpointError(
            f"trainer.init_from does not fit this network: {said}. "
            "Use a checkpoint of the same variant (model=...)."
        )
    net.load_state_dict({**own, **theirs}, strict=True)
    return missing


def freeze(model: nn.Module, train_only: Sequence[str]) -> int:
    """Freeze every parameter outside the top-level modules ``train_only``; returns the
    number of parameters left to train.

    Raises:
        ConfigError: a name in ``train_only`` is not a module of the network, or names no
            parameters.
    """
    net = unwrap(model)
    children = dict(net.named_children())
    bad = [n for n in train_only if children.get(n) is None]
    if bad:
        have = ", ".join(n for n, m in children.items() if m is not None)
        raise ConfigError(f"trainer.train_only names no module of the network: {bad}; modules: {have}.")
    n_train = 0
    for name, p in net.named_parameters():
        p.requires_grad_(_under(name, train_only))
        n_train += p.numel() if p.requires_grad else 0
    if n_train == 0:
        raise ConfigError(f"trainer.train_only={list(train_only)} leaves nothing to train.")
    return n_train


def set_train_mode(model: nn.Module, train_only: Sequence[str]) -> None:
    """``model.train()``, except that frozen modules (outside ``train_only``) stay in eval mode."""
    model.train()
    if not train_only:
        return
    for name, child in unwrap(model).named_children():
        if name not in train_only:
            child.eval()


def trainable(model: nn.Module) -> list[torch.nn.Parameter]:
    """The parameters that learn."""
    return [p for p in model.parameters() if p.requires_grad]


def _under(key: str, modules: Sequence[str]) -> bool:
    return any(key == m or key.startswith(m + ".") for m in modules)
