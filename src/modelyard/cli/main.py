"""Entry point: global options, the command groups, and the one place errors are
printed.  The client helper is in ``context.py``; error messages in ``failures.py``.

Exit status: 0 success, 1 error (the registry refused or failed), 2 usage (an unknown
option, a missing argument, a malformed value), 130 interrupted."""

from __future__ import annotations

import os
import sys

import click

from modelyard.cli.context import Lazy
from modelyard.cli.failures import Failure, describe

EPILOG = """\b
--json and --uri may also follow the command (modelyard models list --json).
Exit status: 0 success, 1 error, 2 usage error, 130 interrupted.
Shell completion: eval "$(_MODELYARD_COMPLETE=bash_source modelyard)" (zsh_source, fish_source)."""

URI_HELP = ("Registry: http://host:port, a folder or a database URL "
            "(default $MODELYARD_URI, else http://127.0.0.1:5000).")
JSON_HELP = "Print JSON for scripts (errors too, on stderr)."


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, epilog=EPILOG)
@click.option("--uri", envvar="MODELYARD_URI", default=None, metavar="URI", help=URI_HELP)
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@click.version_option(package_name="modelyard", help="Show the version and exit.")
@click.pass_context
def cli(ctx: click.Context, uri: str | None, as_json: bool) -> None:
    """modelyard: a registry for machine-learning models."""
    # The command's own --uri/--json (after it on the line) are applied by their option
    # callbacks, which run after this.
    ctx.obj = {"client": Lazy(uri), "json": as_json, "uri": uri}


def _root_obj(ctx: click.Context) -> dict[str, object]:
    root = ctx.find_root()
    return root.ensure_object(dict)


def _late_json(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        _root_obj(ctx)["json"] = True


def _late_uri(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value is not None:
        obj = _root_obj(ctx)
        obj["uri"] = value
        obj["client"] = Lazy(value)


# Commands that never open a registry through --uri (they take database URLs of their own).
_NO_URI = {"server", "db"}


def _add_global_options(cmd: click.Command, top: str | None = None) -> None:
    """Accept --json and --uri after the command too, as gh and kubectl users expect."""
    if isinstance(cmd, click.Group):
        for name, sub in cmd.commands.items():
            _add_global_options(sub, top or name)
        return
    names = {o for p in cmd.params for o in getattr(p, "opts", [])}
    if "--json" not in names:
        cmd.params.append(click.Option(["--json"], is_flag=True, expose_value=False,
                                       callback=_late_json, help=JSON_HELP))
    if "--uri" not in names and top not in _NO_URI:
        cmd.params.append(click.Option(["--uri"], metavar="URI", default=None,
                                       expose_value=False, callback=_late_uri,
                                       help=URI_HELP))


def _register() -> None:
    from modelyard.cli import (
        datasets,
        db,
        deployments,
        dvc,
        events,
        experiments,
        fsck,
        gc,
        governance,
        lineage,
        login,
        models,
        projects,
        roles,
        runs,
        serve,
        server,
        tokens,
        users,
        versions,
        webhooks,
    )

    cli.add_command(models.models)
    cli.add_command(versions.versions)
    cli.add_command(versions.alias)
    cli.add_command(server.server)
    cli.add_command(db.db)
    cli.add_command(events.events)
    cli.add_command(gc.gc)
    cli.add_command(fsck.fsck)
    cli.add_command(projects.projects)
    cli.add_command(experiments.experiments)
    cli.add_command(runs.runs)
    cli.add_command(datasets.datasets)
    cli.add_command(lineage.lineage)
    cli.add_command(deployments.deployments)
    cli.add_command(serve.serve)
    cli.add_command(users.users)
    cli.add_command(users.service_accounts)
    cli.add_command(tokens.tokens)
    cli.add_command(roles.roles)
    cli.add_command(login.login)
    cli.add_command(dvc.dvc_group)
    cli.add_command(governance.policy)
    cli.add_command(governance.requests)
    cli.add_command(governance.audit)
    governance.add_alias_commands(versions.alias)
    cli.add_command(webhooks.webhooks)
    for name, cmd in cli.commands.items():
        _add_global_options(cmd, name)


_register()


# click >= 8.2 raises this for a group given no command (8.1 printed the help and exited 0).
_NO_ARGS: type[click.UsageError] = getattr(click.exceptions, "NoArgsIsHelpError",
                                           type("NoArgsIsHelpError", (click.UsageError,), {}))


def _wants_json(argv: list[str]) -> bool:
    for arg in argv:
        if arg == "--":
            return False
        if arg == "--json":
            return True
    return False


def _fail(failure: Failure, as_json: bool) -> None:
    click.echo(failure.render(as_json), err=True)
    sys.exit(failure.exit_code)


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    as_json = _wants_json(args)
    try:
        cli.main(args=args, prog_name="modelyard", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except _NO_ARGS as exc:  # `modelyard models` alone: its help
        click.echo(exc.format_message(), err=True)
        sys.exit(2)
    except Exception as exc:  # noqa: BLE001 - every failure becomes one line, never a traceback
        if os.environ.get("MODELYARD_DEBUG") and not isinstance(exc, click.ClickException):
            raise
        _fail(describe(exc), as_json)
    except KeyboardInterrupt:
        _fail(Failure("INTERRUPTED", "interrupted", 130), as_json)
