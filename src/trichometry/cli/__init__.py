"""Command-line interface (``trichometry``). Uses the library only; never imports Hydra."""
