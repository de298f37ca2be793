"""Importing a model's class from installed code only.

A model manifest names its class (``"class": "fraud.models:Scorer"``).  Python finds
modules on ``sys.path``, which usually starts with the working directory (``''``), so
``load_model('./evilm')`` naming ``evilm.payload:M`` would run an ``evilm/payload.py``
shipped next to the manifest.  Without ``trust=True`` a module is imported only when
the import system finds it, level by level, without the working directory and the
model folder on the path, outside the model folder, and at the very same files that a
plain import would load (so nothing in the working directory can shadow it).  Every
check uses the finders alone: no module's code runs before the last check passed.
"""

from __future__ import annotations

import importlib
import os
import sys
from importlib.machinery import BuiltinImporter, FrozenImporter, ModuleSpec, PathFinder
from pathlib import Path
from types import ModuleType

from modelyard.errors import InvalidParameter, PermissionDenied
from modelyard.flavors.trust import HOW

__all__ = ["import_module"]


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _excluded(entry: str, cwd: Path, root: Path) -> bool:
    if entry in ("", "."):
        return True
    try:
        resolved = Path(entry).resolve()
    except (OSError, RuntimeError):
        return True
    return resolved == cwd or _inside(resolved, root)


def _where(spec: ModuleSpec | None) -> tuple[str | None, tuple[str, ...]]:
    """What a spec would load: its file (or "built-in", "frozen"), and a package's
    folders."""
    if spec is None:
        return None, ()
    locations = tuple(str(Path(p).resolve()) for p in spec.submodule_search_locations or ())
    if not spec.has_location or not spec.origin:
        return spec.origin, locations
    return str(Path(spec.origin).resolve()), locations


def _find(name: str, path: list[str], top: bool) -> ModuleSpec | None:
    if top:
        for finder in (BuiltinImporter, FrozenImporter):
            spec = finder.find_spec(name)
            if spec is not None:
                return spec
    return PathFinder.find_spec(name, path)


def _loaded_spec(name: str) -> ModuleSpec | None:
    module = sys.modules.get(name)
    spec = getattr(module, "__spec__", None)
    return spec if isinstance(spec, ModuleSpec) else None


def _in_folder(where: tuple[str | None, tuple[str, ...]], folder: Path) -> bool:
    origin, locations = where
    files = ([origin] if origin and os.path.isabs(origin) else []) + list(locations)
    return any(_inside(Path(f), folder) for f in files)


def import_module(module_name: str, root: Path, trust: bool, what: str) -> ModuleType:
    """``importlib.import_module(module_name)``; without ``trust``, refused unless the
    module is installed code (see the module's docstring).  ``what`` names the model."""
    if trust:
        return importlib.import_module(module_name)
    cwd, folder = Path(os.getcwd()).resolve(), root.resolve()
    clean_path = [p for p in sys.path if not _excluded(p, cwd, folder)]
    real_path = list(sys.path)
    name = ""
    for part in module_name.split("."):
        top, name = not name, f"{name}.{part}" if name else part
        clean = _find(name, clean_path, top)
        real = _loaded_spec(name) or _find(name, real_path, top)
        if real is None and clean is None:
            raise InvalidParameter(f"cannot import {name!r}, which {what} needs; install the "
                                   "package that defines it")
        where = _where(clean)
        if clean is None or _in_folder(where, folder):
            raise PermissionDenied(
                f"refusing to import {name!r}, which {what} names: it is not installed code "
                "(it cannot be imported without the working directory or the model folder "
                f"on the path); install the package that defines it, or {HOW}")
        if _where(real) != where:
            raise PermissionDenied(
                f"refusing to import {name!r}, which {what} names: the working directory "
                f"or the model folder holds another module of that name; {HOW}")
        clean_path = [p for p in where[1] if not _excluded(p, cwd, folder)]
        real_path = list(_where(real)[1])
    return importlib.import_module(module_name)
