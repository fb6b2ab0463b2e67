from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import torch

from trichometry.models import create_model
from trichometry.models.onnx_export import export_onnx


@pytest.mark.parametrize("name", ["tiny", "frame_s"])
def test_onnx_matches_pytorch(name: str, tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = create_model(name).eval()
    info = export_onnx(model, tmp_path / "m.onnx", tile=64)
    assert info["max_abs_diff"] is not None and info["max_abs_diff"] < 1e-4
    x = torch.rand(1, 3, 64, 64)
    sess = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    got = sess.run(["maps"], {"input": x.numpy()})[0]
    with torch.no_grad():
        want = model.activate(model(x)).numpy()
    np.testing.assert_allclose(got, want, atol=1e-4)


def test_onnx_command_line(tmp_path: Path, capsys) -> None:
    from trichometry.models import model_kwargs, save_checkpoint
    from trichometry.models.onnx_export import main

    save_checkpoint(
        tmp_path / "m.pt", create_model("tiny"), model_name="tiny", model_kwargs=model_kwargs("tiny")
    )
    main([str(tmp_path / "m.pt"), str(tmp_path / "m.onnx"), "--tile", "64"])
    assert (tmp_path / "m.onnx").stat().st_size > 10_000
    assert '"max_abs_diff"' in capsys.readouterr().out
