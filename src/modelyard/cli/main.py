"""Entry point: global options, the command groups, and the one place errors are
printed.  The client helper is in ``context.py``."""

from __future__ import annotations

import sys

import click

from modelyard.cli.context import Lazy
from modelyard.errors import ModelyardError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--uri", envvar="MODELYARD_URI", default=None, metavar="URI",
              help="Registry: http://host:port, a folder or sqlite:///path "
                   "(default $MODELYARD_URI, else http://127.0.0.1:5000).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.version_option(package_name="modelyard")
@click.pass_context
def cli(ctx: click.Context, uri: str | None, as_json: bool) -> None:
    """modelyard: a registry for machine-learning models."""
    ctx.obj = {"client": Lazy(uri), "json": as_json, "uri": uri}


def _register() -> None:
    from modelyard.cli import (
        datasets,
        db,
        deployments,
        events,
        experiments,
        gc,
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
    )

    cli.add_command(models.models)
    cli.add_command(versions.versions)
    cli.add_command(versions.alias)
    cli.add_command(server.server)
    cli.add_command(db.db)
    cli.add_command(events.events)
    cli.add_command(gc.gc)
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


_register()


def main(argv: list[str] | None = None) -> None:
    try:
        cli.main(args=argv, prog_name="modelyard", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except ModelyardError as exc:
        click.echo(f"error: {exc.message} [{exc.code}]", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except OSError as exc:
        click.echo(f"error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), err=True)
        sys.exit(1)
    except Exception as exc:  # noqa: BLE001 - the user sees one line, never a traceback
        click.echo(f"error: unexpected {type(exc).__name__}: {exc}", err=True)
        sys.exit(1)
