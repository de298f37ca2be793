"""`modelyard gc`: remove what nothing references any more."""

from __future__ import annotations

import click

from modelyard.cli.context import client
from modelyard.cli.output import human_size, show


@click.command()
@click.option("--dry-run", is_flag=True, help="Report what would be removed.")
@click.option("--grace-seconds", type=int, default=None,
              help="Only collect what is older than this (default: the server setting; "
                   "at least 3600 without --force).")
@click.option("--force", is_flag=True,
              help="Allow a grace period under an hour (0 included): blobs uploaded and "
                   "not committed yet may be deleted, and their commit then fails.")
@click.pass_context
def gc(ctx: click.Context, dry_run: bool, grace_seconds: int | None, force: bool) -> None:
    """Remove soft-deleted entries and the blobs nothing references any more."""
    report = client(ctx).gc(dry_run=dry_run, grace_seconds=grace_seconds, force=force)
    show(ctx, report, lambda: click.echo(
        f"{'would remove' if dry_run else 'removed'} {report['versions_purged']} versions, "
        f"{report['models_purged']} models, {report['blobs_deleted']} blobs "
        f"({human_size(report['bytes_freed'])}), {report.get('temp_files_removed', 0)} stale "
        f"partial uploads ({human_size(report.get('temp_bytes_freed', 0))}), "
        f"{report.get('upload_sessions_expired', 0)} expired upload sessions"))
