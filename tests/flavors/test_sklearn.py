"""scikit-learn: log, load by every kind of reference, skops by default, pickle only
with trust, and manifests that cannot reach outside the model folder."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.datasets import load_diabetes, load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline

import modelyard
from modelyard.errors import InvalidParameter, PermissionDenied
from modelyard.flavors.base import require


class Doubler(BaseEstimator, TransformerMixin):
    """A custom transformer: not a scikit-learn type, so skops will not vouch for it."""

    def fit(self, X, y=None):  # type: ignore[no-untyped-def]
        return self

    def transform(self, X):  # type: ignore[no-untyped-def]
        return np.asarray(X) * 2


@pytest.fixture(scope="module")
def iris():  # type: ignore[no-untyped-def]
    X, y = load_iris(return_X_y=True, as_frame=True)
    return X, y, RandomForestClassifier(n_estimators=5, random_state=0).fit(X, y)


def test_log_model_then_load_by_alias_version_and_stage(client, iris):  # type: ignore[no-untyped-def]
    X, _, model = iris
    v = modelyard.log_model(model, name="fraud-detection", input_example=X[:5], client=client)
    assert v.version == 1 and v.flavor == "sklearn"
    cols = v.signature["inputs"]["columns"]
    assert [c["name"] for c in cols] == list(X.columns) and cols[0]["type"] == "double"
    names = {f.path for f in client.resolve("fraud-detection/1").files}
    assert {"model.skops", "modelyard.json", "input_example.json", "requirements.txt"} <= names
    assert not any(n.endswith(".pkl") for n in names)
    reqs = client.read_file("fraud-detection/1", "requirements.txt").decode()
    assert "scikit-learn==" in reqs and "skops==" in reqs
    client.set_alias("fraud-detection", "production", 1)
    client.transition_stage("fraud-detection", 1, "Production")
    expected = model.predict(X)
    for ref in ("models:/fraud-detection@production", "models:/fraud-detection/1",
                "models:/fraud-detection/Production", "fraud-detection/latest"):
        m = modelyard.load_model(ref, client=client)
        assert m.version.version == 1
        np.testing.assert_array_equal(m.predict(X), expected)


def test_fluent_client_is_used_when_none_given(tmp_path: Path, iris):  # type: ignore[no-untyped-def]
    X, _, model = iris
    modelyard.set_tracking_uri(str(tmp_path / "reg"))
    try:
        modelyard.log_model(model, name="m", input_example=X[:2])
        assert modelyard.load_model("models:/m/1").predict(X[:3]).tolist() == \
            model.predict(X[:3]).tolist()
    finally:
        modelyard.set_tracking_uri("")


def test_predict_checks_the_signature(tmp_path: Path, iris):  # type: ignore[no-untyped-def]
    X, _, model = iris
    modelyard.save_model(model, tmp_path / "m", input_example=X[:5])
    m = modelyard.load_model(tmp_path / "m")
    with pytest.raises(InvalidParameter, match="missing column 'petal width \\(cm\\)'"):
        m.predict(X.drop(columns=["petal width (cm)"]))
    with pytest.raises(InvalidParameter, match=r"'sepal length \(cm\)' has a missing value"):
        m.predict(X[:2].assign(**{"sepal length (cm)": [np.nan, 1.0]}))
    # columns in another order are put back in the signature's order
    np.testing.assert_array_equal(m.predict(X[X.columns[::-1]][:10]), model.predict(X[:10]))


def test_pickle_only_when_asked_and_loaded_only_with_trust(tmp_path: Path, iris):  # type: ignore[no-untyped-def]
    X, _, model = iris
    manifest = modelyard.save_model(model, tmp_path / "p", serialization="pickle")
    assert manifest.needs_pickle and (tmp_path / "p" / "model.pkl").is_file()
    with pytest.raises(PermissionDenied) as err:
        modelyard.load_model(tmp_path / "p")
    assert "pickle" in str(err.value) and "trust=True" in str(err.value) \
        and "--trust-pickle" in str(err.value)
    m = modelyard.load_model(tmp_path / "p", trust=True)
    assert m.predict(X[:4]).tolist() == model.predict(X[:4]).tolist()


def test_skops_types_outside_sklearn_need_trust(tmp_path: Path, iris):  # type: ignore[no-untyped-def]
    X, y, _ = iris
    pipe = make_pipeline(Doubler(), LogisticRegression(max_iter=500)).fit(X.to_numpy(), y)
    modelyard.save_model(pipe, tmp_path / "m", input_example=X.to_numpy()[:3])
    with pytest.raises(PermissionDenied, match="Doubler"):
        modelyard.load_model(tmp_path / "m")
    m = modelyard.load_model(tmp_path / "m", trust=True)
    assert m.predict(X.to_numpy()[:3]).tolist() == pipe.predict(X.to_numpy()[:3]).tolist()


def test_regressor_and_predict_proba(tmp_path: Path):
    X, y = load_diabetes(return_X_y=True)
    reg = LinearRegression().fit(X, y)
    modelyard.save_model(reg, tmp_path / "r", input_example=X[:3])
    m = modelyard.load_model(str(tmp_path / "r"))
    assert m.signature.kind == "tensor" and m.signature.shape == [-1, 10]
    np.testing.assert_allclose(m.predict(X[:5]), reg.predict(X[:5]))
    with pytest.raises(InvalidParameter, match="dimension 1 must be 10, got 3"):
        m.predict(X[:5, :3])
    Xi, yi = load_iris(return_X_y=True)
    clf = LogisticRegression(max_iter=500).fit(Xi, yi)
    modelyard.save_model(clf, tmp_path / "p", method="predict_proba", input_example=Xi[:2])
    assert modelyard.load_model(tmp_path / "p").predict(Xi[:2]).shape == (2, 3)


@pytest.mark.parametrize("bad", ["../outside.skops", "/etc/passwd", "a/../../b", "sub/"])
def test_manifest_paths_never_leave_the_model_folder(tmp_path: Path, iris, bad: str):  # type: ignore[no-untyped-def]
    X, _, model = iris
    root = tmp_path / "m"
    modelyard.save_model(model, root)
    (tmp_path / "outside.skops").write_bytes((root / "model.skops").read_bytes())
    manifest = json.loads((root / "modelyard.json").read_text())
    manifest["options"]["file"] = bad
    (root / "modelyard.json").write_text(json.dumps(manifest))
    with pytest.raises(InvalidParameter, match="path"):
        modelyard.load_model(root)


def test_symlink_out_of_the_model_folder_is_refused(tmp_path: Path, iris):  # type: ignore[no-untyped-def]
    X, _, model = iris
    root = tmp_path / "m"
    modelyard.save_model(model, root)
    (root / "model.skops").rename(tmp_path / "elsewhere.skops")
    (root / "model.skops").symlink_to(tmp_path / "elsewhere.skops")
    with pytest.raises(InvalidParameter, match="leaves the model directory"):
        modelyard.load_model(root)


def test_not_a_model_folder_and_existing_target(tmp_path: Path, iris):  # type: ignore[no-untyped-def]
    X, _, model = iris
    (tmp_path / "empty").mkdir()
    with pytest.raises(InvalidParameter, match="not a model directory"):
        modelyard.load_model(tmp_path / "empty")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    with pytest.raises(InvalidParameter, match="already exists"):
        modelyard.save_model(model, tmp_path / "full")


def test_a_missing_library_names_the_extra():
    with pytest.raises(InvalidParameter, match=r"pip install 'modelyard\[xyz\]'"):
        require("no_such_module_for_modelyard", "xyz")


def test_unknown_objects_cannot_be_saved(tmp_path: Path):
    with pytest.raises(InvalidParameter, match="cannot tell how to save"):
        modelyard.save_model(object(), tmp_path / "m")


def _tampered_tree_model(tmp_path: Path, field: str, value: int) -> Path:
    """A decision tree whose node array was edited as an attacker would, saved with
    skops exactly as a real model is."""
    import skops.io as sio
    from sklearn.tree import DecisionTreeClassifier
    from sklearn.tree._tree import Tree

    X, y = load_iris(return_X_y=True)
    est = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y)
    state = est.tree_.__getstate__()
    nodes = state["nodes"].copy()
    nodes[field][0] = value
    state["nodes"] = nodes
    bad = Tree(est.tree_.n_features, np.array([est.n_classes_], dtype=np.intp),
               est.n_outputs_)
    bad.__setstate__(state)
    est.tree_ = bad
    root = tmp_path / "m"
    modelyard.save_model(est, root)
    assert "sklearn.tree._tree.Tree" in sio.get_untrusted_types(file=root / "model.skops")
    return root


@pytest.mark.parametrize("field, value, why", [
    ("left_child", 10**6, "nodes that do not exist"),
    ("right_child", -5, "nodes that do not exist"),
    ("feature", 99, "features the model does not have"),
])
def test_tampered_decision_trees_are_refused(tmp_path: Path, field: str, value: int, why: str):
    root = _tampered_tree_model(tmp_path, field, value)
    with pytest.raises(PermissionDenied, match=why):
        modelyard.load_model(root)


def test_tree_models_load_safely_by_default(tmp_path: Path, iris):  # type: ignore[no-untyped-def]
    from sklearn.ensemble import GradientBoostingClassifier, HistGradientBoostingClassifier

    X, y, forest = iris
    modelyard.save_model(forest, tmp_path / "rf")
    assert modelyard.load_model(tmp_path / "rf").predict(X[:5]).tolist() == \
        forest.predict(X[:5]).tolist()
    gb = GradientBoostingClassifier(n_estimators=3).fit(X, y)
    modelyard.save_model(gb, tmp_path / "gb")
    assert modelyard.load_model(tmp_path / "gb").predict(X[:5]).tolist() == \
        gb.predict(X[:5]).tolist()
    hgb = HistGradientBoostingClassifier(max_iter=3).fit(X, y)
    modelyard.save_model(hgb, tmp_path / "hgb")
    with pytest.raises(PermissionDenied, match="TreePredictor"):
        modelyard.load_model(tmp_path / "hgb")
    assert modelyard.load_model(tmp_path / "hgb", trust=True).predict(X[:5]).tolist() == \
        hgb.predict(X[:5]).tolist()


def test_example_columns_in_another_order_than_fitted(tmp_path: Path, iris):  # type: ignore[no-untyped-def]
    X, _, model = iris
    reversed_cols = X[X.columns[::-1]]
    modelyard.save_model(model, tmp_path / "m", input_example=reversed_cols[:3])
    m = modelyard.load_model(tmp_path / "m")
    assert m.signature.names == list(X.columns[::-1])
    expected = model.predict(X).tolist()
    assert m.predict(X).tolist() == expected
    assert m.predict(reversed_cols.to_numpy()).tolist() == expected
    assert m.predict({c: X[c].tolist() for c in X.columns}).tolist() == expected


def test_log_model_inside_a_run_records_where_it_came_from(registry, iris):  # type: ignore[no-untyped-def]
    X, _, model = iris
    with modelyard.start_run("exp", client=registry, log_git=False,
                             log_environment=False) as run:
        run.log_metrics({"acc": 0.93})
        v = modelyard.log_model(model, name="from-run", input_example=X[:2])
    assert v.run_id == run.run_id and v.source == f"runs:/{run.run_id}/model"
    assert v.metrics == {"acc": 0.93} and v.flavor == "sklearn" and v.signature
    m = modelyard.load_model("models:/from-run/1", client=registry)
    assert m.predict(X[:3]).tolist() == model.predict(X[:3]).tolist()
