"""The hair network: a torchvision backbone, a U-Net decoder back to full resolution, three heads.

Thin vellus hairs are only 3-4 px wide at the canonical scale, so the decoder ends in a
full-resolution stage fed by a small stride-1 stem (the backbone starts at stride 2).

Input: ``(B, 3, H, W)`` float RGB in ``[0, 1]`` at the canonical um per pixel; normalisation
happens inside the network (buffers ``mean``/``std``), so ONNX and PyTorch take the same
input. ``H`` and ``W`` need not be multiples of the backbone stride (the input is padded
and the output cropped). Output: ``(B, 3, H, W)`` raw maps, channels as in :data:`HEADS`;
:meth:`HairNet.activate` turns them into probabilities and a diameter.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torchvision.models import mobilenet_v3_large, mobilenet_v3_small, resnet18, resnet34
from torchvision.models.feature_extraction import create_feature_extractor

from trichometry.models.registry import Family, register

# Output channel -> meaning (stored in every checkpoint).
HEADS: dict[str, str] = {
    "shaft": "channel 0: logit that the pixel lies on a hair shaft (sigmoid -> probability)",
    "exit": "channel 1: logit of the exit-point heatmap, a Gaussian peak where each hair leaves the skin",
    "diameter": "channel 2: raw shaft diameter; softplus(raw) * diameter_scale = diameter in canonical px",
}
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

_BACKBONES = {
    "mobilenet_v3_small": mobilenet_v3_small,
    "mobilenet_v3_large": mobilenet_v3_large,
    "resnet18": resnet18,
    "resnet34": resnet34,
}


def _conv_bn_relu(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(True))


class _UpBlock(nn.Module):
    """Upsample to the skip's size, concatenate, two 3x3 conv-BN-ReLU."""

    def __init__(self, cin: int, cskip: int, cout: int) -> None:
        super().__init__()
        self.conv = nn.Sequential(_conv_bn_relu(cin + cskip, cout), _conv_bn_relu(cout, cout))

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
        return self.conv(torch.cat([x, skip], dim=1))


class RefineBranch(nn.Module):
    """A full-resolution correction to one head's raw output.

    It reads the normalised image, the decoder's last features and the shared head's three
    raw maps through dilated 3x3 convolutions (dilations 1, 2, 4, 8, 16: a 63 px receptive
    field, wider than the thickest hair at the canonical scale) and adds its 1x1
    projection to the head's channel. The projection starts at zero, so a network that
    gains a branch answers exactly as before until the branch has learnt something: a
    branch can be trained on a frozen, calibrated network (``trainer.train_only``).
    """

    DILATIONS = (1, 2, 4, 8, 16)

    def __init__(self, cin: int, channels: int) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        c = cin + 3 + len(HEADS)
        for dil in self.DILATIONS:
            layers += [
                nn.Conv2d(c, channels, 3, padding=dil, dilation=dil, bias=False),
                nn.BatchNorm2d(channels),
                nn.ReLU(True),
            ]
            c = channels
        self.body = nn.Sequential(*layers)
        self.out = nn.Conv2d(channels, 1, 1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, image: torch.Tensor, features: torch.Tensor, heads: torch.Tensor) -> torch.Tensor:
        """``(B, 1, H, W)``: what to add to the head's raw channel."""
        return self.out(self.body(torch.cat([image, features, heads], dim=1)))


