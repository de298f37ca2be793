"""Presence by ordered listings (``artifacts/listing.py``) against stores that behave
well and badly: whatever a page looks like, a stored blob is never reported absent and
an absent one never present.  The pages come from an in-memory key space, as a store's
listing would answer them."""

from __future__ import annotations

import hashlib

from modelyard.artifacts.listing import DENSE, sizes_of


def _d(i: int) -> str:
    return hashlib.sha256(b"%d" % i).hexdigest()


STORED = {_d(i): 10 + i for i in range(400)}
KEYS = sorted(STORED)


def _pages(size: int = 50, *, ignore_start: bool = False, empty: bool = False,
           unordered: bool = False) -> tuple[list[int], object]:
    calls: list[int] = []

    def page(first: str) -> tuple[list[tuple[str, int]], bool]:
        calls.append(1)
        keys = KEYS if ignore_start else [k for k in KEYS if k > first[:-1]]
        if empty:
            return [], True
        chunk = keys[:size]
        if unordered:  # as S3 Express lists: any keys, in any order
            chunk = sorted(keys[:2 * size:2], key=lambda k: hashlib.sha256(k.encode()).digest())
        return [(k, STORED[k]) for k in chunk], len(keys) > size

    return calls, page


def _lookups() -> tuple[list[str], object]:
    asked: list[str] = []

    def lookup(digests):  # type: ignore[no-untyped-def]
        digests = list(digests)
        asked.extend(digests)
        return {d: STORED[d] for d in digests if d in STORED}

    return asked, lookup


def _wanted() -> tuple[list[str], dict[str, int]]:
    held = KEYS[::2]
    absent = [hashlib.sha256(b"absent %d" % i).hexdigest() for i in range(200)]
    return held + absent, {d: STORED[d] for d in held}


def test_dense_pages_settle_everything_without_lookups() -> None:
    wanted, expected = _wanted()
    calls, page = _pages(size=200)
    asked, lookup = _lookups()
    assert sizes_of(wanted, lambda d: d, page, lookup) == expected  # type: ignore[arg-type]
    assert asked == [] and 1 <= len(calls) <= 3


def test_sparse_pages_fall_back_to_lookups_after_one_page() -> None:
    wanted, expected = _wanted()
    calls, page = _pages(size=DENSE // 4)
    asked, lookup = _lookups()
    assert sizes_of(wanted, lambda d: d, page, lookup) == expected  # type: ignore[arg-type]
    assert len(calls) == 1 and asked


def test_badly_behaved_pages_never_lose_a_blob() -> None:
    wanted, expected = _wanted()
    for kind in ({"ignore_start": True}, {"empty": True}, {"unordered": True},
                 {"ignore_start": True, "size": 10_000}):
        _, page = _pages(**kind)  # type: ignore[arg-type]
        _, lookup = _lookups()
        assert sizes_of(wanted, lambda d: d, page, lookup) == expected, kind  # type: ignore[arg-type]


def test_few_digests_or_no_listing_are_looked_up() -> None:
    wanted, expected = _wanted()
    calls, page = _pages()
    asked, lookup = _lookups()
    assert sizes_of(wanted[:5], lambda d: d, page, lookup) == {  # type: ignore[arg-type]
        d: STORED[d] for d in wanted[:5] if d in STORED}
    assert sizes_of(wanted, lambda d: d, None, lookup) == expected  # type: ignore[arg-type]
    assert calls == [] and len(asked) == 5 + len(wanted)
