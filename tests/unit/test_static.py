"""Static checks that are part of the suite, so CI runs them with the tests: the type
checker over ``src`` (strict for domain, store, artifacts and server, as configured in
pyproject.toml), the number of ``type: ignore`` left, module sizes and import cycles."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.venvs import cache_root

SRC = Path(__file__).resolve().parents[2] / "src" / "modelyard"
MAX_LINES = 450
MAX_IGNORES = 10


def test_mypy_passes() -> None:
    """mypy keeps its cache beside the client venvs (tests/venvs.py), per machine: a
    clean clone then checks in a few seconds instead of 50 (its cache is checked by
    each file's content hash, so a changed file is checked again wherever it lies)."""
    pytest.importorskip("mypy")
    cache = cache_root() / f"mypy-{sys.version_info.major}.{sys.version_info.minor}"
    proc = subprocess.run([sys.executable, "-m", "mypy", "--no-error-summary",
                           "--cache-dir", str(cache)],
                          cwd=SRC.parents[1], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]


def _modules() -> list[Path]:
    return [p for p in SRC.rglob("*.py") if "migrations" not in p.parts]


def test_few_type_ignores_each_with_a_reason() -> None:
    found = []
    for path in _modules():
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if "type: ignore" in line:
                found.append(f"{path.relative_to(SRC)}:{n}: {line.strip()}")
                assert re.search(r"type: ignore\[[a-z-, ]+\]\s+#\s*\S", line), (
                    f"a type: ignore needs its codes and a reason on the line: {found[-1]}")
    assert len(found) < MAX_IGNORES, "\n".join(found)


def test_modules_are_small() -> None:
    big = [f"{p.relative_to(SRC)}: {n}" for p in _modules()
           if (n := len(p.read_text().splitlines())) > MAX_LINES]
    assert not big, big


def _imports(path: Path, known: set[str]) -> set[str]:
    """The modelyard modules a file imports; ``from pkg import mod`` counts as the
    module, not as its package's ``__init__``."""
    mod = ".".join(path.relative_to(SRC.parent).with_suffix("").parts)
    pkg = mod if path.name == "__init__.py" else mod.rsplit(".", 1)[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = pkg.split(".")[: len(pkg.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            subs = {f"{base}.{a.name}" for a in node.names} & known
            out.update(subs)
            if len(subs) < len(node.names):
                out.add(base)
    return {m for m in out if m.startswith("modelyard")}


# Table modules share one MetaData and refer to each other's tables on purpose.
ALLOWED_CYCLE = {"modelyard.store.schema", "modelyard.store.schema_tracking",
                 "modelyard.store.schema_mlflow", "modelyard.store.schema_idempotency",
                 "modelyard.store.schema_access", "modelyard.store.schema_dvc",
                 "modelyard.store.schema_governance", "modelyard.store.schema_identity",
                 "modelyard.store.schema_webhooks", "modelyard.store.schema_uploads"}


def test_no_import_cycles() -> None:
    files = {".".join(p.relative_to(SRC.parent).with_suffix("").parts).removesuffix(".__init__"): p
             for p in _modules()}
    graph = {m: {i for i in _imports(p, set(files)) if i in files and i != m} for m, p in files.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[set[str]] = []

    def strong(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1 and not comp <= ALLOWED_CYCLE:
                cycles.append(comp)

    sys.setrecursionlimit(10_000)
    for v in sorted(graph):
        if v not in index:
            strong(v)
    assert not cycles, [sorted(c) for c in cycles]
