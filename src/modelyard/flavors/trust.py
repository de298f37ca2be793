"""The one place that decides whether a model may be loaded with pickle.

Pickle (and cloudpickle, joblib) runs arbitrary code while loading, so every loader
that would unpickle calls :func:`require_trust` first, and nothing else in the
package unpickles.  Safe formats (skops with a vetted type list, ONNX, safetensors,
native XGBoost/LightGBM files, JSON state) never need it.

Skops files are loaded only when every node in them names a type on the allow-list of
:mod:`modelyard.flavors.skops_types` (estimator classes, NumPy/SciPy array and dtype
types, plain containers): no function or method object, from any module, is loaded
without ``trust=True``, because an estimator that holds one (``FunctionTransformer``)
calls it on ``predict``.

Two scikit-learn types hold raw node indices that scikit-learn follows without bounds
checks, so a crafted file could make ``predict`` read out of bounds (skops itself
refuses them by default).  The decision-tree storage (``sklearn.tree._tree.Tree``,
behind every decision tree, random forest, extra trees and gradient boosting model) is
accepted only after :func:`check_trees` has verified every index against the tree's
size and its estimator's number of features; HistGradientBoosting's ``TreePredictor``
and the neighbours' ``KDTree``/``BallTree`` are not checked and need ``trust=True``.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import numpy as np

from modelyard.errors import PermissionDenied
from modelyard.flavors.skops_types import refusals

__all__ = ["require_trust", "skops_load", "unpickle"]

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


def skops_load(path: Path, what: str, trust: bool) -> Any:
    """Load a skops file holding only allow-listed types, anything with ``trust``."""
    import skops.io as sio

    untrusted = sio.get_untrusted_types(file=path)
    if not trust:
        unsafe = refusals(path, untrusted)
        if unsafe:
            more = f" and {len(unsafe) - 20} more" if len(unsafe) > 20 else ""
            raise PermissionDenied(
                f"refusing to load {what}: its skops file holds objects outside the types "
                f"known to run no code ({', '.join(unsafe[:20])}{more}); {HOW}")
    obj = sio.load(path, trusted=list(untrusted))
    if not trust:  # every tree, whether or not this skops version reports the type
        check_trees(obj, what)
    return obj


def _children(obj: Any) -> list[Any]:
    if isinstance(obj, dict):
        return list(obj.values())
    if isinstance(obj, list | tuple):
        return list(obj)
    if isinstance(obj, np.ndarray):
        return list(obj.ravel()) if obj.dtype == object else []
    state = getattr(obj, "__dict__", None)
    return list(state.values()) if isinstance(state, dict) else []


def check_trees(root: Any, what: str) -> None:
    """Verify every decision tree reachable from ``root``: child indices inside the
    tree, feature indices below the owning estimator's ``n_features_in_``."""
    from sklearn.tree._tree import Tree

    seen: set[int] = set()
    todo: list[tuple[Any, Any]] = [(root, None)]
    while todo:
        obj, owner = todo.pop()
        if id(obj) in seen or isinstance(obj, str | bytes | int | float | bool):
            continue
        seen.add(id(obj))
        if isinstance(obj, Tree):
            _check_tree(obj, owner, what)
            continue
        todo.extend((child, obj) for child in _children(obj))


def _check_tree(tree: Any, owner: Any, what: str) -> None:
    def refuse(why: str) -> None:
        raise PermissionDenied(f"refusing to load {what}: a decision tree in it {why}; "
                               f"{HOW}")

    n_features = getattr(owner, "n_features_in_", None)
    if getattr(owner, "tree_", None) is not tree or not isinstance(n_features, int | np.integer):
        refuse("is not attached to an estimator that says how many features it takes")
    if tree.n_features != n_features:
        refuse("disagrees with its estimator about the number of features")
    n = tree.node_count
    left, right, feature = tree.children_left, tree.children_right, tree.feature
    if not (len(left) == len(right) == len(feature) == n) or n < 1:
        refuse("has node arrays of inconsistent lengths")
    leaf = left == -1
    if not np.array_equal(leaf, right == -1):
        refuse("has nodes with exactly one child")
    inner = ~leaf
    for child in (left[inner], right[inner]):
        if child.size and (child.min() < 1 or child.max() >= n):
            refuse("points at nodes that do not exist")
    f = feature[inner]
    if f.size and (f.min() < 0 or f.max() >= n_features):
        refuse("splits on features the model does not have")
