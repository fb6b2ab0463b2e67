from __future__ import annotations

import pytest
import torch

from trichometry.errors import ConfigError
from trichometry.models import HEADS, create_model, model_kwargs, variant_names
from trichometry.models.registry import family_of_variant


def test_tiny_keeps_full_resolution_and_odd_sizes() -> None:
    model = create_model("tiny").eval()
    with torch.no_grad():
        out = model(torch.rand(2, 3, 64, 64))
        odd = model(torch.rand(1, 3, 37, 53))
    assert out.shape == (2, len(HEADS), 64, 64)
    assert odd.shape == (1, 3, 37, 53)
    act = model.activate(out)
    assert float(act[:, :2].min()) >= 0 and float(act[:, :2].max()) <= 1
    assert float(act[:, 2].min()) >= 0


def test_gradients_reach_backbone_and_stem() -> None:
    model = create_model("tiny")
    model(torch.rand(2, 3, 64, 64)).sum().backward()
    assert model.stem[0][0].weight.grad is not None
    first = next(model.encoder.parameters())
    assert first.grad is not None and float(first.grad.abs().sum()) > 0


@pytest.mark.parametrize("name", variant_names())
def test_every_variant_builds(name: str) -> None:
    model = create_model(name).eval()
    # every output channel the family names; candidate families answer at their stride
    fam = family_of_variant(name)
    side = 64 // model.stride if fam.candidates else 64
    want = (1, len(fam.heads), side, side)
    with torch.no_grad():
        assert model(torch.rand(1, 3, 64, 64)).shape == want


def test_unknown_variant_lists_valid_names() -> None:
    with pytest.raises(ConfigError, match="tiny") as info:
        create_model("tinny")
    assert all(n in str(info.value) for n in variant_names())


def test_unknown_argument_is_config_error() -> None:
    with pytest.raises(ConfigError, match="stem_chanels"):
        model_kwargs("tiny", stem_chanels=4)
