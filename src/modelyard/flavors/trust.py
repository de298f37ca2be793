"""The one place that decides whether a model may be loaded with pickle.

Pickle (and cloudpickle, joblib) runs arbitrary code while loading, so every loader
that would unpickle calls :func:`require_trust` first, and nothing else in the
package unpickles.  Safe formats (skops with a vetted type list, ONNX, safetensors,
native XGBoost/LightGBM files, JSON state) never need it.

Skops files are loaded with an explicit trusted-types list: the types the file names
(:func:`skops.io.get_untrusted_types`) are allowed only when they come from
scikit-learn, NumPy or SciPy; any other type refuses the load unless ``trust=True``.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

from modelyard.errors import PermissionDenied

__all__ = ["SAFE_SKOPS_PREFIXES", "require_trust", "skops_load", "unpickle"]

#: Modules whose types a skops file may name without ``trust=True``.
SAFE_SKOPS_PREFIXES = ("sklearn.", "numpy.", "scipy.")

HOW = ("pass trust=True to load_model(), or start the server with --trust-pickle, "
       "only if you trust whoever produced this model")


def require_trust(what: str, why: str, trust: bool) -> None:
    """Refuse unless the caller opted in; the message says why and how."""
    if not trust:
        raise PermissionDenied(
            f"refusing to load {what}: {why}, which can run arbitrary code while loading; {HOW}")


def unpickle(path: Path, what: str, trust: bool, *, cloud: bool = False) -> Any:
    """Load a pickle (or cloudpickle) file, after :func:`require_trust`."""
    require_trust(what, "it is stored with " + ("cloudpickle" if cloud else "pickle"), trust)
    with open(path, "rb") as fh:
        if cloud:
            import cloudpickle  # noqa: F401 - registers the reducers pickle needs

        return pickle.load(fh)  # noqa: S301 - explicit opt-in above


def _is_safe_type(name: str) -> bool:
    return name.startswith(SAFE_SKOPS_PREFIXES) and "<" not in name


def skops_load(path: Path, what: str, trust: bool) -> Any:
    """Load a skops file, trusting only scikit-learn/NumPy/SciPy types unless ``trust``."""
    import skops.io as sio

    untrusted = sio.get_untrusted_types(file=path)
    unsafe = sorted(t for t in untrusted if not _is_safe_type(t))
    if unsafe and not trust:
        shown = ", ".join(unsafe[:5]) + (" ..." if len(unsafe) > 5 else "")
        raise PermissionDenied(
            f"refusing to load {what}: its skops file names types outside scikit-learn, "
            f"NumPy and SciPy ({shown}), which could run code while loading; {HOW}")
    return sio.load(path, trusted=list(untrusted))
