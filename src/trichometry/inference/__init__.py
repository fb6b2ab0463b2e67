"""Turning an image into per-pixel hair maps (model or classical)."""
