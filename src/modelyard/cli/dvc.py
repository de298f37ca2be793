"""``modelyard dvc``: the registry view of a git repository versioned with DVC/GTO."""

from __future__ import annotations

import click

from modelyard.cli.context import client


@click.group("dvc", help="DVC and git: register what a DVC/GTO repository declares.")
def dvc_group() -> None:
    pass


@dvc_group.command("sync", help="Register the repository's GTO models, version tags, "
                   "stage assignments and dvc.lock lineage (idempotent).")
@click.argument("repo_path", default=".", type=click.Path(file_okay=False))
@click.option("--project", default="default", show_default=True,
              help="Project the models are created in (and whose DVC remote holds the bytes).")
@click.option("--check", is_flag=True,
              help="Change nothing; report where the registry diverges from git (exit 1 if so).")
@click.pass_context
def sync_cmd(ctx: click.Context, repo_path: str, project: str, check: bool) -> None:
    try:
        import yaml  # noqa: F401
    except ModuleNotFoundError:
        raise click.ClickException("modelyard dvc sync reads YAML: pip install "
                                   "'modelyard[dvc]'") from None
    from modelyard.dvcsync.gitrepo import SyncError
    from modelyard.dvcsync.sync import sync

    try:
        report = sync(client(ctx), repo_path, project, check=check)
    except SyncError as exc:
        raise click.ClickException(str(exc)) from None
    for line in report.lines:
        click.echo(line)
    if check:
        if report.changes:
            raise click.ClickException(f"{report.changes} difference(s) from git")
        click.echo("in sync with git")
    elif not report.changes:
        click.echo("nothing to do")
