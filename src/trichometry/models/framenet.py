"""Detector v3: whole frames at a coarse scale, one box-centre peak per hair.

Why: a clipped shaft at 70x is 300-1,000 px long at the camera's 2.8 um/px, so a crop
the size earlier detectors read cut most shafts, and their centres or roots lay outside
what the network saw. This network reads the **whole** frame resampled to a coarse
canonical scale (default 8 um/px: a 1280x1024 FDU photo becomes 448x358 and a terminal
shaft is still 7-12 px wide) and answers on a grid of stride :attr:`FrameNet.stride` (4)
with the channels of :data:`FRAME_HEADS`:

* ``centre``: logit of a heatmap with one Gaussian peak at each hair's box centre;
* ``offset_x``, ``offset_y``: where in its cell the centre lies (0..1);
* ``log_w``, ``log_h``: log of the box's width and height in canonical px;
* ``diagonal``: logit that the shaft runs along the box's "/" diagonal (else "\\");
* ``root``: logit that the root is the diagonal's left end (the lower x; on a vertical
  shaft the upper one).

A box with its diagonal is the straight segment the visible shaft follows; the root end
is the exit point visits are matched by. Real box labels supervise the first six
channels (the diagonal is read from the photo: the darker one), generated scenes the
root. Encoder (``encoder``): ``"residual"``, stages of torchvision's ``BasicBlock`` at
strides 4..32 after a two-convolution stem (trained from scratch), or ``"lite0"``,
EfficientNet-Lite0 (:mod:`.lite_encoder`; ImageNet weights copied in when training starts
with ``model.pretrained=true``). Decoder: a feature pyramid back to stride 4.
Normalisation is done inside, so ONNX and PyTorch take the same ``(B, 3, H, W)`` RGB
input in ``[0, 1]``.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torchvision.models.resnet import BasicBlock

from trichometry.inference.frames import decode_frame
from trichometry.models.lite_encoder import LiteEncoder
from trichometry.models.net import IMAGENET_MEAN, IMAGENET_STD
from trichometry.models.registry import Family, register

FRAME_HEADS: dict[str, str] = {
    "centre": "channel 0: logit of the box-centre heatmap (one Gaussian peak per hair)",
    "offset_x": "channel 1: x of the centre inside its stride cell, 0..1",
    "offset_y": "channel 2: y of the centre inside its stride cell, 0..1",
    "log_w": "channel 3: log of the box width, canonical px",
    "log_h": "channel 4: log of the box height, canonical px",
    "diagonal": "channel 5: logit that the shaft follows the box's '/' diagonal (else '\\')",
    "root": "channel 6: logit that the root is the diagonal's left end (upper end if vertical)",
}
CENTRE_PRIOR = -2.19  # sigmoid -> 0.1: CenterNet's sparse start for the focal loss


def _stage(cin: int, cout: int, blocks: int) -> nn.Sequential:
    down = nn.Sequential(nn.Conv2d(cin, cout, 1, 2, bias=False), nn.BatchNorm2d(cout))
    layers: list[nn.Module] = [BasicBlock(cin, cout, 2, downsample=down)]
    layers += [BasicBlock(cout, cout) for _ in range(blocks - 1)]
    return nn.Sequential(*layers)


class FrameNet(nn.Module):
    """Residual encoder, feature-pyramid decoder, seven output channels at stride 4.

    Args:
        widths: channels of the four residual stages (strides 4, 8, 16, 32).
        blocks: residual blocks per stage.
        decoder_channels: channels of the pyramid and the head.
        encoder: ``"residual"`` (``widths``, ``blocks``) or ``"lite0"`` (EfficientNet-Lite0;
            ``widths`` and ``blocks`` are then unused).

    Example:
        >>> net = FrameNet(widths=(8, 8, 16, 16), blocks=(1, 1, 1, 1), decoder_channels=8)
        >>> net(torch.rand(1, 3, 64, 48)).shape
        torch.Size([1, 7, 16, 12])
    """

    stride = 4

    def __init__(
        self,
        widths: tuple[int, ...] | list[int] = (32, 64, 128, 256),
        blocks: tuple[int, ...] | list[int] = (1, 2, 2, 1),
        decoder_channels: int = 64,
        encoder: str = "residual",
    ) -> None:
        super().__init__()
        self.encoder_name = encoder
        if encoder == "lite0":
            self.encoder = LiteEncoder()
            widths = LiteEncoder.widths
            mean, std = (0.5, 0.5, 0.5), (0.5, 0.5, 0.5)  # Lite0 was trained on [-1, 1]
        elif encoder == "residual":
            if len(widths) != 4 or len(blocks) != 4:
                raise ValueError("widths and blocks need one entry per stage (4 stages)")
            self._residual(widths, blocks)
            mean, std = IMAGENET_MEAN, IMAGENET_STD
        else:
            raise ValueError(f"encoder must be 'residual' or 'lite0', got {encoder!r}")
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
            nn.Conv2d(d, len(FRAME_HEADS), 1),
        )
        self.register_buffer("mean", torch.tensor(mean).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(std).view(1, 3, 1, 1), persistent=False)
        with torch.no_grad():
            self.head[-1].bias.zero_()
            self.head[-1].bias[0] = CENTRE_PRIOR
            self.head[-1].bias[1:3] = 0.5
            self.head[-1].bias[3:5] = 3.0  # about 20 canonical px

    def _residual(self, widths: tuple[int, ...] | list[int], blocks: tuple[int, ...] | list[int]) -> None:
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
        self.stages = nn.ModuleList(stages)

    def _encode(self, x: torch.Tensor) -> list[torch.Tensor]:
        if self.encoder_name == "lite0":
            return self.encoder(x)
        feats, y = [], self.stem(x)
        for stage in self.stages:
            y = stage(y)
            feats.append(y)
        return feats

    def load_imagenet_encoder(self) -> int:
        """Copy ImageNet weights into a ``lite0`` encoder (training only); returns how many
        tensors.

        Raises:
            ConfigError: a residual encoder (nothing published fits it) or the training extra
                is missing.
        """
        from trichometry.errors import ConfigError
        from trichometry.models.lite_encoder import load_imagenet

        if self.encoder_name != "lite0":
            raise ConfigError("model.pretrained needs a variant with encoder 'lite0' (for example frame_l0).")
        return load_imagenet(self.encoder)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, 3, H, W)`` RGB in [0, 1] -> ``(B, 7, ceil(H/4), ceil(W/4))`` raw channels."""
        h, w = x.shape[-2:]
        ph, pw = (-h) % 32, (-w) % 32
        x = (x - self.mean) / self.std
        if ph or pw:
            x = F.pad(x, (0, pw, 0, ph), mode="replicate")
        feats = self._encode(x)
        top = self.lateral[-1](feats[-1])
        for i in range(len(feats) - 2, -1, -1):
            top = F.interpolate(top, size=feats[i].shape[-2:], mode="nearest") + self.lateral[i](feats[i])
            top = self.smooth[i](top)
        out = self.head(top)
        return out[..., : -(-h // self.stride), : -(-w // self.stride)]

    def activate(self, raw: torch.Tensor) -> torch.Tensor:
        """Raw channels -> centre probability, offsets, box size in px, diagonal and root
        probabilities."""
        return torch.cat(
            [
                torch.sigmoid(raw[:, 0:1]),
                raw[:, 1:3],
                torch.exp(raw[:, 3:5].clamp(-2.0, 7.0)),
                torch.sigmoid(raw[:, 5:7]),
            ],
            dim=1,
        )


# Named variants; a checkpoint stores the name and the arguments.
FRAME_VARIANTS: dict[str, dict[str, Any]] = {
    # about 1 M parameters: about 9 whole frames (352x448) per second on 2 CPU cores
    "frame_s": {"widths": [24, 48, 96, 192], "blocks": [1, 1, 2, 1], "decoder_channels": 48},
    # EfficientNet-Lite0 encoder, about 3.6 M parameters; pretrained with model.pretrained=true
    "frame_l0": {"encoder": "lite0", "decoder_channels": 64},
}

FAMILY = register(
    Family(
        arch="frames",
        network=FrameNet,
        variants=FRAME_VARIANTS,
        heads=FRAME_HEADS,
        decode=decode_frame,
        training="trichometry.training.frame_hooks:HOOKS",
    )
)
