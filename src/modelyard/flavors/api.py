"""``save_model``, ``log_model`` and ``load_model``: the public face of the flavors.

::

    v = modelyard.log_model(model, name="fraud", input_example=X[:5])
    m = modelyard.load_model("models:/fraud@production")     # or a model directory
    m.predict(X)

The flavor is detected from the model's class, the signature inferred from the input
example and the requirements captured from the installed packages; everything is
written to ``modelyard.json`` next to the model's files (see ``flavors/manifest.py``).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from modelyard.client.uri import check_folder_target
from modelyard.errors import InvalidParameter
from modelyard.flavors.base import detect_flavor, flavor_module, requirements
from modelyard.flavors.loaded import LoadedModel
from modelyard.flavors.manifest import MANIFEST, ModelManifest, model_path
from modelyard.flavors.mlflow_dir import load_mlflow_dir
from modelyard.flavors.signature import infer_signature
from modelyard.flavors.verify import verify_files

__all__ = ["LoadedModel", "load_model", "log_model", "save_model"]

EXAMPLE = "input_example.json"
MAX_EXAMPLE_ROWS = 100


def save_model(model: Any, path: str | os.PathLike[str], *, flavor: str | None = None,
               input_example: Any = None, signature: dict[str, Any] | None = None,
               requirements_list: list[str] | None = None, allow_nan: bool | None = None,
               serialization: str | None = None, **options: Any) -> ModelManifest:
    """Write ``model`` to the directory ``path`` (created; must be empty if it exists).

    ``serialization`` picks the format where a flavor has several ("skops" or "pickle"
    for scikit-learn, "state" or "cloudpickle" for a Python object, "safetensors" or
    "torchscript" for PyTorch); other keyword options go to the flavor (``method=
    "predict_proba"`` for scikit-learn, ``module_class``/``init_kwargs`` for PyTorch)."""
    root = Path(path)
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise InvalidParameter(f"{root} already exists and is not an empty folder")
    root.mkdir(parents=True, exist_ok=True)
    name = flavor or detect_flavor(model)
    module = flavor_module(name)
    opts, needs_pickle = module.save(model, root, serialization=serialization, **options)
    if signature is None and input_example is not None:
        signature = infer_signature(_head(input_example), allow_nan=allow_nan)
    manifest = ModelManifest(
        flavor=name, options=opts, signature=signature,
        input_example=_write_example(root, input_example),
        requirements=requirements_list if requirements_list is not None
        else requirements(module.PACKAGES),
        needs_pickle=needs_pickle)
    (root / "requirements.txt").write_text("".join(r + "\n" for r in manifest.requirements))
    manifest.write(root)
    return manifest


def log_model(model: Any, name: str, *, input_example: Any = None,
              signature: dict[str, Any] | None = None, description: str = "",
              tags: dict[str, str] | None = None, metrics: dict[str, float] | None = None,
              run_id: str | None = None, client: Any = None, **options: Any) -> Any:
    """Save ``model`` and register it as the next version of ``name``; returns the
    :class:`ModelVersion`.  The registry is ``client`` or the process-wide one
    (``modelyard.set_tracking_uri`` / ``MODELYARD_URI``).

    Inside a run (``run_id``, or ``modelyard.start_run()`` on this thread), the files
    are also the run's ``model`` artifacts and the version's source is
    ``runs:/<run_id>/model``, with the run's metrics unless ``metrics`` is given."""
    if run_id is None and client is None:
        run = _active_run()
        if run is not None:
            run_id, client = run.run_id, run.client
    client = client or _default_client()
    with tempfile.TemporaryDirectory(prefix="modelyard-model-") as tmp:
        root = Path(tmp) / "model"
        manifest = save_model(model, root, input_example=input_example, signature=signature,
                              **options)
        fields: dict[str, Any] = {"description": description, "tags": tags or {},
                                  "flavor": manifest.flavor, "signature": manifest.signature}
        if metrics is not None:
            fields["metrics"] = metrics
        if run_id is not None and hasattr(client, "log_model_dir"):
            return client.log_model_dir(run_id, root, name, artifact_path="model", **fields)
        return client.register(name, root, source=f"log_model:{manifest.flavor}",
                               run_id=run_id, **fields)


def load_model(ref: str | os.PathLike[str], *, trust: bool = False,
               client: Any = None) -> LoadedModel:
    """A model directory, or a registry reference (``models:/fraud@production``,
    ``fraud/3``, ``fraud/Production``), ready to predict.

    Anything stored with pickle is refused unless ``trust=True``."""
    if isinstance(ref, os.PathLike) or (isinstance(ref, str) and not ref.startswith(
            "models:/") and Path(ref).is_dir()):
        return load_dir(Path(ref), trust=trust)
    if not isinstance(ref, str):
        raise InvalidParameter("load_model takes a model reference or a folder")
    check_folder_target(ref)
    client = client or _default_client()
    return load_version(client, ref, trust=trust)


def load_version(client: Any, ref: str, *, trust: bool = False) -> LoadedModel:
    """Download one registry version to a temporary folder and load it from there,
    after checking every file against the sha256 in the version's manifest."""
    version = client.resolve(ref, files=True)
    label = f"{version.model}/{version.version}"
    with tempfile.TemporaryDirectory(prefix="modelyard-load-") as tmp:
        client.download(label, tmp)
        verify_files(Path(tmp), version.files or [], label)
        model = load_dir(Path(tmp), trust=trust)
    model.version = version
    return model


def load_dir(root: Path, *, trust: bool = False) -> LoadedModel:
    if not (root / MANIFEST).is_file() and (root / "MLmodel").is_file():
        return load_mlflow_dir(root, trust=trust)
    manifest = ModelManifest.read(root)
    module = flavor_module(manifest.flavor)
    predictor = module.load(root, manifest.options, trust)
    example = None
    if manifest.input_example:
        try:
            example = json.loads(model_path(root, manifest.input_example).read_text())
        except ValueError:
            example = None
    return LoadedModel(predictor, manifest.flavor, manifest.signature, example,
                       manifest.requirements)


def _head(example: Any) -> Any:
    if hasattr(example, "iloc"):
        return example.iloc[:MAX_EXAMPLE_ROWS]
    if isinstance(example, dict):
        return {k: (v[:MAX_EXAMPLE_ROWS] if isinstance(v, list | np.ndarray) else [v])
                for k, v in example.items()}
    return np.asarray(example)[:MAX_EXAMPLE_ROWS]


def _jsonable(values: Any) -> Any:
    arr = np.asarray(values)
    if arr.dtype.kind == "M":
        return arr.astype(str).tolist()
    if arr.dtype.kind == "f":
        return [None if v != v else v for v in arr.ravel().tolist()] if arr.ndim == 1 \
            else [_jsonable(r) for r in arr]
    return arr.tolist()


def _write_example(root: Path, example: Any) -> str | None:
    if example is None:
        return None
    ex = _head(example)
    if isinstance(ex, dict):
        import pandas as pd

        ex = pd.DataFrame(ex)
    if hasattr(ex, "columns"):
        body = {"columns": [str(c) for c in ex.columns],
                "data": [list(r) for r in zip(*[_jsonable(ex[c]) for c in ex.columns],
                                              strict=True)]}
    else:
        body = {"data": _jsonable(ex)}
    (root / EXAMPLE).write_text(json.dumps(body))
    return EXAMPLE


def _active_run() -> Any:
    try:
        from modelyard.tracking_fluent import active_run
    except ImportError:  # pragma: no cover - tracking is part of the package
        return None
    return active_run()


def _default_client() -> Any:
    from modelyard.fluent import get_client

    return get_client()

