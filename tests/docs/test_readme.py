"""The README's ```bash and ```python blocks run, in order, against a live server, as
a reader would paste them (docs/limits.md is kept true the same way, by a test that
reads it).

How the blocks are run:

- Every block fenced as ```bash or ```python, in README order, in one temporary
  folder shared by all of them (files one block writes are there for the next). A
  bash block runs with ``bash -e -o pipefail``; a python block is a script of its own
  (no variables carry over from one block to the next).
- The server is the fixture's live loopback server (a fresh SQLite registry), not the
  README's first block: ``127.0.0.1:5000`` and ``localhost:5000`` in a block are
  rewritten to its address, and ``MODELYARD_URI`` and ``MLFLOW_TRACKING_URI`` point at
  it, so two test workers never collide on a port.
- ``modelyard`` on the PATH runs this tree's code (``python -m modelyard.cli``);
  a line that starts with ``pip install`` is dropped (the package is installed already).
- A block right after the line ``<!-- readme: skip (reason) -->`` is not run (the
  reason is required): for what cannot run here, such as a server that runs until it
  is stopped, a cloud, or another host.
- A block that fails fails the test with its line in the README, its text and its
  output.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
SKIP = re.compile(r"<!-- readme: skip \((?P<reason>[^)]+)\) -->")
FENCE = re.compile(r"^```(?P<lang>\S*)\s*$")
TIMEOUT = 120  # seconds for one block


@dataclass(frozen=True)
class Block:
    line: int  # of the opening fence, 1-based
    lang: str
    text: str
    skip: str | None  # the marker's reason


def blocks(text: str) -> list[Block]:
    """Every fenced block of ``text`` (any language), with the skip marker before it."""
    out: list[Block] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if opening is None:
            i += 1
            continue
        start = i
        i += 1
        while i < len(lines) and lines[i].strip() != "```":
            i += 1
        if i == len(lines):
            raise AssertionError(f"README.md line {start + 1}: the fence is never closed")
        before = next((ln for ln in reversed(lines[:start]) if ln.strip()), "")
        marker = SKIP.fullmatch(before.strip())
        if marker is None and "readme: skip" in before:
            raise AssertionError(f"README.md line {start}: write the marker as "
                                 "<!-- readme: skip (reason) -->")
        out.append(Block(start + 1, opening.group("lang"), "\n".join(lines[start + 1:i]),
                         marker.group("reason") if marker else None))
        i += 1
    return out


def runnable(block: Block, url: str) -> str:
    text = "\n".join(ln for ln in block.text.splitlines()
                     if not ln.lstrip().startswith("pip install"))
    host = url.removeprefix("http://")
    return text.replace("127.0.0.1:5000", host).replace("localhost:5000", host)


def test_the_parser_sees_markers_and_line_numbers() -> None:
    text = ("intro\n```bash\necho one\n```\n<!-- readme: skip (needs a cloud) -->\n\n"
            "```python\nprint(2)\n```\n```text\nnot run\n```\n")
    assert blocks(text) == [Block(2, "bash", "echo one", None),
                            Block(7, "python", "print(2)", "needs a cloud"),
                            Block(10, "text", "not run", None)]
    with pytest.raises(AssertionError, match="line 1"):
        blocks("<!-- readme: skip -->\n```bash\nx\n```\n")


@pytest.fixture(params=["sqlite"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    from tests.services import migrate_database

    url = f"sqlite:///{tmp_path / 'meta.db'}"
    migrate_database(url)
    return url


def _environment(tmp_path: Path, url: str) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "modelyard"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m modelyard.cli "$@"\n')
    shim.chmod(0o755)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("MODELYARD_", "MLFLOW_"))}
    source = str(ROOT / "src")
    env.update({
        "PATH": f"{bin_dir}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}"
                f"{env.get('PATH', '')}",
        "PYTHONPATH": os.pathsep.join([source, str(ROOT), env.get("PYTHONPATH", "")]),
        "MODELYARD_URI": url, "MLFLOW_TRACKING_URI": url,
        "MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true",
        "HOME": str(tmp_path / "user-home"), "COLUMNS": "100", "NO_COLOR": "1",
    })
    (tmp_path / "user-home").mkdir()
    return env


def test_readme_blocks_run_in_order(server_url: str, tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    env = _environment(tmp_path, server_url)
    ran = 0
    for block in blocks(README.read_text()):
        if block.lang not in ("bash", "python") or block.skip is not None:
            continue
        script = runnable(block, server_url)
        command = (["bash", "-e", "-o", "pipefail", "-c", script] if block.lang == "bash"
                   else [sys.executable, "-c", script])
        try:
            done = subprocess.run(command, cwd=work, env=env, capture_output=True,
                                  text=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as exc:
            pytest.fail(f"README.md line {block.line} (```{block.lang}): no end after "
                        f"{TIMEOUT} s\n{block.text}\n--- output ---\n{exc.stdout}{exc.stderr}")
        if done.returncode != 0:
            pytest.fail(f"README.md line {block.line} (```{block.lang}): exit status "
                        f"{done.returncode}\n{block.text}\n--- output ---\n"
                        f"{done.stdout}{done.stderr}", pytrace=False)
        ran += 1
    assert ran >= 10
