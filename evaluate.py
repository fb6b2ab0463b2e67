"""Evaluate methods (model checkpoint, classical baseline, truth oracle) on a held-out cohort.

Example: ``python evaluate.py methods=[truth,classical] data.n_subjects=8``
(the report lands in Hydra's run folder: results.json, report.md, plots).
"""

from __future__ import annotations

import hydra
from omegaconf import DictConfig

from trichometry.evaluation.config import register_configs
from trichometry.evaluation.run import evaluate

register_configs()


@hydra.main(version_base="1.3", config_path="configs", config_name="evaluate")
def main(cfg: DictConfig) -> None:
    evaluate(cfg)


if __name__ == "__main__":
    main()
