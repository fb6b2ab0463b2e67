"""The project's on-disk data set format (``data/README.md``): writers, readers, importers.

Main entry points:

* :class:`~trichometry.data.writer.DatasetWriter`: build a data set folder atomically.
* :class:`~trichometry.data.readers.Dataset`, :func:`~trichometry.data.readers.load_sample`,
  :func:`~trichometry.data.readers.iter_split`: read one back.
* :func:`~trichometry.data.voc.import_voc`, :func:`~trichometry.data.voc.iter_voc`: real
  Pascal-VOC box data (e.g. the FDU set), imported or read in place.
"""

from __future__ import annotations

from trichometry.data.boxes import Box, BoxAnnotation
from trichometry.data.manifest import ManifestRow, read_manifest
from trichometry.data.readers import BoxedImage, Dataset, iter_split, load_sample, read_dataset_info
from trichometry.data.writer import DatasetWriter

__all__ = [
    "Box",
    "BoxAnnotation",
    "BoxedImage",
    "Dataset",
    "DatasetWriter",
    "ManifestRow",
    "iter_split",
    "load_sample",
    "read_dataset_info",
    "read_manifest",
]
