"""``modelyard.autolog()``: scikit-learn's ``fit`` logs itself.

After ``autolog()``, fitting any scikit-learn estimator records, in the active run
(or in a run started for that fit and ended after it):

- the parameters (``get_params(deep=True)``; values longer than the param limit are
  cut, since params are immutable a refit in the same run keeps the first values);
- training metrics (``training_score``, and accuracy/precision/recall/F1 for
  classifiers, MSE/MAE/R² for regressors);
- the fitted model, saved with skops (a format that loads without running code) as
  the run artifact ``model/``; registered as a version when ``registered_model_name``
  is given.  A model is pickled only with ``allow_pickle=True``.

Fits inside a fit (meta-estimators, pipelines, grid search) are logged once, at the
outermost estimator.  ``autolog(disable=True)`` removes the patches.
"""

from __future__ import annotations

import functools
import logging
import tempfile
import sys
import threading
import types
import warnings
from pathlib import Path
from typing import Any

from modelyard.domain.validation import MAX_PARAM_VALUE
from modelyard.errors import InvalidParameter, ModelyardError

log = logging.getLogger("modelyard.autolog")

_state: dict[str, Any] = {"patched": {}, "config": {}}
_depth = threading.local()

__all__ = ["autolog"]


def autolog(*, log_models: bool = True, registered_model_name: str | None = None,
            allow_pickle: bool = False, input_example_rows: int = 5,
            disable: bool = False) -> None:
    """Patch scikit-learn's estimators so ``fit`` logs params, metrics and the model."""
    if disable:
        for cls, original in _state["patched"].items():
            cls.fit = original
        _state["patched"].clear()
        return
    _state["config"] = {"log_models": log_models, "registered_model_name": registered_model_name,
                        "allow_pickle": allow_pickle, "input_example_rows": input_example_rows}
    try:
        from sklearn.utils import all_estimators
    except ImportError:
        warnings.warn("autolog: scikit-learn is not installed; nothing to patch", stacklevel=2)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        estimators = all_estimators()
    for _, est_cls in estimators:
        # patch the class that defines fit (RandomForestClassifier inherits BaseForest's)
        cls = next((c for c in est_cls.__mro__ if "fit" in c.__dict__), None)
        if cls is None or cls in _state["patched"]:
            continue
        _state["patched"][cls] = cls.__dict__["fit"]
        cls.fit = _patched(cls.__dict__["fit"])


def _patched(original: Any) -> Any:
    @functools.wraps(original)
    def fit(self: Any, X: Any, y: Any = None, *args: Any, **kwargs: Any) -> Any:
        depth = getattr(_depth, "n", 0)
        if depth:
            return original(self, X, y, *args, **kwargs) if y is not None \
                else original(self, X, *args, **kwargs)
        _depth.n = 1
        try:
            return _logged_fit(original, self, X, y, args, kwargs)
        finally:
            _depth.n = 0

    return fit


def _logged_fit(original: Any, est: Any, X: Any, y: Any, args: tuple[Any, ...],
                kwargs: dict[str, Any]) -> Any:
    from modelyard.tracking_fluent import active_run, start_run

    run = active_run()
    own = run is None
    if run is None:
        run = start_run(run_name=f"{type(est).__name__}-fit", tags={"modelyard.autolog": "sklearn"})
    try:
        _log_params(run, est)
        result = original(est, X, y, *args, **kwargs) if y is not None \
            else original(est, X, *args, **kwargs)
        _log_metrics(run, est, X, y)
        if _state["config"].get("log_models", True):
            _log_model(run, est, X)
    except BaseException as exc:
        if own:
            run.end("KILLED" if isinstance(exc, KeyboardInterrupt) else "FAILED")
        raise
    if own:
        run.end("FINISHED")
    return result


def _log_params(run: Any, est: Any) -> None:
    try:
        params = est.get_params(deep=True)
    except Exception:  # noqa: BLE001 - an estimator with odd params still trains
        return
    values = {}
    for k, v in params.items():
        text = str(v)
        values[k] = text if len(text) <= MAX_PARAM_VALUE else text[:MAX_PARAM_VALUE - 3] + "..."
    try:
        existing = run.get().params
        run.log_params({k: v for k, v in values.items() if k not in existing})
    except InvalidParameter as exc:
        log.warning("autolog: params not logged: %s", exc)


def _log_metrics(run: Any, est: Any, X: Any, y: Any) -> None:
    if y is None:
        return
    from sklearn import metrics as skm
    from sklearn.base import is_classifier, is_regressor

    out: dict[str, float] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            if hasattr(est, "score"):
                out["training_score"] = float(est.score(X, y))
            if is_classifier(est) or is_regressor(est):
                pred = est.predict(X)
                if is_classifier(est):
                    out["training_accuracy_score"] = float(skm.accuracy_score(y, pred))
                    avg = "binary" if len(set(map(str, y))) == 2 else "weighted"
                    out["training_precision_score"] = float(skm.precision_score(
                        y, pred, average=avg, zero_division=0))
                    out["training_recall_score"] = float(skm.recall_score(
                        y, pred, average=avg, zero_division=0))
                    out["training_f1_score"] = float(skm.f1_score(
                        y, pred, average=avg, zero_division=0))
                else:
                    out["training_mean_squared_error"] = float(skm.mean_squared_error(y, pred))
                    out["training_mean_absolute_error"] = float(skm.mean_absolute_error(y, pred))
                    out["training_r2_score"] = float(skm.r2_score(y, pred))
        except Exception as exc:  # noqa: BLE001 - metrics are best effort
            log.warning("autolog: training metrics not computed: %s", exc)
    if out:
        run.log_metrics(out)


def _log_model(run: Any, est: Any, X: Any) -> None:
    from modelyard.flavors.api import save_model

    config = _state["config"]
    rows = config.get("input_example_rows", 5)
    example = X[:rows] if rows and hasattr(X, "__getitem__") else None
    with tempfile.TemporaryDirectory(prefix="modelyard-autolog-") as tmp:
        root = Path(tmp) / "model"
        manifest = None
        for serialization in ("skops", "pickle"):
            if serialization == "pickle" and not config.get("allow_pickle"):
                log.warning("autolog: the model was not logged: skops could not save it and "
                            "pickle needs autolog(allow_pickle=True)")
                return
            try:
                manifest = save_model(est, root, input_example=example,
                                      serialization=serialization)
                break
            except (ModelyardError, ImportError, TypeError, ValueError) as exc:
                log.warning("autolog: saving with %s failed: %s", serialization, exc)
                for f in sorted(root.rglob("*"), reverse=True):
                    f.unlink() if f.is_file() else f.rmdir()
        if manifest is None:
            return
        run.log_artifact(root, "model")
    name = config.get("registered_model_name")
    if name:
        run.client.register_run_model(name, run.run_id, "model", flavor=manifest.flavor,
                                      signature=manifest.signature)


class _CallableModule(types.ModuleType):
    """``modelyard.autolog(...)`` keeps working once this module is imported, when
    Python has made the package attribute ``modelyard.autolog`` the module itself."""

    def __call__(self, *args: Any, **kwargs: Any) -> None:
        autolog(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
