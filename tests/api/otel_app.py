"""Run a modelyard app with OpenTelemetry providers configured globally, as an operator's
instrumentation would, and print what reached them (JSON)."""

import json
import sys

from opentelemetry import _logs, metrics, trace
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

spans = InMemorySpanExporter()
tracer_provider = TracerProvider()
tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
trace.set_tracer_provider(tracer_provider)
records = InMemoryLogRecordExporter()
logger_provider = LoggerProvider()
logger_provider.add_log_record_processor(SimpleLogRecordProcessor(records))
_logs.set_logger_provider(logger_provider)
readings = InMemoryMetricReader()
metrics.set_meter_provider(MeterProvider(metric_readers=[readings]))

from fastapi.testclient import TestClient  # noqa: E402

from modelyard.config import Settings  # noqa: E402
from modelyard.server.app import create_app  # noqa: E402
from modelyard.services import start_up  # noqa: E402

canary = sys.argv[2]
settings = Settings.load({"home": sys.argv[1], "log_level": "warning"})
start_up(settings)
with TestClient(create_app(settings)) as client:
    client.get(f"/api/v1/uploads/{'0' * 32}/parts/1?expires=1&signature={canary}")
    client.get(f"/api/2.0/mlflow/registered-models/get?name={canary}")
    client.get("/health")
data = readings.get_metrics_data()
print(json.dumps({"spans": [s.to_json() for s in spans.get_finished_spans()],
                  "logs": [r.to_json() for r in records.get_finished_logs()],
                  "metrics": [m.name for r in (data.resource_metrics if data else [])
                              for sm in r.scope_metrics for m in sm.metrics]}))
