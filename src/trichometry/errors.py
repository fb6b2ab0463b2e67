"""Errors the project raises on purpose.

Every message says what is wrong *and* what to do about it. Callers (CLI, web) catch
:class:`TrichometryError` and show its message; anything else is a bug.
"""

from __future__ import annotations


class TrichometryError(Exception):
    """Base class: an expected failure with a message meant for a person."""


class ConfigError(TrichometryError, ValueError):
    """A parameter, option or configuration value is unknown or out of range."""


class OutputError(TrichometryError, OSError):
    """An output location cannot be created or written."""


class DataFormatError(TrichometryError, ValueError):
    """A file or folder does not follow the documented on-disk format."""


class ImageRejected(TrichometryError, ValueError):
    """An input image cannot be used (unreadable, truncated, too large, wrong format)."""


class ImageTooLarge(ImageRejected):
    """An input image is over a size limit (bytes, or pixels claimed by its header)."""


class CalibrationError(TrichometryError, ValueError):
    """The physical scale (micrometres per pixel) is missing, invalid or inconsistent."""


class CheckpointError(TrichometryError, ValueError):
    """A model checkpoint is corrupt, incompatible or of another architecture."""


class RegistrationError(TrichometryError):
    """Two images of a target area cannot be aligned (for example, different areas)."""
