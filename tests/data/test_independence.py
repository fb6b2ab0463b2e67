"""The data set format stands on its own: reading and writing data sets never loads the generator."""

from __future__ import annotations

import subprocess
import sys

CODE = """
import importlib, pkgutil, sys
import trichometry.data as d
for m in pkgutil.iter_modules(d.__path__):
    importlib.import_module(f"trichometry.data.{m.name}")
print(sorted(k for k in sys.modules if k.startswith("trichometry.synth")))
"""


def test_data_modules_do_not_import_the_generator():
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def test_truth_records_live_outside_the_generator():
    import trichometry.synth
    import trichometry.truth

    assert trichometry.synth.ImageTruth is trichometry.truth.ImageTruth  # re-exported, defined once
    assert trichometry.truth.ImageTruth.__module__ == "trichometry.truth"
