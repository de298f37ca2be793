"""Models built to run code when loaded or used, for the trust tests.

Each writes a marker file when its payload runs, so a test can tell that code ran
(with ``trust=True``) and that it did not (without)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils._testing import assert_run_python_script_without_output


def script_pipeline(marker: Path):  # type: ignore[no-untyped-def]
    """A scikit-learn pipeline made only of NumPy and scikit-learn functions whose
    ``transform`` runs a Python script that creates ``marker``: the input becomes the
    script's text (``numpy.full_like``), one element of it (``numpy.take``), which
    scikit-learn's test utility writes to a file and runs."""
    code = f"open({str(marker)!r}, 'w').write('ran')"
    return make_pipeline(
        FunctionTransformer(np.full_like, kw_args={"fill_value": code, "dtype": "U500"}),
        FunctionTransformer(np.take, kw_args={"indices": 0}),
        FunctionTransformer(assert_run_python_script_without_output))


RUNNER = "sklearn.utils._testing.assert_run_python_script_without_output"


def payload_package(folder: Path, marker: Path) -> Path:
    """A python-flavor model folder ``folder/evilm`` whose manifest names the class
    ``evilm.payload:M``, shipped next to it as ``evilm/payload.py``; importing that
    file creates ``marker``."""
    root = folder / "evilm"
    root.mkdir(parents=True)
    (root / "payload.py").write_text(
        f"open({str(marker)!r}, 'w').write('ran')\n\n"
        "class M:\n    def predict(self, data):\n        return [0 for _ in data]\n")
    (root / "state.json").write_text("{}")
    (root / "modelyard.json").write_text(json.dumps({
        "format": "modelyard-model/1", "flavor": "python",
        "options": {"class": "evilm.payload:M", "state": "state.json"}}))
    return root
