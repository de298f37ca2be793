"""What a run records about where it ran: the git commit, branch and dirty state of the
working directory, the entry point, the user, the Python version and the installed
packages.  Read on the client; nothing here talks to the registry."""

from __future__ import annotations

import getpass
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path


def _git(args: list[str], cwd: str) -> str | None:
    try:
        out = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                             timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def git_tags(cwd: str | None = None) -> dict[str, str]:
    """``mlflow.source.git.*`` tags (the names MLflow uses) and ``modelyard.git.dirty``;
    empty outside a git work tree."""
    cwd = cwd or str(Path.cwd())
    commit = _git(["rev-parse", "HEAD"], cwd)
    if not commit:
        return {}
    tags = {"mlflow.source.git.commit": commit}
    branch = _git(["rev-parse", "--abbrev-ref", "HEAD"], cwd)
    if branch:
        tags["mlflow.source.git.branch"] = branch
    status = _git(["status", "--porcelain", "--untracked-files=no"], cwd)
    if status is not None:
        tags["modelyard.git.dirty"] = "true" if status else "false"
    remote = _git(["config", "--get", "remote.origin.url"], cwd)
    if remote and "@" not in remote:  # never record credentials embedded in a URL
        tags["mlflow.source.git.repoURL"] = remote
    return tags


def source_tags() -> dict[str, str]:
    try:
        user = getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in some containers
        user = ""
    tags = {"mlflow.source.type": "LOCAL",
            "mlflow.source.name": (sys.argv[0] if sys.argv and sys.argv[0] else "<python>")[:500],
            "modelyard.python.version": platform.python_version()}
    if user:
        tags["mlflow.user"] = user
    return tags


def requirements_text() -> str:
    """``name==version`` for every installed distribution, sorted."""
    seen = {}
    for dist in metadata.distributions():
        name: str | None = dist.name  # None for a distribution without metadata
        if name and name.lower() not in seen:
            seen[name.lower()] = f"{name}=={dist.version}"
    header = f"# python {platform.python_version()} on {platform.platform()}\n"
    return header + "".join(line + "\n" for _, line in sorted(seen.items()))
