"""SQL for metric series and each run's latest values."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam, func, insert, select, update

from modelyard.domain.entities import Metric
from modelyard.store.bulk import insert_rows
from modelyard.store.schema_tracking import (
    metrics,
)

from modelyard.store.tracking_sql import (
    LM,
    ChildRows,
    decode_value,
    encode_value,
)


# Built once: every logged metric reads the run's current latest values of its keys.
_LATEST_OF = (select(LM.c.key, LM.c.step, LM.c.timestamp, LM.c.value, LM.c.kind)
              .where(LM.c.run_id == bindparam("run_id"),
                     LM.c.key.in_(bindparam("keys", expanding=True))))
_POINT_COLUMNS = ("run_id", "key", "step", "timestamp", "value", "kind")
_INSERT_LATEST = insert(LM)
_UPDATE_LATEST = update(LM).where(LM.c.run_id == bindparam("b_run_id"),
                                  LM.c.key == bindparam("b_key"))


class MetricsRepo(ChildRows):
    def insert_metrics(self, run_id: int, items: Sequence[Metric]) -> None:
        """Append points to the series and move each key's latest value (the point with
        the highest (step, timestamp, value), as MLflow decides)."""
        if not items:
            return
        rows = []
        best: dict[str, tuple[int, int, float, int]] = {}
        for m in items:
            value, kind = encode_value(m.value)
            rows.append((run_id, m.key, m.step, m.timestamp, value, kind))
            cand = (m.step, m.timestamp, value, kind)
            if m.key not in best or cand[:3] > best[m.key][:3]:
                best[m.key] = cand
        insert_rows(self.conn, metrics, _POINT_COLUMNS, rows)
        current = {}
        keys = list(best)
        for i in range(0, len(keys), 500):
            for k, step, ts, value, kind in self.conn.execute(
                    _LATEST_OF, {"run_id": run_id, "keys": keys[i:i + 500]}):
                current[k] = (step, ts, value, kind)
        changed = {key: {"step": c[0], "timestamp": c[1], "value": c[2], "kind": c[3]}
                   for key, c in best.items()
                   if key not in current or c[:3] >= current[key][:3]}
        # The keys read above are the ones that exist: insert the others, update those
        # (read first, then write, as ``ChildRows._put`` does, for MySQL's gap locks).
        new = [{"run_id": run_id, "key": k, **v} for k, v in changed.items()
               if k not in current]
        if new:
            self.conn.execute(_INSERT_LATEST, new)
        for k, v in changed.items():
            if k in current:
                self.conn.execute(_UPDATE_LATEST, {"b_run_id": run_id, "b_key": k, **v})

    def metric_history(self, run_id: int, key: str, offset: int, limit: int) -> list[Metric]:
        q = (select(metrics.c.step, metrics.c.timestamp, metrics.c.value, metrics.c.kind)
             .where(metrics.c.run_id == run_id, metrics.c.key == key)
             .order_by(metrics.c.step, metrics.c.timestamp, metrics.c.id)
             .offset(offset).limit(limit))
        return [Metric(key=key, value=decode_value(v, kind), step=s, timestamp=t)
                for s, t, v, kind in self.conn.execute(q)]

    def metric_points(self, run_id: int, key: str, limit: int) -> list[tuple[float, float]]:
        """(step, value) in step order, as plain tuples: what a chart needs, read fast."""
        q = (select(metrics.c.step, metrics.c.value, metrics.c.kind)
             .where(metrics.c.run_id == run_id, metrics.c.key == key)
             .order_by(metrics.c.step, metrics.c.timestamp, metrics.c.id).limit(limit))
        # The driver's rows as they are (tuples of int, float, int): building a Row per
        # point costs twice the query on a 100,000-point series.
        result = self.conn.execute(q)
        try:
            rows = result.cursor.fetchall() if result.cursor is not None else []
        finally:
            result.close()
        return [(float(s), float(v) if not k else decode_value(v, k)) for s, v, k in rows]

    def metric_envelope(self, run_id: int, key: str, buckets: int,
                        above: int = 0) -> tuple[int, list[tuple[float, float]]]:
        """(points stored, the series' envelope): the step range cut into ``buckets``
        equal parts and, for each part, its lowest value at its first step and its
        highest at its last, in step order; NaN and infinite values are left out.  The
        database does the scan, so a chart of a long series reads a few rows a bucket.
        A series of ``above`` points or fewer is only counted (no envelope)."""
        where = (metrics.c.run_id == run_id, metrics.c.key == key, metrics.c.kind == 0)
        count, lo, hi = self.conn.execute(
            select(func.count(), func.min(metrics.c.step), func.max(metrics.c.step))
            .where(*where)).one()
        if not count or count <= above:
            return int(count or 0), []
        span = int(hi) - int(lo) + 1
        bucket = ((metrics.c.step - int(lo)) * buckets // span).label("bucket")
        q = (select(func.min(metrics.c.step), func.max(metrics.c.step),
                    func.min(metrics.c.value), func.max(metrics.c.value))
             .where(*where).group_by(bucket).order_by(bucket))
        result = self.conn.execute(q)
        try:
            rows = result.cursor.fetchall() if result.cursor is not None else []
        finally:
            result.close()
        out: list[tuple[float, float]] = []
        for first, last, low, high in rows:
            out.append((float(first), float(low)))
            if last != first:
                out.append((float(last), float(high)))
        return int(count), out

    def metric_keys(self, run_id: int) -> list[str]:
        return list(self.conn.execute(select(LM.c.key).where(LM.c.run_id == run_id)
                                      .order_by(LM.c.key)).scalars())
