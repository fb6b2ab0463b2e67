from __future__ import annotations

import pytest
import torch

from trichometry.errors import CheckpointError, ConfigError
from trichometry.models.factory import create_model
from trichometry.training.freeze import freeze, init_from, set_train_mode, trainable


def _ckpt(model: torch.nn.Module) -> dict:
    return {"state_dict": {k: v.clone() for k, v in model.state_dict().items()}}


def test_init_from_fills_all_but_the_new_branch() -> None:
    torch.manual_seed(0)
    old = create_model("tiny")
    new = create_model("tiny", diameter_branch=4)
    fresh = init_from(new, _ckpt(old), new_modules=["diameter_branch"])
    assert fresh and all(k.startswith("diameter_branch.") for k in fresh)
    for k, v in old.state_dict().items():
        assert torch.equal(new.state_dict()[k], v), k


def test_a_new_branch_changes_nothing_until_it_learns() -> None:
    torch.manual_seed(2)
    old = create_model("tiny").eval()
    new = create_model("tiny", exit_branch=4, diameter_branch=4)
    init_from(new, _ckpt(old), new_modules=["exit_branch", "diameter_branch"])
    x = torch.rand(1, 3, 48, 40)
    with torch.no_grad():
        assert torch.equal(new.eval()(x), old(x))


def test_init_from_refuses_another_architecture() -> None:
    small = create_model("small")
    with pytest.raises(CheckpointError, match="does not fit"):
        init_from(create_model("tiny", diameter_branch=4), _ckpt(small), new_modules=["diameter_branch"])
    # a tensor missing outside the new modules is not silently left at random
    ck = _ckpt(create_model("tiny"))
    del ck["state_dict"]["head.1.bias"]
    with pytest.raises(CheckpointError, match=r"missing: head\.1\.bias"):
        init_from(create_model("tiny", diameter_branch=4), ck, new_modules=["diameter_branch"])


def test_frozen_parts_keep_their_outputs_while_the_branch_learns() -> None:
    torch.manual_seed(1)
    old = create_model("tiny").eval()
    net = create_model("tiny", diameter_branch=4)
    init_from(net, _ckpt(old), new_modules=["diameter_branch"])
    n = freeze(net, ["diameter_branch"])
    assert n == sum(p.numel() for p in net.diameter_branch.parameters())
    opt = torch.optim.AdamW(trainable(net), lr=1e-2)
    x = torch.rand(2, 3, 64, 64)
    before = net.diameter_branch.body[0].weight.detach().clone()
    for _ in range(3):
        set_train_mode(net, ["diameter_branch"])
        assert not net.encoder.training and net.diameter_branch.training
        loss = (net(x)[:, 2] - 1.0).abs().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert not torch.equal(before, net.diameter_branch.body[0].weight)
    net.eval()
    with torch.no_grad():  # batch-norm statistics of the frozen parts did not move
        assert torch.equal(net(x)[:, :2], old(x)[:, :2])


def test_train_only_must_name_a_module() -> None:
    with pytest.raises(ConfigError, match="names no module"):
        freeze(create_model("tiny"), ["diameter_branch"])  # the variant has no branch
    with pytest.raises(ConfigError, match="names no module"):
        freeze(create_model("tiny", diameter_branch=4), ["decodr"])
