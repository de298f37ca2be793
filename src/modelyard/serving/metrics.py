"""Prometheus metrics in the text exposition format, written by hand (no dependency).

All updates happen on the event loop's thread, so no locks are needed; the follower
thread only touches them through the loop.
"""

from __future__ import annotations

import bisect
from collections import defaultdict

__all__ = ["Metrics"]

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
                   2.5, 5.0, 10.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)

Labels = tuple[tuple[str, str], ...]


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _num(value: float) -> str:
    """Exact: integers as integers, other values with every digit."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _fmt(labels: Labels, extra: tuple[tuple[str, str], ...] = ()) -> str:
    items = labels + extra
    if not items:
        return ""
    return "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in items) + "}"


class _Histogram:
    def __init__(self, buckets: tuple[float, ...]) -> None:
        self.buckets = buckets
        self.counts = [0] * (len(buckets) + 1)
        self.total = 0.0
        self.n = 0

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(self.buckets, value)] += 1
        self.total += value
        self.n += 1


class Metrics:
    HELP = {
        "modelyard_requests_total": ("counter", "Scoring requests answered, by endpoint, "
                                     "route, version and HTTP status."),
        "modelyard_request_duration_seconds": ("histogram", "Time to answer a scoring "
                                               "request, by endpoint."),
        "modelyard_predict_duration_seconds": ("histogram", "Time of one model call (a "
                                               "batch), by version."),
        "modelyard_batch_size": ("histogram", "Requests predicted together in one model "
                                 "call, by version."),
        "modelyard_batch_rows": ("histogram", "Rows predicted in one model call, by version."),
        "modelyard_shadow_requests_total": ("counter", "Copies of requests sent to the "
                                            "shadow version, by outcome."),
        "modelyard_model_swaps_total": ("counter", "Versions swapped in while serving, by "
                                        "route."),
        "modelyard_model_version_served": ("gauge", "1 for each version being served, by "
                                           "route."),
        "modelyard_inflight_requests": ("gauge", "Scoring requests being answered now."),
    }

    def __init__(self) -> None:
        self.counters: dict[str, dict[Labels, float]] = defaultdict(lambda: defaultdict(float))
        self.histograms: dict[str, dict[Labels, _Histogram]] = defaultdict(dict)
        self.gauges: dict[str, dict[Labels, float]] = defaultdict(dict)

    def inc(self, name: str, labels: Labels = (), by: float = 1.0) -> None:
        self.counters[name][labels] += by

    def observe(self, name: str, value: float, labels: Labels = (),
                buckets: tuple[float, ...] = LATENCY_BUCKETS) -> None:
        series = self.histograms[name]
        h = series.get(labels)
        if h is None:
            h = series[labels] = _Histogram(buckets)
        h.observe(value)

    def set(self, name: str, value: float, labels: Labels = ()) -> None:
        self.gauges[name][labels] = value

    def clear(self, name: str) -> None:
        self.gauges.pop(name, None)

    def render(self) -> str:
        out: list[str] = []
        names = sorted(set(self.counters) | set(self.histograms) | set(self.gauges))
        for name in names:
            kind, text = self.HELP.get(name, ("untyped", name))
            out.append(f"# HELP {name} {text}")
            out.append(f"# TYPE {name} {kind}")
            for labels, value in sorted(self.counters.get(name, {}).items()):
                out.append(f"{name}{_fmt(labels)} {_num(value)}")
            for labels, value in sorted(self.gauges.get(name, {}).items()):
                out.append(f"{name}{_fmt(labels)} {_num(value)}")
            for labels, h in sorted(self.histograms.get(name, {}).items()):
                cumulative = 0
                for bound, count in zip(h.buckets, h.counts, strict=False):
                    cumulative += count
                    out.append(f"{name}_bucket{_fmt(labels, (('le', f'{bound:g}'),))} "
                               f"{cumulative}")
                out.append(f'{name}_bucket{_fmt(labels, (("le", "+Inf"),))} {h.n}')
                out.append(f"{name}_sum{_fmt(labels)} {_num(h.total)}")
                out.append(f"{name}_count{_fmt(labels)} {h.n}")
        return "\n".join(out) + "\n"
