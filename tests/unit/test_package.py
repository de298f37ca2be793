"""Guards on the package's shape: public names, layering, documented settings."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import modelyard
from modelyard.config import Settings

SRC = Path(modelyard.__file__).parent
ROOT = SRC.parent.parent


def test_public_names_are_pinned():
    assert sorted(modelyard.__all__) == modelyard.__all__
    for name in modelyard.__all__:
        assert name == "__version__" or name in dir(modelyard)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
    return out


def _modules(folder: str) -> list[Path]:
    return sorted((SRC / folder).rglob("*.py"))


def test_layering():
    """domain: stdlib, errors and itself; store/artifacts: never server or client;
    HTTP frameworks only in server/ and serving/."""
    web = ("fastapi", "starlette", "uvicorn")
    for path in _modules("domain"):
        for mod in _imports(path):
            top = mod.split(".")[0]
            if top == "modelyard":
                assert mod.startswith(("modelyard.domain", "modelyard.errors")), (path, mod)
            else:
                assert top not in ("sqlalchemy", "httpx", "boto3", *web), (path, mod)
    for folder in ("store", "artifacts"):
        for path in _modules(folder):
            for mod in _imports(path):
                assert not mod.startswith(("modelyard.server", "modelyard.client",
                                           "modelyard.cli")), (path, mod)
                assert mod.split(".")[0] not in web, (path, mod)
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC).parts
        if rel[0] in ("server", "serving", "cli"):
            continue
        for mod in _imports(path):
            assert mod.split(".")[0] not in ("fastapi", "starlette"), (path, mod)


def test_every_setting_is_documented():
    doc = (ROOT / "docs" / "settings.md").read_text()
    for f in dataclasses.fields(Settings):
        assert f"`{f.name}`" in doc and f"`{f.metadata['env']}`" in doc, f.name


def test_limits_are_documented():
    from modelyard.domain import tracking, validation

    doc = (ROOT / "docs" / "limits.md").read_text()
    for module in (validation, tracking):
        for name in dir(module):
            if name.startswith("MAX_"):
                value = getattr(module, name)
                assert f"`{name}` = {value}" in doc, name


def test_file_modes_and_stale_age_are_documented():
    from modelyard.artifacts import local

    doc = (ROOT / "docs" / "limits.md").read_text()
    for name in ("DIR_MODE", "PART_MODE", "BLOB_MODE"):
        assert f"`{name}` = {oct(getattr(local, name))}" in doc, name
    stale = Settings.__dataclass_fields__["stale_upload_seconds"].default
    assert f"`stale_upload_seconds` (default {stale}," in doc
    from modelyard.domain import gc

    for name in ("GRACE_FLOOR_SECONDS", "DELETE_BATCH"):
        assert f"`{name}` = {getattr(gc, name)}" in doc, name
