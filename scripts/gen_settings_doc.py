"""Write docs/settings.md from the Settings declarations (a test checks it is current)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from modelyard.config import SETTINGS_HELP, Settings

lines = [
    "# Settings",
    "",
    "Every setting has a default, an environment variable, and (for the server) a flag of",
    "`modelyard server`. Precedence: flag > environment > default. Nothing else in the code",
    "reads the environment; the `Settings` object is built once and passed down.",
    "",
    "| setting | environment variable | default | meaning |",
    "|---|---|---|---|",
]
for f in dataclasses.fields(Settings):
    env, text = SETTINGS_HELP[f.name]
    lines.append(f"| `{f.name}` | `{env}` | `{f.default!r}` | {text} |")
lines += ["",
          "Clients (CLI and SDK) find the registry from `--uri` / `MODELYARD_URI`, else from",
          "`MLFLOW_TRACKING_URI` when it is an `http://` or `https://` URI (code moving over "
          "from MLflow",
          "finds the server it already names), else `http://127.0.0.1:5000`.", ""]
out = Path(__file__).resolve().parent.parent / "docs" / "settings.md"
out.write_text("\n".join(lines))
print("wrote", out)
