"""The Prometheus text format, exactly."""

from __future__ import annotations

from modelyard.serving.metrics import Metrics


def test_counters_histograms_and_escaping():
    m = Metrics()
    m.inc("modelyard_requests_total", (("route", 'a"b\\c\nd'),), 1234567)
    m.observe("modelyard_batch_size", 3, (("version", "m/1"),), (1, 2, 4))
    m.observe("modelyard_batch_size", 1, (("version", "m/1"),), (1, 2, 4))
    m.observe("modelyard_batch_size", 9, (("version", "m/1"),), (1, 2, 4))
    m.set("modelyard_inflight_requests", 2)
    lines = m.render().splitlines()
    assert 'modelyard_requests_total{route="a\\"b\\\\c\\nd"} 1234567' in lines
    assert "# TYPE modelyard_batch_size histogram" in lines
    assert [line for line in lines if line.startswith("modelyard_batch_size")] == [
        'modelyard_batch_size_bucket{version="m/1",le="1"} 1',
        'modelyard_batch_size_bucket{version="m/1",le="2"} 1',
        'modelyard_batch_size_bucket{version="m/1",le="4"} 2',
        'modelyard_batch_size_bucket{version="m/1",le="+Inf"} 3',
        'modelyard_batch_size_sum{version="m/1"} 13',
        'modelyard_batch_size_count{version="m/1"} 3',
    ]
    assert "modelyard_inflight_requests 2" in lines
