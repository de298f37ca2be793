"""The model directory: its files plus ``modelyard.json``, which says how to load them.

::

    {"format": "modelyard-model/1",
     "flavor": "sklearn",                       # which loader
     "options": {"file": "model.skops", ...},   # the flavor's own settings
     "signature": {...} | null,                 # see flavors/signature.py
     "input_example": "input_example.json" | null,
     "requirements": ["scikit-learn==1.5.2", ...],
     "python": "3.11.9",
     "needs_pickle": false}

Every path in it is relative to the directory and is opened through :func:`model_path`,
which refuses anything that would land outside the directory.
"""

from __future__ import annotations

import json
import os
import platform
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from modelyard.errors import InvalidParameter

__all__ = ["MANIFEST", "ModelManifest", "model_path"]

MANIFEST = "modelyard.json"
FORMAT = "modelyard-model/1"


def model_path(root: str | os.PathLike[str], relpath: object) -> Path:
    """``root/relpath`` for a path read from a manifest; refused unless it is a plain
    relative path that resolves (symlinks included) inside ``root``."""
    if not isinstance(relpath, str) or not relpath or "\x00" in relpath:
        raise InvalidParameter(f"invalid path in the model manifest: {relpath!r}")
    if relpath.startswith(("/", "\\")) or "\\" in relpath or ":" in relpath.split("/")[0] \
            or any(part in ("..", "") for part in relpath.split("/")):
        raise InvalidParameter(f"invalid path in the model manifest: {relpath!r}")
    base = Path(root).resolve()
    target = (base / relpath).resolve()
    if base not in target.parents:
        raise InvalidParameter(f"path {relpath!r} in the model manifest leaves the model "
                               "directory")
    return target


@dataclass
class ModelManifest:
    flavor: str
    options: dict[str, Any] = field(default_factory=dict)
    signature: dict[str, Any] | None = None
    input_example: str | None = None
    requirements: list[str] = field(default_factory=list)
    python: str = field(default_factory=platform.python_version)
    needs_pickle: bool = False
    format: str = FORMAT

    def write(self, root: Path) -> None:
        (root / MANIFEST).write_text(json.dumps(asdict(self), indent=2, sort_keys=True) + "\n")

    @classmethod
    def read(cls, root: Path) -> ModelManifest:
        path = root / MANIFEST
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            raise InvalidParameter(f"{root} is not a model directory: no {MANIFEST} "
                                   "(nor an MLflow MLmodel file)") from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise InvalidParameter(f"{MANIFEST} is not valid JSON: {exc}") from None
        if not isinstance(data, dict) or not str(data.get("format", "")).startswith(
                "modelyard-model/"):
            raise InvalidParameter(f"{MANIFEST} is not a modelyard model manifest")
        if not isinstance(data.get("flavor"), str) or not isinstance(data.get("options", {}),
                                                                      dict):
            raise InvalidParameter(f"{MANIFEST}: 'flavor' and 'options' are required")
        names = {"flavor", "options", "signature", "input_example", "requirements", "python",
                 "needs_pickle", "format"}
        return cls(**{k: v for k, v in data.items() if k in names})
