"""Bring a versioned S3 bucket's blobs back to what they were at a moment: the second
half of restoring a modelyard backup (the first is the database dump).

    python scripts/restore_blobs.py 's3://bucket/prefix?endpoint_url=...' --at 2026-12-01T03:00:00Z [--dry-run]

Blobs are content-addressed and never written twice, so a blob that existed at that
moment can only have been deleted since (by ``modelyard gc``); with bucket versioning
on, the deletion left a delete marker in front of the old version.  This removes the
delete markers made after ``--at`` in front of versions that existed then, which makes
those versions current again.  Blobs written after ``--at`` are left alone: the
restored database does not reference them, and ``modelyard gc`` removes them after its
grace period.  Prints one line per blob restored and a summary; exits 1 on an error.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlparse


def restore(s3: Any, bucket: str, prefix: str, at: datetime, *, dry_run: bool) -> int:
    """Undelete the blobs under ``prefix`` that existed at ``at``; how many."""
    versions: dict[str, list[dict[str, Any]]] = {}
    pages = s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix)
    for page in pages:
        for v in page.get("Versions", []):
            versions.setdefault(v["Key"], []).append({**v, "marker": False})
        for m in page.get("DeleteMarkers", []):
            versions.setdefault(m["Key"], []).append({**m, "marker": True})
    restored = 0
    for key, entries in sorted(versions.items()):
        current = next((e for e in entries if e.get("IsLatest")), None)
        if current is None or not current["marker"]:
            continue  # present now
        then = sorted((e for e in entries if e["LastModified"] <= at),
                      key=lambda e: e["LastModified"])
        if not then or then[-1]["marker"]:
            continue  # did not exist at that moment
        restored += 1
        print(f"restore {key}")
        if not dry_run:
            for m in entries:
                if m["marker"] and m["LastModified"] > at:
                    s3.delete_object(Bucket=bucket, Key=key, VersionId=m["VersionId"])
    return restored


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="the server's --artifacts-uri (s3://bucket/prefix?...)")
    parser.add_argument("--at", required=True,
                        help="the moment of the database dump, ISO 8601 with a zone")
    parser.add_argument("--dry-run", action="store_true", help="only list what to restore")
    args = parser.parse_args(argv)
    try:
        import boto3

        parsed = urlparse(args.url)
        if parsed.scheme != "s3" or not parsed.netloc:
            raise ValueError("the URL must be s3://bucket/prefix")
        at = datetime.fromisoformat(args.at.replace("Z", "+00:00"))
        if at.tzinfo is None:
            raise ValueError("--at needs a time zone (for example 2026-12-01T03:00:00Z)")
        query = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
        s3 = boto3.client("s3", endpoint_url=query.get("endpoint_url"),
                          region_name=query.get("region"))
        prefix = parsed.path.strip("/")
        n = restore(s3, parsed.netloc, f"{prefix}/sha256/" if prefix else "sha256/", at,
                    dry_run=args.dry_run)
    except Exception as exc:  # noqa: BLE001 - one line, never a traceback
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{n} blobs {'to restore' if args.dry_run else 'restored'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
