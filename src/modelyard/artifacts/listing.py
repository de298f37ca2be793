"""Which of many blobs an object store holds, by listing its keys in order instead of
asking about each one.

A commit of 1,000 small files asks the storage whether each blob is there, with its
size, under the blob lock (``domain/manifests.py``); so does the SDK's missing check.
One ``HEAD`` a blob is 1,000 round trips, where one ordered listing (S3's
``ListObjectsV2`` from ``StartAfter``, GCS's ``list_blobs`` from ``start_offset``) of
up to 1,000 keys settles every wanted key that falls in the range it covers: a key in
the range is there exactly when the page names it.  The listing is strongly consistent
on AWS S3, MinIO, Ceph and GCS, as a ``HEAD`` is, so what it says under the lock is
what a ``HEAD`` would say.

A listing is worth it only where the wanted keys are dense among the stored ones: a
fresh bucket, or a commit whose blobs are many.  Pages come one after another (each
starts where the last one ended) while lookups go 16 at a time, so a page must settle
at least :data:`DENSE` wanted keys, about what four rounds of lookups settle in the
time of a listing of 1,000 keys (and past the price of one: AWS prices a listing as
12.5 ``HEAD``s); a page that settles fewer (the store holds far more blobs than the
commit names) ends the listing, and the rest are asked one by one as before, so the
cost is never more than one wasted page.

A page is trusted only as far as it can be: one that is not in ascending order (S3
Express directory buckets list unordered), or that is empty while saying more
follows, settles nothing, and the rest are asked one by one.  A store that ignores the
start key or the page size answers correctly, only more slowly.  A store whose
listings lag behind writes or deletes must not use this: ``?listing=off`` on its URL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from modelyard.errors import InvalidParameter

#: Fewer wanted blobs than this are asked one by one (16 at a time, as fast).
LIST_MIN = 16
#: A page must settle at least this many wanted keys for the listing to go on.
DENSE = 64

# page(first) -> (the listed keys with their sizes, in order, from at least ``first``;
#                 whether the listing went on past the last of them)
Page = Callable[[str], tuple[list[tuple[str, int]], bool]]


def page_size_option(query: dict[str, str]) -> int:
    """The ``listing`` option of a store URL: ``on`` (the default, pages of 1,000 keys)
    or ``off`` (one lookup a blob, for a store whose listings lag)."""
    value = query.get("listing", "on").lower()
    if value not in ("on", "off"):
        raise InvalidParameter("the listing option of a storage URL is 'on' or 'off'")
    return 1000 if value == "on" else 0


def sizes_of(digests: Iterable[str], key: Callable[[str], str], page: Page | None,
             lookup: Callable[[Iterable[str]], dict[str, int]]) -> dict[str, int]:
    """The sizes of the blobs held among ``digests`` (by digest): ordered listings where
    they are many (and ``page`` is given), else ``lookup`` (one request a blob)."""
    unique = list(dict.fromkeys(digests))
    if len(unique) < LIST_MIN or page is None:
        return lookup(unique)
    return sizes_by_listing({key(d): d for d in unique}, page, lookup)


def missing_of(digests: Iterable[str],
               sizes: Callable[[Iterable[str]], dict[str, int]]) -> list[str]:
    """The digests (in order, each once) not held, by ``sizes``."""
    unique = list(dict.fromkeys(digests))
    held = sizes(unique)
    return [d for d in unique if d not in held]


def sizes_by_listing(wanted: dict[str, str], page: Page,
                     lookup: Callable[[Iterable[str]], dict[str, int]]) -> dict[str, int]:
    """The sizes of the blobs held among ``wanted`` (key -> digest), by digest: ordered
    pages while they settle enough keys, then ``lookup`` (digests -> sizes) for the
    rest."""
    keys = sorted(wanted)
    found: dict[str, int] = {}
    i = 0
    while i < len(keys):
        entries, more = page(keys[i])
        listed = dict(entries)
        if any(a[0] >= b[0] for a, b in zip(entries, entries[1:], strict=False)):
            last: str | None = ""  # not in order: it settles nothing
        elif more:
            last = entries[-1][0] if entries else ""  # an empty page settles nothing
        else:
            last = None  # the listing went to the end
        start = i
        while i < len(keys) and (last is None or keys[i] <= last):
            if keys[i] in listed:
                found[wanted[keys[i]]] = listed[keys[i]]
            i += 1
        if i < len(keys) and i - start < DENSE:
            found.update(lookup(wanted[k] for k in keys[i:]))
            break
    return found
