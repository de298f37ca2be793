"""`modelyard fsck`: re-hash stored blobs and report what is missing or damaged."""

from __future__ import annotations

import sys
from typing import Any

import click

from modelyard.cli.context import client
from modelyard.cli.output import human_size, show, table


@click.command()
@click.option("--sample", type=click.IntRange(min=0), default=None, metavar="N",
              help="Re-hash N blobs chosen at random instead of every blob.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def fsck(ctx: click.Context, sample: int | None, as_json: bool) -> None:
    """Check that every stored blob matches its sha256 and that every blob a manifest
    points at is stored.  Exits 1 when it finds a missing or corrupt blob."""
    if as_json:
        ctx.find_root().obj["json"] = True
    report = client(ctx).fsck(sample=sample)
    show(ctx, report, lambda: _human(report))
    if not report["ok"]:
        sys.exit(1)


def _human(report: dict[str, Any]) -> None:
    click.echo(f"checked {report['blobs_checked']} of {report['blobs_stored']} blobs "
               f"({human_size(report['bytes_checked'])}): {len(report['missing'])} missing, "
               f"{len(report['corrupt'])} corrupt")
    if report["manifests"]:
        table(["PROBLEM", "KIND", "NAME", "PATH", "SHA256"],
              [(m["problem"], m["kind"], m["name"], m["path"], m["sha256"])
               for m in report["manifests"]])