class HairNet(nn.Module):
    """Encoder-decoder with shaft, exit-point and diameter heads at full resolution.

    Args:
        backbone: torchvision model name (see ``_BACKBONES``); built with ``weights=None``.
        return_nodes: backbone node names, shallow to deep (strides 2, 4, 8, ...).
        decoder_channels: output channels of each decoder stage, deep to shallow; one per
            return node (the last stage goes back to stride 1 and joins the stem).
        stem_channels: channels of the full-resolution (stride 1) stem.
        head_channels: hidden channels of each head.
        diameter_scale: the diameter head outputs ``softplus(raw) * diameter_scale`` px.
        exit_branch, diameter_branch: channels of a :class:`RefineBranch` that corrects the
            exit-heatmap / diameter channel at full resolution; 0 = none (the shared head's
            projection alone).

    Example:
        >>> net = HairNet("mobilenet_v3_small", ["features.0", "features.1"], (16, 8), 8, 8)
        >>> net(torch.rand(1, 3, 64, 48)).shape
        torch.Size([1, 3, 64, 48])
    """

    def __init__(
        self,
        backbone: str,
        return_nodes: list[str],
        decoder_channels: tuple[int, ...] | list[int],
        stem_channels: int = 16,
        head_channels: int = 16,
        diameter_scale: float = 10.0,
        exit_branch: int = 0,
        diameter_branch: int = 0,
    ) -> None:
        super().__init__()
        if len(decoder_channels) != len(return_nodes):
            raise ValueError("decoder_channels needs one entry per return node")
        base = _BACKBONES[backbone](weights=None)
        self.encoder = create_feature_extractor(base, return_nodes={n: n for n in return_nodes})
        self.return_nodes = list(return_nodes)
        with torch.no_grad():
            self.encoder.eval()
            feats = self.encoder(torch.zeros(1, 3, 64, 64))
            self.encoder.train()
        chans = [feats[n].shape[1] for n in return_nodes]
        self.stride = 64 // feats[return_nodes[-1]].shape[-1]
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)
        self.stem = nn.Sequential(
            _conv_bn_relu(3, stem_channels), _conv_bn_relu(stem_channels, stem_channels)
        )
        ups: list[nn.Module] = []
        cin = chans[-1]
        skips = [*chans[:-1][::-1], stem_channels]  # deep -> shallow, ending at the stride-1 stem
        for cskip, cout in zip(skips, decoder_channels):
            ups.append(_UpBlock(cin, cskip, cout))
            cin = cout
        self.decoder = nn.ModuleList(ups)
        # One shared full-resolution 3x3 layer, then a 1x1 projection per head (cheap at stride 1).
        self.head = nn.Sequential(_conv_bn_relu(cin, head_channels), nn.Conv2d(head_channels, len(HEADS), 1))
        self.diameter_scale = float(diameter_scale)
        self.exit_branch = RefineBranch(cin, exit_branch) if exit_branch > 0 else None
        self.diameter_branch = RefineBranch(cin, diameter_branch) if diameter_branch > 0 else None
        with torch.no_grad():  # start sparse: few shaft / exit pixels (focal-loss prior)
            self.head[-1].bias[0:2].fill_(-2.19)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, 3, H, W)`` RGB in [0, 1] -> ``(B, 3, H, W)`` raw maps (see :data:`HEADS`)."""
        h, w = x.shape[-2:]
        ph, pw = (-h) % self.stride, (-w) % self.stride
        x = (x - self.mean) / self.std
        if ph or pw:
            x = F.pad(x, (0, pw, 0, ph), mode="replicate")
        feats = self.encoder(x)
        levels = [feats[n] for n in self.return_nodes]
        y = levels[-1]
        for block, skip in zip(self.decoder, [*levels[:-1][::-1], self.stem(x)]):
            y = block(y, skip)
        out = self.head(y)  # (B, 3, H+ph, W+pw)
        if self.exit_branch is not None or self.diameter_branch is not None:
            chans = list(out.split(1, dim=1))
            for c, branch in ((1, self.exit_branch), (2, self.diameter_branch)):
                if branch is not None:
                    chans[c] = chans[c] + branch(x, y, out)
            out = torch.cat(chans, dim=1)
        return out[..., :h, :w]

    def activate(self, raw: torch.Tensor) -> torch.Tensor:
        """Raw maps -> ``(B, 3, H, W)``: shaft probability, exit probability, diameter (canonical px)."""
        return torch.cat(
            [
                torch.sigmoid(raw[:, 0:2]),
                F.softplus(raw[:, 2:3]) * self.diameter_scale,
            ],
            dim=1,
        )


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def describe(model: HairNet) -> dict[str, Any]:
    """A short summary for logs and checkpoints."""
    return {"parameters": count_parameters(model), "stride": model.stride, "heads": dict(HEADS)}


# Named variants (a checkpoint stores the name *and* the arguments, so it can be rebuilt
# even if a variant changes later).
VARIANTS: dict[str, dict[str, Any]] = {
    # about 0.3 M parameters; trains on a laptop CPU. The stride-1 stages are kept slim
    # (8-12 channels): at full resolution they dominate the cost.
    "tiny": {
        "backbone": "mobilenet_v3_small",
        "return_nodes": ["features.0", "features.1", "features.3", "features.8"],  # strides 2..16
        "decoder_channels": [48, 32, 24, 12],
        "stem_channels": 8,
        "head_channels": 12,
    },
    # about 2 M parameters; CPU inference, GPU training
    "small": {
        "backbone": "mobilenet_v3_large",
        "return_nodes": ["features.1", "features.3", "features.6", "features.12"],  # strides 2..16
        "decoder_channels": [96, 64, 40, 24],
        "stem_channels": 24,
        "head_channels": 24,
    },
    # about 25 M parameters; GPU
    "base": {
        "backbone": "resnet34",
        "return_nodes": ["relu", "layer1", "layer2", "layer3", "layer4"],  # strides 2..32
        "decoder_channels": [256, 128, 64, 48, 32],
        "stem_channels": 32,
        "head_channels": 32,
    },
}
FAMILY = register(
    Family(
        arch="dense",
        network=HairNet,
        variants=VARIANTS,
        heads=HEADS,
        overridable=frozenset({"diameter_scale", "exit_branch", "diameter_branch"}),
        decode=None,  # dense maps: read by inference.predictor.Predictor
        training="trichometry.training.dense_hooks:HOOKS",
    )
)
