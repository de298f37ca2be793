"""The git repository, read through the ``git`` command line."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path


class SyncError(Exception):
    """A repository, tag, ``dvc.yaml`` or lock file that cannot be synced: one line."""


@dataclass(frozen=True)
class GitTag:
    name: str
    commit: str
    author: str
    date: int  # epoch seconds
    message: str


_SEP = "\x1f"
_END = "\x1e"
_FORMAT = _SEP.join(["%(refname:strip=2)", "%(objecttype)", "%(*objectname)", "%(objectname)",
                     "%(taggername) %(taggeremail)", "%(taggerdate:unix)",
                     "%(*authorname) %(*authoremail)", "%(authorname) %(authoremail)",
                     "%(authordate:unix)", "%(*authordate:unix)", "%(contents)"]) + _END


class GitRepo:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        top = self._git("rev-parse", "--show-toplevel", what="a git repository").strip()
        self.path = Path(top)

    def _git(self, *args: str, what: str = "", ok: tuple[int, ...] = (0,)) -> str:
        try:
            done = subprocess.run(["git", "-C", str(self.path), *args], capture_output=True,
                                  text=True, timeout=120, check=False)
        except (OSError, subprocess.SubprocessError) as exc:
            raise SyncError(f"cannot run git: {exc}") from None
        if done.returncode not in ok:
            detail = (done.stderr.strip().splitlines() or [""])[-1]
            raise SyncError(f"{self.path} is not {what}: {detail}" if what
                            else f"git {args[0]} failed: {detail}")
        return done.stdout

    def head(self) -> str:
        return self._git("rev-parse", "HEAD", what="a git repository with a commit").strip()

    def tags(self) -> list[GitTag]:
        out: list[GitTag] = []
        for record in self._git("for-each-ref", f"--format={_FORMAT}", "refs/tags").split(_END):
            record = record.lstrip("\n")
            if not record:
                continue
            (name, kind, peeled, obj, tagger, tdate, pauthor, author, adate, padate,
             message) = record.split(_SEP)
            if kind == "tag":
                out.append(GitTag(name, peeled or obj, tagger.strip() or pauthor.strip(),
                                  int(tdate or padate or 0), message.strip()))
            else:  # a lightweight tag: the commit's author and date
                out.append(GitTag(name, obj, author.strip(), int(adate or 0), ""))
        return out

    def show(self, commit: str, path: str) -> str | None:
        """The text of ``path`` at ``commit``; None when the commit has no such file."""
        try:
            done = subprocess.run(["git", "-C", str(self.path), "show", f"{commit}:{path}"],
                                  capture_output=True, timeout=120, check=False)
        except (OSError, subprocess.SubprocessError) as exc:
            raise SyncError(f"cannot run git: {exc}") from None
        if done.returncode != 0:
            return None
        try:
            return done.stdout.decode("utf-8")
        except UnicodeDecodeError:
            raise SyncError(f"{path} at {commit[:8]} is not UTF-8 text") from None
