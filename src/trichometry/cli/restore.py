"""``trichometry restore SRC``: the command lives beside ``backup`` (:mod:`trichometry.cli.backup`)."""

from trichometry.cli.backup import restore_command as command

__all__ = ["command"]
