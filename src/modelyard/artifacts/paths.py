"""The one helper through which every file access under a storage root goes."""

from __future__ import annotations

import os
from pathlib import Path

from modelyard.domain.validation import check_relpath
from modelyard.errors import InvalidParameter


def safe_join(root: str | os.PathLike[str], relpath: str) -> Path:
    """``root/relpath``, refused unless it resolves (symlinks included) inside ``root``.

    The error is the same whether or not the target exists."""
    check_relpath(relpath)
    base = Path(root).resolve()
    target = (base / relpath).resolve()
    if target != base and base not in target.parents:
        raise InvalidParameter(f"invalid file path {relpath!r}: outside the storage root")
    return target
