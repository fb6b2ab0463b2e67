"""Export a trained network to ONNX and check it against PyTorch with onnxruntime."""

from __future__ import annotations

import logging
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch

from trichometry.errors import CheckpointError
from trichometry.utils.atomic import atomic_write_bytes

logger = logging.getLogger(__name__)


class Activated(torch.nn.Module):
    """Any registered network with its output already activated (``net.activate``)."""

    def __init__(self, net: torch.nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net.activate(self.net(x))


def export_onnx(
    model: torch.nn.Module,
    path: str | os.PathLike[str],
    *,
    tile: int = 256,
    opset: int = 18,
    check: bool = True,
    atol: float = 1e-4,
) -> dict[str, Any]:
    """Export ``model`` (activated outputs) to ONNX for a ``(1, 3, tile, tile)`` input.

    The ONNX graph takes ``input``: ``(1, 3, tile, tile)`` float32 RGB in ``[0, 1]`` at the
    canonical scale and returns ``maps``: the family's activated channels, in the order
    of the checkpoint's ``model.heads`` (dense: ``(1, 3, tile, tile)`` shaft probability,
    exit probability, diameter; frames: ``(1, 7, tile/4, tile/4)`` centre probability,
    offsets, box size, diagonal and root probabilities). Tile or resample the image as the
    family's predictor does.

    Args:
        model: the network (evaluation mode is set here).
        path: target ``.onnx`` file, written atomically.
        tile: spatial input size (fixed shape: simplest for every runtime).
        opset: ONNX opset version.
        check: run onnxruntime on a random input and compare with PyTorch.
        atol: largest allowed absolute difference in the check.

    Returns:
        ``{"path", "tile", "max_abs_diff"}`` (``max_abs_diff`` is None without ``check``).

    Raises:
        CheckpointError: the export fails or differs from PyTorch by more than ``atol``.
    """
    wrapped = Activated(model).eval().cpu()
    x = torch.rand(1, 3, tile, tile, generator=torch.Generator().manual_seed(0))
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp) / "model.onnx"
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # tracer notes about the static tile shape
                torch.onnx.export(
                    wrapped,
                    (x,),
                    str(tmp_path),
                    input_names=["input"],
                    output_names=["maps"],
                    opset_version=opset,
                    dynamo=False,
                )
        except Exception as exc:  # exporter failures come in many types
            raise CheckpointError(f"ONNX export failed: {exc}; report this with the model variant.") from exc
        data = tmp_path.read_bytes()
    diff = None
    if check:
        import onnxruntime as ort

        sess = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
        got = sess.run(["maps"], {"input": x.numpy()})[0]
        with torch.no_grad():
            want = wrapped(x).numpy()
        diff = float(np.abs(got - want).max())
        if not diff <= atol:
            raise CheckpointError(
                f"ONNX output differs from PyTorch by {diff:.2e} (> {atol:.0e}); do not use this export."
            )
    atomic_write_bytes(path, data)
    logger.info("exported ONNX to %s (tile %d, max |diff| %s)", path, tile, diff)
    return {"path": str(path), "tile": tile, "max_abs_diff": diff}


def main(argv: list[str] | None = None) -> None:
    """``python -m trichometry.models.onnx_export CHECKPOINT OUT.onnx [--tile 512]``."""
    import argparse
    import json

    from trichometry.models.checkpoint import model_from_checkpoint

    ap = argparse.ArgumentParser(
        description="Export a trichometry checkpoint to ONNX (checked with onnxruntime)."
    )
    ap.add_argument("checkpoint")
    ap.add_argument("out")
    ap.add_argument("--tile", type=int, default=512)
    ap.add_argument("--opset", type=int, default=18)
    args = ap.parse_args(argv)
    model, ckpt = model_from_checkpoint(args.checkpoint)
    info = export_onnx(model, args.out, tile=args.tile, opset=args.opset)
    info["weights_sha256"] = ckpt["weights_sha256"]
    info["canonical_um_per_px"] = ckpt["preprocessing"]["canonical_um_per_px"]
    print(json.dumps(info, indent=2))


if __name__ == "__main__":
    main()
