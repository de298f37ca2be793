"""What an MLflow model directory says about itself: its flavor, from the ``MLmodel``
file at its root.

A version registered through the MLflow API (``create_model_version``,
``register_model``) carries no flavor in the request, unlike one saved by modelyard's
SDK; its ``MLmodel`` file names the flavors MLflow wrote.  The flavor is descriptive
(the loaders look at the files), so an unreadable file gives no flavor, never an
error: the registration goes ahead as MLflow's would.
"""

from __future__ import annotations

from contextlib import closing
from typing import Any

import yaml

from modelyard.domain.entities import FileEntry
from modelyard.domain.ports import BlobStore
from modelyard.domain.validation import MAX_FLAVOR
from modelyard.errors import ModelyardError

__all__ = ["MAX_MLMODEL_SIZE", "flavor_of", "mlmodel_flavor"]

#: Larger ``MLmodel`` files are not read for their flavor (MLflow's are a few KiB).
MAX_MLMODEL_SIZE = 256 * 1024

# MLflow's generic entry point, written beside every flavor; alone, it is a
# ``python_function`` model with its own class: modelyard's "python" flavor.
_PYFUNC = "python_function"


def mlmodel_flavor(text: str) -> str | None:
    """The flavor an ``MLmodel`` file declares: its first flavor other than MLflow's
    generic ``python_function`` (MLflow's names are modelyard's: sklearn, onnx,
    pytorch, xgboost, lightgbm), ``python`` when that is the only one, else None."""
    try:
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    flavors = data.get("flavors") if isinstance(data, dict) else None
    if not isinstance(flavors, dict):
        return None
    names = [str(k) for k in flavors if str(k) != _PYFUNC]
    if names:
        return names[0][:MAX_FLAVOR] if names[0].isprintable() else None
    return "python" if _PYFUNC in flavors else None


def flavor_of(blobs: BlobStore, files: list[FileEntry]) -> str | None:
    """The flavor of the model directory ``files`` make up, from its ``MLmodel``."""
    entry = next((f for f in files if f.path == "MLmodel"), None)
    if entry is None or entry.size > MAX_MLMODEL_SIZE:
        return None
    try:
        with closing(blobs.open(entry.sha256)) as fh:
            raw = fh.read(MAX_MLMODEL_SIZE + 1)
    except (OSError, ModelyardError):
        return None
    try:
        return mlmodel_flavor(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return None
