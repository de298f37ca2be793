"""MLflow's wording for the errors of the MLflow API.

Status and code are the same on every API; the message differs: scripts and tests
written against ``mlflow server`` match MLflow's text (``Registered Model with
name=fraud not found``), while the native API keeps modelyard's
(``registered model 'fraud' does not exist``).  The domain raises its own messages,
which are stable; this table rewrites the ones MLflow words differently, on MLflow's
paths only.  A message that matches no entry passes through as it is.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable

MLFLOW_PREFIXES = ("/api/2.0/mlflow", "/api/3.0/mlflow", "/ajax-api/", "/get-artifact",
                   "/model-versions/get-artifact")

# One quoted name as the domain writes it (Python's repr of a string).
_Q = r"""('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")"""


def _name(quoted: str) -> str:
    try:
        value = ast.literal_eval(quoted)
    except (ValueError, SyntaxError):
        return quoted.strip("'\"")
    return value if isinstance(value, str) else quoted


_Rewrite = Callable[[re.Match[str]], str]
_TABLE: list[tuple[re.Pattern[str], _Rewrite]] = [
    (re.compile(rf"^registered model {_Q} does not exist$"),
     lambda m: f"Registered Model with name={_name(m[1])} not found"),
    (re.compile(rf"^registered model {_Q} already exists$"),
     lambda m: f"Registered Model (name={_name(m[1])}) already exists."),
    (re.compile(rf"^version (\d+) of model {_Q} does not exist$"),
     lambda m: f"Model Version (name={_name(m[2])}, version={m[1]}) not found"),
    (re.compile(rf"^run {_Q} does not exist$"),
     lambda m: f"Run with id={_name(m[1])} not found"),
    (re.compile(rf"^run {_Q} has no tag {_Q}$"),
     lambda m: f"No tag with name: {_name(m[2])} in run with id {_name(m[1])}"),
    (re.compile(rf"^experiment (\d+) has no tag {_Q}$"),
     lambda m: f"No tag with name: {_name(m[2])} in experiment with id {m[1]}"),
    (re.compile(r"^experiment '(\d+)' does not exist$"),
     lambda m: f"No Experiment with id={m[1]} exists"),
    (re.compile(rf"^experiment {_Q} does not exist$"),
     lambda m: f"Could not find experiment with name '{_name(m[1])}'"),
    (re.compile(rf"^experiment {_Q} already exists$"),
     lambda m: f"Experiment(name={_name(m[1])}) already exists."),
    (re.compile(rf"^logged model {_Q} does not exist$"),
     lambda m: f"Logged model with ID '{_name(m[1])}' not found."),
    (re.compile(rf"^model {_Q} has no alias {_Q}$"),
     lambda m: f"Registered model alias {_name(m[2])} not found."),
]


def is_mlflow_path(path: str) -> bool:
    return path.startswith(MLFLOW_PREFIXES)


def mlflow_message(message: str) -> str:
    """MLflow's text for one of the domain's messages (unchanged when it has none)."""
    for pattern, rewrite in _TABLE:
        match = pattern.match(message)
        if match:
            return rewrite(match)
    return message
