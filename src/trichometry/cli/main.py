"""Entry point of the ``trichometry`` command.

Sub-commands live in their own modules (``trichometry.cli.<name>``) and are imported only
when used, so ``trichometry --help`` stays fast and a heavy dependency of one command
never slows another. Each module exposes a :class:`click.Command` named ``command``.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging

import click

from trichometry import __version__
from trichometry.errors import TrichometryError

# name -> module holding ``command``; add a line here to add a sub-command.
COMMANDS: dict[str, str] = {
    "demo": "trichometry.cli.demo",
    "simulate": "trichometry.cli.simulate",
    "import-voc": "trichometry.cli.import_voc",
    "export-labels": "trichometry.cli.export_labels",
    "analyze": "trichometry.cli.analyze",
    "compare": "trichometry.cli.compare",
    "serve": "trichometry.cli.serve",
    "worker": "trichometry.cli.worker",
    "model": "trichometry.cli.model",
    "ingest": "trichometry.cli.ingest",
    "report": "trichometry.cli.report",
    "audit": "trichometry.cli.audit",
    "backup": "trichometry.cli.backup",
    "restore": "trichometry.cli.restore",
}


class LazyGroup(click.Group):
    """A click group that imports sub-command modules on demand."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name for name, mod in COMMANDS.items() if importlib.util.find_spec(mod) is not None)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module_name = COMMANDS.get(cmd_name)
        if module_name is None or importlib.util.find_spec(module_name) is None:
            return None
        return importlib.import_module(module_name).command

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except TrichometryError as exc:
            # Expected failures: one clear line, no traceback.
            raise click.ClickException(str(exc)) from exc


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="trichometry")
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug).")
def cli(verbose: int) -> None:
    """Count scalp hairs, measure their thickness in micrometres, and follow them over visits."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


def main() -> None:
    """Console-script entry point."""
    cli()


if __name__ == "__main__":
    main()
