"""No code from a model runs without trust: skops files hold only allow-listed types,
a python-flavor class comes from installed code only, and a registered version is
verified file by file before anything in it is deserialized."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_iris
from sklearn.ensemble import (
    GradientBoostingClassifier,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler
from sklearn.svm import SVC

import modelyard
from modelyard.errors import DigestMismatch, PermissionDenied
from tests.flavors.attacks import RUNNER, payload_package, script_pipeline
from tests.serving.models import INSTALLED, RowSum, Touch

SRC = str(Path(modelyard.__file__).resolve().parents[1])


def test_a_pipeline_of_library_functions_runs_nothing_without_trust(tmp_path: Path):
    marker = tmp_path / "ran"
    modelyard.save_model(script_pipeline(marker), tmp_path / "m", method="transform")
    with pytest.raises(PermissionDenied) as err:
        modelyard.load_model(tmp_path / "m").predict(np.ones((1, 2)))
    msg = str(err.value)
    for name in ("function numpy.full_like", "function numpy.take", f"function {RUNNER}"):
        assert name in msg
    assert "trust=True" in msg and "--trust-pickle" in msg
    assert not marker.exists()
    # the attack is real: trusted, the same file runs the script
    modelyard.load_model(tmp_path / "m", trust=True).predict(np.ones((1, 2)))
    assert marker.read_text() == "ran"


def test_numpy_functions_are_functions_too(tmp_path: Path):
    X, y = load_iris(return_X_y=True)
    pipe = make_pipeline(FunctionTransformer(np.log1p), LogisticRegression(max_iter=500))
    pipe.fit(X, y)
    modelyard.save_model(pipe, tmp_path / "m")
    with pytest.raises(PermissionDenied, match="function numpy.log1p"):
        modelyard.load_model(tmp_path / "m")
    m = modelyard.load_model(tmp_path / "m", trust=True)
    assert m.predict(X[:5]).tolist() == pipe.predict(X[:5]).tolist()


def test_everyday_models_load_without_trust(tmp_path: Path):
    X, y = load_iris(return_X_y=True, as_frame=True)
    frame = X.assign(kind=["a", "b", "c"] * 50)
    mixed = make_pipeline(ColumnTransformer([
        ("num", make_pipeline(SimpleImputer(), StandardScaler()), list(X.columns)),
        ("cat", OneHotEncoder(handle_unknown="ignore"), ["kind"])]),
        LogisticRegression(max_iter=500)).fit(frame, y)
    models = [(RandomForestClassifier(n_estimators=3, random_state=0).fit(X, y), X),
              (GradientBoostingClassifier(n_estimators=3).fit(X, y), X),
              (SVC().fit(X, y), X), (MLPClassifier(max_iter=3000, random_state=0).fit(X, y), X),
              (mixed, frame)]
    for i, (model, data) in enumerate(models):
        modelyard.save_model(model, tmp_path / str(i), input_example=data[:3])
        loaded = modelyard.load_model(tmp_path / str(i))
        assert loaded.predict(data[:7]).tolist() == model.predict(data[:7]).tolist()


@pytest.mark.parametrize("model,name", [
    (KNeighborsClassifier(), "sklearn.neighbors._kd_tree.KDTree"),
    (HistGradientBoostingClassifier(max_iter=3),
     "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"),
])
def test_types_that_follow_unchecked_indices_need_trust(tmp_path: Path, model, name: str):  # type: ignore[no-untyped-def]
    X, y = load_iris(return_X_y=True)
    modelyard.save_model(model.fit(X, y), tmp_path / "m")
    with pytest.raises(PermissionDenied, match=name.replace(".", r"\.")):
        modelyard.load_model(tmp_path / "m")
    assert modelyard.load_model(tmp_path / "m", trust=True).predict(X[:3]).tolist() == \
        model.predict(X[:3]).tolist()


def test_an_mlflow_skops_folder_follows_the_same_rule(tmp_path: Path):
    pytest.importorskip("yaml")
    marker = tmp_path / "ran"
    root = tmp_path / "mlflow-model"
    modelyard.save_model(script_pipeline(marker), tmp_path / "m", method="transform")
    root.mkdir()
    (root / "model.skops").write_bytes((tmp_path / "m" / "model.skops").read_bytes())
    (root / "MLmodel").write_text(
        "flavors:\n  python_function:\n    loader_module: mlflow.sklearn\n"
        "    predict_fn: transform\n  sklearn:\n    pickled_model: model.skops\n"
        "    serialization_format: skops\n")
    with pytest.raises(PermissionDenied, match=f"function {RUNNER}"):
        modelyard.load_model(root).predict(np.ones((1, 2)))
    assert not marker.exists()


def _run(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([SRC, INSTALLED]))
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, text=True,
                          capture_output=True, timeout=120)


def test_a_class_shipped_in_the_model_folder_is_not_imported(tmp_path: Path):
    marker = tmp_path / "ran"
    payload_package(tmp_path, marker)
    load = "import modelyard; modelyard.load_model('./evilm'{})"
    out = _run(load.format(""), tmp_path)
    assert out.returncode != 0 and not marker.exists()
    assert "refusing to import 'evilm'" in out.stderr and "trust=True" in out.stderr
    assert _run(load.format(", trust=True"), tmp_path).returncode == 0
    assert marker.read_text() == "ran"  # the payload is real


def test_a_model_folder_on_the_path_is_not_code_either(tmp_path: Path, monkeypatch):  # type: ignore[no-untyped-def]
    marker = tmp_path / "ran"
    root = payload_package(tmp_path / "models", marker)
    monkeypatch.syspath_prepend(str(tmp_path / "models"))
    with pytest.raises(PermissionDenied, match="refusing to import 'evilm'"):
        modelyard.load_model(root)
    assert not marker.exists() and "evilm" not in sys.modules


def test_an_installed_module_shadowed_by_the_working_directory_is_refused(tmp_path: Path):
    marker = tmp_path / "ran"
    modelyard.save_model(RowSum("s"), tmp_path / "m")
    work = tmp_path / "work"
    work.mkdir()
    (work / "servingmodels.py").write_text(f"open({str(marker)!r}, 'w').write('ran')\n")
    out = _run(f"import modelyard; modelyard.load_model({str(tmp_path / 'm')!r})", work)
    assert out.returncode != 0 and not marker.exists()
    assert "holds another module of that name" in out.stderr
    ok = _run(f"import modelyard; print(modelyard.load_model({str(tmp_path / 'm')!r})"
              ".predict([[1, 2]]))", tmp_path)
    assert ok.returncode == 0 and "[3.]" in ok.stdout, ok.stderr


def _flip(home: Path, digest: str) -> None:
    blob = next(p for p in home.rglob(digest[2:]) if p.parent.name == digest[:2])
    blob.chmod(0o600)
    data = bytearray(blob.read_bytes())
    data[len(data) // 2] ^= 0x01
    blob.write_bytes(bytes(data))


def test_a_registered_version_is_verified_before_anything_is_loaded(tmp_path: Path, registry):  # type: ignore[no-untyped-def]
    marker = tmp_path / "ran"
    root = tmp_path / "touch"
    root.mkdir()
    (root / "model.pkl").write_bytes(pickle.dumps(Touch(str(marker))))
    (root / "NOTES.txt").write_text("what this model is for\n" * 50)
    (root / "modelyard.json").write_text(json.dumps({
        "format": "modelyard-model/1", "flavor": "python",
        "options": {"file": "model.pkl"}, "needs_pickle": True}))
    registry.register("touch", root)
    v1 = registry.resolve("touch/1")
    notes = next(f for f in v1.files if f.path == "NOTES.txt")
    assert modelyard.load_model("models:/touch/1", client=registry, trust=True) is not None
    assert marker.read_text() == "ran"  # loading runs the pickle
    marker.unlink()
    _flip(tmp_path / "home", notes.sha256)
    with pytest.raises(DigestMismatch, match="NOTES.txt"):
        modelyard.load_model("models:/touch/1", client=registry, trust=True)
    assert not marker.exists()
