"""The segment network: every hair as one centre peak with the vector to its root.

Why not a peak where each hair leaves the skin (the dense :class:`~.net.HairNet`): the
roots of a follicular unit's hairs touch and merge into one low ridge, while their shafts
diverge, so the middles of the visible shafts stay apart where the roots do not. Real box
labels (one box per visible shaft) supervise exactly this: a box and the diagonal its
shaft follows are a segment whose centre, length and axis are known, only the end that is
the root is not.

The network (CenterNet-like) reads the image at the canonical um per pixel and answers on
a grid of stride :attr:`SegmentNet.stride` (4) with the channels of :data:`SEGMENT_HEADS`:

* ``centre``: logit of a heatmap with one Gaussian peak at each hair's shaft centre;
* ``offset_x``, ``offset_y``: where in its cell the centre lies (0..1);
* ``root_x``, ``root_y``: the vector from the centre to the hair's root end, in cells
  divided by :attr:`SegmentNet.vector_scale` (the tip is the other end of the segment);
* ``log_diameter``: log of the shaft diameter near the root, in canonical px.

Encoder: residual stages (torchvision's ``BasicBlock``) at strides 4, 8, 16, 32 after a
two-convolution stem; decoder: a feature pyramid summed back to stride 4. No weights are
downloaded: everything trains from scratch. Normalisation (ImageNet mean/std) happens
inside, so ONNX and PyTorch take the same ``(B, 3, H, W)`` RGB input in ``[0, 1]``.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torchvision.models.resnet import BasicBlock

from trichometry.models.net import IMAGENET_MEAN, IMAGENET_STD

SEGMENT_HEADS: dict[str, str] = {
    "centre": "channel 0: logit of the shaft-centre heatmap (one Gaussian peak per hair)",
    "offset_x": "channel 1: x of the centre inside its stride cell, 0..1",
    "offset_y": "channel 2: y of the centre inside its stride cell, 0..1",
    "root_x": "channel 3: x of the vector centre -> root end, in cells / vector_scale",
    "root_y": "channel 4: y of the vector centre -> root end, in cells / vector_scale",
    "log_diameter": "channel 5: log of the shaft diameter near the root, canonical px",
}
CENTRE_PRIOR = -2.19  # sigmoid -> 0.1: a sparse start, as CenterNet's focal-loss prior


def _stage(cin: int, cout: int, blocks: int) -> nn.Sequential:
    down = nn.Sequential(nn.Conv2d(cin, cout, 1, 2, bias=False), nn.BatchNorm2d(cout))
    layers: list[nn.Module] = [BasicBlock(cin, cout, 2, downsample=down)]
    layers += [BasicBlock(cout, cout) for _ in range(blocks - 1)]
    return nn.Sequential(*layers)


class SegmentNet(nn.Module):
    """Residual encoder, feature-pyramid decoder, six output channels at stride 4.

    Args:
        widths: channels of the four residual stages (strides 4, 8, 16, 32).
        blocks: residual blocks per stage.
        decoder_channels: channels of the pyramid and the head.
        vector_scale: the root vector is predicted in cells / this.

    Example:
        >>> net = SegmentNet(widths=(8, 8, 16, 16), blocks=(1, 1, 1, 1), decoder_channels=8)
        >>> net(torch.rand(1, 3, 64, 48)).shape
        torch.Size([1, 6, 16, 12])
    """

    stride = 4

    def __init__(
        self,
        widths: tuple[int, ...] | list[int] = (32, 64, 128, 256),
        blocks: tuple[int, ...] | list[int] = (2, 2, 2, 2),
        decoder_channels: int = 64,
        vector_scale: float = 8.0,
    ) -> None:
        super().__init__()
        if len(widths) != 4 or len(blocks) != 4:
            raise ValueError("widths and blocks need one entry per stage (4 stages)")
        w0 = int(widths[0])
        self.stem = nn.Sequential(
            nn.Conv2d(3, w0 // 2, 3, 2, 1, bias=False),
            nn.BatchNorm2d(w0 // 2),
            nn.ReLU(inplace=True),
            nn.Conv2d(w0 // 2, w0, 3, 1, 1, bias=False),
            nn.BatchNorm2d(w0),
            nn.ReLU(inplace=True),
        )
        stages, cin = [], w0
        for cout, n in zip(widths, blocks):
            stages.append(_stage(cin, int(cout), int(n)))
            cin = int(cout)
        self.stages = nn.ModuleList(stages)  # strides 4, 8, 16, 32
        d = int(decoder_channels)
        self.lateral = nn.ModuleList([nn.Conv2d(int(c), d, 1) for c in widths])
        self.smooth = nn.ModuleList(
            [
                nn.Sequential(nn.Conv2d(d, d, 3, 1, 1, bias=False), nn.BatchNorm2d(d), nn.ReLU(True))
                for _ in widths[:-1]
            ]
        )
        self.head = nn.Sequential(
            nn.Conv2d(d, d, 3, 1, 1, bias=False),
            nn.BatchNorm2d(d),
            nn.ReLU(inplace=True),
            nn.Conv2d(d, len(SEGMENT_HEADS), 1),
        )
        self.vector_scale = float(vector_scale)
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)
        with torch.no_grad():
            self.head[-1].bias.zero_()
            self.head[-1].bias[0] = CENTRE_PRIOR
            self.head[-1].bias[1:3] = 0.5
            self.head[-1].bias[5] = 2.0  # about 7 px: a terminal hair at 5-10 um/px

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, 3, H, W)`` RGB in [0, 1] -> ``(B, 6, ceil(H/4), ceil(W/4))`` raw channels."""
        h, w = x.shape[-2:]
        ph, pw = (-h) % 32, (-w) % 32
        x = (x - self.mean) / self.std
        if ph or pw:
            x = F.pad(x, (0, pw, 0, ph), mode="replicate")
        feats = []
        y = self.stem(x)
        for stage in self.stages:
            y = stage(y)
            feats.append(y)
        top = self.lateral[-1](feats[-1])
        for i in range(len(feats) - 2, -1, -1):
            top = F.interpolate(top, size=feats[i].shape[-2:], mode="nearest") + self.lateral[i](feats[i])
            top = self.smooth[i](top)
        out = self.head(top)
        return out[..., : -(-h // self.stride), : -(-w // self.stride)]

    def activate(self, raw: torch.Tensor) -> torch.Tensor:
        """Raw channels -> centre probability, offsets, root vector in cells, diameter in px."""
        return torch.cat(
            [
                torch.sigmoid(raw[:, 0:1]),
                raw[:, 1:3],
                raw[:, 3:5] * self.vector_scale,
                torch.exp(raw[:, 5:6].clamp(-3.0, 5.0)),
            ],
            dim=1,
        )


def describe_segment_net(model: SegmentNet) -> dict[str, Any]:
    """A short summary for logs and checkpoints."""
    n = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return {"parameters": n, "stride": model.stride, "heads": dict(SEGMENT_HEADS)}
