"""trichometry: scalp trichoscopy hair counting, thickness measurement and follow-up.

The library is the product; the CLI (``trichometry``) and later the web app are thin
layers over it. Data flows one way::

    read -> quality check -> infer -> measure -> compare visits -> store -> report
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("trichometry")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

__all__ = ["AnalysisResult", "__version__", "analyze"]


def __getattr__(name: str):  # lazy: ``import trichometry`` stays light
    if name in ("analyze", "AnalysisResult"):
        from trichometry import analysis

        return getattr(analysis, name)
    raise AttributeError(f"module 'trichometry' has no attribute {name!r}")
