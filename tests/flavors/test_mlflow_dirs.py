"""Model folders written by MLflow (an MLmodel file) load without MLflow where the
format allows, and pickle-based ones only with trust."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

import modelyard
from modelyard.errors import InvalidParameter, PermissionDenied
from tests.serving.models import iris_onnx

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")

mlflow = pytest.importorskip("mlflow")


@pytest.fixture(scope="module")
def iris():  # type: ignore[no-untyped-def]
    X, y = load_iris(return_X_y=True, as_frame=True)
    return X, LogisticRegression(max_iter=500).fit(X, y)


def _quiet(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def test_mlflow_sklearn_dir_loads_and_checks_its_signature(tmp_path: Path, iris, registry):  # type: ignore[no-untyped-def]
    import mlflow.sklearn

    X, model = iris
    _quiet(mlflow.sklearn.save_model, model, str(tmp_path / "m"), input_example=X[:3])
    m = modelyard.load_model(tmp_path / "m")
    assert m.flavor == "sklearn" and m.signature.names == list(X.columns)
    np.testing.assert_array_equal(m.predict(X), model.predict(X))
    with pytest.raises(InvalidParameter, match="missing column 'sepal width"):
        m.predict(X.drop(columns=["sepal width (cm)"]))
    assert m.example_input() is not None
    # registered as is, it loads from the registry too
    registry.register("mlflow-made", tmp_path / "m")
    m2 = modelyard.load_model("models:/mlflow-made/1", client=registry)
    np.testing.assert_array_equal(m2.predict(X[:5]), model.predict(X[:5]))


def test_mlflow_cloudpickle_sklearn_needs_trust(tmp_path: Path, iris):  # type: ignore[no-untyped-def]
    import mlflow.sklearn

    X, model = iris
    _quiet(mlflow.sklearn.save_model, model, str(tmp_path / "m"),
           serialization_format="cloudpickle")
    with pytest.raises(PermissionDenied, match="trust=True"):
        modelyard.load_model(tmp_path / "m")
    m = modelyard.load_model(tmp_path / "m", trust=True)
    np.testing.assert_array_equal(m.predict(X[:5]), model.predict(X[:5]))


def _add_one_model():  # type: ignore[no-untyped-def]
    import warnings

    with warnings.catch_warnings():  # MLflow warns about type hints when subclassing
        warnings.simplefilter("ignore")

        class AddOne(mlflow.pyfunc.PythonModel):
            def predict(self, context, model_input, params=None):  # type: ignore[no-untyped-def]
                return model_input.sum(axis=1) + 1

    return AddOne()


def test_mlflow_pyfunc_python_model_needs_trust(tmp_path: Path, iris):  # type: ignore[no-untyped-def]
    X, _ = iris
    _quiet(mlflow.pyfunc.save_model, str(tmp_path / "p"), python_model=_add_one_model(),
           input_example=X[:2])
    with pytest.raises(PermissionDenied, match="cloudpickle"):
        modelyard.load_model(tmp_path / "p")
    m = _quiet(modelyard.load_model, tmp_path / "p", trust=True)
    out = _quiet(m.predict, X[:3])
    np.testing.assert_allclose(np.asarray(out), X[:3].sum(axis=1).to_numpy() + 1)


def test_mlflow_onnx_dir(tmp_path: Path):
    X, clf, onx = iris_onnx()
    import mlflow.onnx

    _quiet(mlflow.onnx.save_model, onx, str(tmp_path / "o"))
    m = modelyard.load_model(tmp_path / "o")
    assert m.flavor == "onnx"
    assert m.predict(X[:10]).tolist() == clf.predict(X[:10]).tolist()


def test_mlmodel_paths_stay_inside(tmp_path: Path, iris):  # type: ignore[no-untyped-def]
    import mlflow.sklearn

    X, model = iris
    _quiet(mlflow.sklearn.save_model, model, str(tmp_path / "m"))
    mlmodel = (tmp_path / "m" / "MLmodel").read_text()
    (tmp_path / "m" / "MLmodel").write_text(mlmodel.replace("pickled_model: model.skops",
                                                            "pickled_model: ../../etc/passwd"))
    with pytest.raises(InvalidParameter, match="path"):
        modelyard.load_model(tmp_path / "m")


def test_an_mlflow_folder_is_served(tmp_path: Path, iris):  # type: ignore[no-untyped-def]
    import mlflow.sklearn

    from tests.serving.helpers import ServingServer

    X, model = iris
    _quiet(mlflow.sklearn.save_model, model, str(tmp_path / "iris"), input_example=X[:3])
    with ServingServer(None, target=str(tmp_path / "iris")) as s:
        r = s.http.post("/invocations", json={"dataframe_records":
                                              X[:4].to_dict(orient="records")})
        assert r.json() == {"predictions": model.predict(X[:4]).tolist()}
        r = s.http.post("/invocations", json={"dataframe_split": {
            "columns": list(X.columns)[:3], "data": X[:1].to_numpy()[:, :3].tolist()}})
        assert r.status_code == 400 and "missing column 'petal width (cm)'" in r.text
