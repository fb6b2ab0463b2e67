"""``trichometry model``: the tools that make and inspect a checkpoint, in one place.

``calibrate`` and ``calibrate-candidates`` (post-processing of a trained network, stored
in the checkpoint with what they were run with), ``validate`` (figures on held-out
data), ``export`` (ONNX), ``pseudolabel`` (root ends for box data) and ``info`` (what a
checkpoint says about itself). Training itself is ``python train.py`` (Hydra).
Each tool's options: ``trichometry model TOOL --help``.
"""

from __future__ import annotations

import importlib
import json

import click

# tool -> module whose ``main(argv)`` runs it
TOOLS: dict[str, tuple[str, str]] = {
    "calibrate": ("trichometry.training.calibrate", "Calibrate a dense network's exit threshold."),
    "calibrate-candidates": (
        "trichometry.training.calibrate_candidates",
        "Calibrate a candidate-family network (detector v3).",
    ),
    "validate": ("trichometry.training.validate", "Score a checkpoint on held-out data."),
    "export": ("trichometry.models.onnx_export", "Export a checkpoint to ONNX."),
    "pseudolabel": ("trichometry.training.pseudolabel", "Root ends for box-labelled photos."),
}


@click.group(name="model")
def command() -> None:
    """Calibrate, validate, export and inspect model checkpoints."""


def _forwarding(tool: str, module: str, summary: str) -> click.Command:
    @click.command(
        name=tool,
        help=f"{summary} (all options: trichometry model {tool} --help)",
        context_settings={"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": []},
        add_help_option=False,
    )
    @click.argument("args", nargs=-1, type=click.UNPROCESSED)
    def run(args: tuple[str, ...]) -> None:
        importlib.import_module(module).main(list(args))

    return run


for _tool, (_module, _summary) in TOOLS.items():
    command.add_command(_forwarding(_tool, _module, _summary))


@command.command(name="info")
@click.argument("checkpoint", type=click.Path(exists=True, dir_okay=False))
def info(checkpoint: str) -> None:
    """Print what a checkpoint says about itself (architecture, training, calibration) as JSON."""
    from trichometry.models.checkpoint import checkpoint_arch, load_checkpoint, source_info

    ckpt = load_checkpoint(checkpoint, map_location="cpu")
    out = {
        "source": source_info(ckpt, checkpoint),
        "arch": checkpoint_arch(ckpt),
        "step": ckpt.get("step"),
        "preprocessing": ckpt.get("preprocessing"),
        "postprocessing": ckpt.get("postprocessing"),
        "metrics": ckpt.get("metrics"),
        "data": ckpt.get("data"),
    }
    click.echo(json.dumps(out, indent=2, default=str))
