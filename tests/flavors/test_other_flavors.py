"""The generic Python flavor, ONNX, PyTorch, XGBoost and LightGBM.  Each test skips
when its library is absent (only scikit-learn, ONNX and LightGBM are test
dependencies)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer

import modelyard
from modelyard.errors import InvalidParameter, PermissionDenied
from tests.serving.models import RowSum, Weights, iris_onnx


def test_python_object_saved_as_state_without_pickle(tmp_path: Path):
    modelyard.save_model(Weights(np.array([1.0, 2.0, 3.0])), tmp_path / "w",
                         input_example=np.ones((2, 3)))
    manifest = json.loads((tmp_path / "w" / "modelyard.json").read_text())
    assert manifest["flavor"] == "python" and not manifest["needs_pickle"]
    assert manifest["options"]["class"] == "servingmodels:Weights"
    assert (tmp_path / "w" / "state.npz").is_file()
    m = modelyard.load_model(tmp_path / "w")
    assert m.predict([[1, 1, 1], [0, 0, 1]]).tolist() == [6.0, 3.0]
    with pytest.raises(InvalidParameter, match="dimension 1 must be 3"):
        m.predict([[1, 1]])


def test_python_object_with_pickled_state_needs_trust(tmp_path: Path):
    class Local:  # defined in a function: not importable, so cloudpickle it is
        def predict(self, data):  # type: ignore[no-untyped-def]
            return [len(r) for r in data]

    manifest = modelyard.save_model(Local(), tmp_path / "l")
    assert manifest.needs_pickle
    with pytest.raises(PermissionDenied, match="cloudpickle.*trust=True"):
        modelyard.load_model(tmp_path / "l")
    assert modelyard.load_model(tmp_path / "l", trust=True).predict([[1, 2]]) == [2]


def test_python_class_path_must_name_an_installed_class(tmp_path: Path):
    modelyard.save_model(RowSum("t"), tmp_path / "r")
    path = tmp_path / "r" / "modelyard.json"
    for bad, match in (("os:system", "not a class"), ("nope.nope:X", "cannot import"),
                       ("builtins", "invalid class path")):
        manifest = json.loads(path.read_text())
        manifest["options"]["class"] = bad
        path.write_text(json.dumps(manifest))
        with pytest.raises(InvalidParameter, match=match):
            modelyard.load_model(tmp_path / "r")


def test_onnx(tmp_path: Path, registry):  # type: ignore[no-untyped-def]
    X, clf, onx = iris_onnx()
    v = modelyard.log_model(onx, name="iris-onnx", input_example=X[:3], client=registry)
    assert v.flavor == "onnx"
    m = modelyard.load_model("iris-onnx/1", client=registry)
    assert m.predict(X[:20]).tolist() == clf.predict(X[:20]).tolist()
    with pytest.raises(InvalidParameter, match="dimension 1 must be 4"):
        m.predict(X[:2, :2])
    modelyard.save_model(onx, tmp_path / "p", output=1)
    proba = modelyard.load_model(tmp_path / "p").predict(X[:2])
    np.testing.assert_allclose(proba, clf.predict_proba(X[:2]), atol=1e-4)


def test_pytorch_safetensors_and_torchscript(tmp_path: Path):
    torch = pytest.importorskip("torch")
    from tests.serving.torch_models import TinyNet

    net = TinyNet(4, 3)
    x = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
    expected = net(torch.from_numpy(x)).detach().numpy()
    manifest = modelyard.save_model(net, tmp_path / "st", input_example=x,
                                    init_kwargs={"n_in": 4, "n_out": 3})
    assert manifest.options["serialization"] == "safetensors" and not manifest.needs_pickle
    np.testing.assert_allclose(modelyard.load_model(tmp_path / "st").predict(x), expected,
                               atol=1e-6)
    manifest = modelyard.save_model(net, tmp_path / "ts", serialization="torchscript",
                                    input_example=x)
    assert manifest.needs_pickle  # a TorchScript archive is a program: trusted only
    with pytest.raises(PermissionDenied, match="TorchScript.*trust=True"):
        modelyard.load_model(tmp_path / "ts")
    np.testing.assert_allclose(modelyard.load_model(tmp_path / "ts", trust=True).predict(x),
                               expected, atol=1e-6)


def test_xgboost_native_format(tmp_path: Path):
    xgb = pytest.importorskip("xgboost")
    X, y = load_breast_cancer(return_X_y=True)
    clf = xgb.XGBClassifier(n_estimators=5, max_depth=2).fit(X, y)
    manifest = modelyard.save_model(clf, tmp_path / "x", input_example=X[:2])
    assert manifest.flavor == "xgboost" and manifest.options["file"] == "model.json"
    assert modelyard.load_model(tmp_path / "x").predict(X[:10]).tolist() == \
        clf.predict(X[:10]).tolist()


def test_lightgbm_native_format(tmp_path: Path):
    lgb = pytest.importorskip("lightgbm")
    X, y = load_breast_cancer(return_X_y=True)
    clf = lgb.LGBMClassifier(n_estimators=5, verbose=-1).fit(X, y)
    manifest = modelyard.save_model(clf, tmp_path / "l", input_example=X[:2])
    assert manifest.flavor == "lightgbm" and manifest.options["file"] == "model.txt"
    assert modelyard.load_model(tmp_path / "l").predict(X[:10]).tolist() == \
        clf.predict(X[:10]).tolist()
