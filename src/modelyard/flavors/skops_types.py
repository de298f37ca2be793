"""Which objects a skops file may hold without ``trust=True``: an allow-list of types.

A skops file is a tree of nodes, each naming the type it rebuilds.  Loading one never
runs pickle, but what it rebuilds can still run code later: a scikit-learn
``FunctionTransformer`` calls whatever function it holds, so a pipeline whose
functions come from NumPy or scikit-learn (and scikit-learn ships test utilities that
run a Python script) runs the author's code on ``predict``.  Hence the rule:

* a node may name only a **type** on the allow-list below: scikit-learn estimator
  classes (those :func:`sklearn.utils.all_estimators` lists), a few internal
  scikit-learn types that estimators hold (losses, links, optimizer state, the
  bounds-checked decision-tree storage), NumPy arrays, scalars, dtypes and
  random generators, SciPy sparse matrices, and plain Python containers and values;
  none of them runs anything when built or called;
* a **function or method** (any module, NumPy ufuncs included), a ``functools.partial``
  or an ``operator`` function is never on it;
* anything :func:`skops.io.get_untrusted_types` reports beyond the list refuses too.

:func:`refusals` returns what a file names beyond the list; the loader refuses unless
the caller passed ``trust=True`` (the server: ``--trust-pickle``).
"""

from __future__ import annotations

import functools
import json
import zipfile
from pathlib import Path
from typing import Any

__all__ = ["allowed_types", "refusals"]

#: Node loaders that rebuild a callable rather than a value.
CALLABLE_LOADERS = frozenset({"FunctionNode", "MethodNode", "PartialNode",
                              "OperatorFuncNode"})

#: Node loaders that only point back at a node already in the tree.
REFERENCE_LOADERS = frozenset({"CachedNode"})

BUILTIN_TYPES = frozenset(f"builtins.{t}" for t in (
    "dict", "list", "tuple", "set", "frozenset", "str", "int", "float", "bool", "complex",
    "bytes", "bytearray", "slice", "NoneType"))

NUMPY_TYPES = frozenset({
    "numpy.ndarray", "numpy.ma.core.MaskedArray", "numpy.dtype",
    "numpy.random.mtrand.RandomState", "numpy.random._generator.Generator",
    "numpy.random.MT19937", "numpy.random.PCG64", "numpy.random.PCG64DXSM",
    "numpy.random.Philox", "numpy.random.SFC64",
    "numpy.random._mt19937.MT19937", "numpy.random._pcg64.PCG64",
    "numpy.random._pcg64.PCG64DXSM", "numpy.random._philox.Philox",
    "numpy.random._sfc64.SFC64",
    *(f"numpy.{t}" for t in (
        "bool", "bool_", "bytes_", "str_", "void", "datetime64", "timedelta64",
        "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
        "intc", "uintc", "intp", "uintp", "longlong", "ulonglong",
        "float16", "float32", "float64", "longdouble",
        "complex64", "complex128", "clongdouble", "object_")),
})

SCIPY_TYPES = frozenset(
    f"scipy.sparse._{fmt}.{fmt}_{kind}"
    for fmt in ("csr", "csc", "coo", "bsr", "dia", "dok", "lil")
    for kind in ("matrix", "array"))

#: scikit-learn types that estimators hold; not estimators themselves.  (Distance
#: metrics are left out: they keep array sizes apart from their arrays, and appear in
#: the neighbour trees, which need trust anyway.)
SKLEARN_INTERNAL_TYPES = frozenset({
    # the decision-tree storage: accepted only after trust.check_trees
    "sklearn.tree._tree.Tree",
    *(f"sklearn._loss.link.{t}" for t in (
        "HalfLogitLink", "IdentityLink", "Interval", "LogitLink", "LogLink",
        "MultinomialLogit")),
    *(f"sklearn._loss.loss.{t}" for t in (
        "AbsoluteError", "ExponentialLoss", "HalfBinomialLoss", "HalfGammaLoss",
        "HalfMultinomialLoss", "HalfPoissonLoss", "HalfSquaredError", "HalfTweedieLoss",
        "HalfTweedieLossIdentity", "HuberLoss", "PinballLoss")),
    *(f"sklearn._loss._loss.Cy{t}" for t in (
        "AbsoluteError", "ExponentialLoss", "HalfBinomialLoss", "HalfGammaLoss",
        "HalfMultinomialLoss", "HalfPoissonLoss", "HalfSquaredError", "HalfTweedieLoss",
        "HalfTweedieLossIdentity", "HuberLoss", "PinballLoss")),
    "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
    "sklearn.neural_network._stochastic_optimizers.SGDOptimizer",
})

#: scikit-learn types that are never loaded from an untrusted file: they hold raw
#: node indices that their Cython code follows without bounds checks.
NEVER_WITHOUT_TRUST = frozenset({
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.neighbors._kd_tree.KDTree",
    "sklearn.neighbors._ball_tree.BallTree",
})


def _name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__name__}"


@functools.cache
def allowed_types() -> frozenset[str]:
    """Every type name a skops file may use without trust."""
    from sklearn.utils import all_estimators

    estimators = {_name(cls) for _, cls in all_estimators()}
    return frozenset(n for n in estimators if n.startswith("sklearn.")) | BUILTIN_TYPES \
        | NUMPY_TYPES | SCIPY_TYPES | SKLEARN_INTERNAL_TYPES


def _schema(path: Path) -> Any:
    try:
        with zipfile.ZipFile(path) as zf:
            return json.loads(zf.read("schema.json"))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None


def _named(schema: Any) -> tuple[set[str], set[str]]:
    """(types, callables) that the nodes of a skops schema name."""
    types: set[str] = set()
    callables: set[str] = set()
    todo = [schema]
    while todo:
        node = todo.pop()
        if isinstance(node, list):
            todo.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        todo.extend(node.values())
        loader = node.get("__loader__")
        if loader is None or loader in REFERENCE_LOADERS:
            continue
        name = f"{node.get('__module__')}.{node.get('__class__')}"
        (callables if loader in CALLABLE_LOADERS else types).add(name)
    return types, callables


def refusals(path: Path, untrusted: list[str]) -> list[str]:
    """What the skops file at ``path`` names beyond the allow-list, for the message:
    ``"function numpy.take"`` for callables, the type name for types.  ``untrusted``
    is :func:`skops.io.get_untrusted_types` of the same file."""
    schema = _schema(path)
    if schema is None:
        return ["(an unreadable skops schema)"]
    types, callables = _named(schema)
    allowed = allowed_types() - NEVER_WITHOUT_TRUST
    out = {f"function {c}" for c in callables}
    out |= {t for t in types | set(untrusted) if t not in allowed and t not in callables}
    return sorted(out)
