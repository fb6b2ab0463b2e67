"""Train the hair network: ``python train.py experiment=default`` (Hydra; see configs/)."""

import hydra
from omegaconf import DictConfig

from trichometry.training import register_configs, train


@hydra.main(version_base="1.3", config_path="configs", config_name="train")
def main(cfg: DictConfig) -> None:
    train(cfg)


if __name__ == "__main__":
    register_configs()
    main()
