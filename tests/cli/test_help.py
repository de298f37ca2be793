"""Every command and option explains itself; the exit codes and shell completion are
documented where a user looks (``--help`` and the README)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click

from modelyard.cli.main import cli

README = Path(__file__).resolve().parents[2] / "README.md"


def walk(cmd: click.Command, path: str = "modelyard"):
    yield path, cmd
    if isinstance(cmd, click.Group):
        for name, sub in sorted(cmd.commands.items()):
            yield from walk(sub, f"{path} {name}")


def test_every_command_and_option_has_help():
    missing = []
    for path, cmd in walk(cli):
        if not (cmd.help or cmd.short_help):
            missing.append(path)
        for param in cmd.params:
            if isinstance(param, click.Option) and not (param.help or "").strip():
                missing.append(f"{path} {'/'.join(param.opts)}")
    assert missing == []


def test_server_log_level_lists_its_choices():
    option = next(p for p in cli.commands["server"].params if p.name == "log_level")
    assert isinstance(option.type, click.Choice)
    assert set(option.type.choices) >= {"critical", "error", "warning", "info", "debug"}


def help_text(*args: str) -> str:
    proc = subprocess.run([sys.executable, "-m", "modelyard.cli", *args, "--help"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_help_states_exit_codes_and_completion():
    text = help_text()
    assert "Exit status: 0 success, 1 error, 2 usage error" in text
    assert "_MODELYARD_COMPLETE=bash_source modelyard" in text
    assert "--json" in help_text("models", "list")  # accepted after the command too


def test_readme_documents_exit_codes_and_completion():
    text = README.read_text()
    assert "_MODELYARD_COMPLETE=bash_source" in text
    assert "_MODELYARD_COMPLETE=zsh_source" in text
    assert "_MODELYARD_COMPLETE=fish_source" in text
    assert "exit status" in text.lower() and "2" in text


def test_completion_script_is_what_the_readme_says():
    env = {**os.environ, "_MODELYARD_COMPLETE": "bash_source"}
    proc = subprocess.run([sys.executable, "-m", "modelyard.cli"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "_modelyard_completion" in proc.stdout
