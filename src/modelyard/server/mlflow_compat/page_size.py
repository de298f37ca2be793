"""``max_results`` on the MLflow API: MLflow's bounds, in MLflow's words, per endpoint.

MLflow checks the page size in two places, each with its own wording: the request
handler (a bound above which the value is refused as a wrong value, quoted as sent:
``"1001"`` from a query string, ``1001`` from a JSON body) and the store (a positive
integer, and for some searches an upper bound).  Scripts match those texts, so each
endpoint keeps MLflow's.  Two deliberate differences, where MLflow answers 200 to a
page size it cannot mean:

- below 1 is refused everywhere (MLflow's registered-model and logged-model searches
  accept 0 and -1); the words are those MLflow uses for the version search;
- above modelyard's own page limit (``docs/limits.md``) and within MLflow's, the page
  is cut to modelyard's limit and carries a ``next_page_token``, which every client
  that pages already follows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from modelyard.domain.tracking_base import MAX_HISTORY_PAGE
from modelyard.domain.validation import MAX_PAGE, MAX_TRACKING_PAGE
from modelyard.errors import InvalidParameter
from modelyard.server.mlflow_compat.common import DOCS_HINT, get_int, invalid_type, last_value

_STORE_LOW = "Invalid value {n} for parameter 'max_results' supplied. It must be a positive integer"
_REGISTRY_LOW = "Invalid value for max_results. It must be a positive integer, but got {n}"


@dataclass(frozen=True, slots=True)
class PageRule:
    low: str  # the words for a value below 1 ({n}: the value)
    most: int | None = None  # MLflow's upper bound, if any
    high: str | None = None  # the words above it; None: the handler's wrong-value text
    ours: int = MAX_PAGE  # modelyard's page limit for this search

    def read(self, args: dict[str, Any]) -> int | None:
        n = get_int(args, "max_results")
        if n is None:
            return None
        if n < 1:
            raise InvalidParameter(self.low.format(n=n))
        if self.most is not None and n > self.most:
            if self.high is not None:
                raise InvalidParameter(self.high.format(n=n))
            raise InvalidParameter(invalid_type("max_results", last_value(args, "max_results")))
        return min(n, self.ours)


EXPERIMENTS = PageRule(_STORE_LOW, 50_000, "Invalid value {n} for parameter 'max_results' "
                       "supplied. It must be at most 50000", ours=MAX_TRACKING_PAGE)
RUNS = PageRule(_STORE_LOW, 50_000, ours=MAX_TRACKING_PAGE)
MODELS = PageRule(_REGISTRY_LOW, 1000)
VERSIONS = PageRule(_REGISTRY_LOW, 200_000)
LOGGED_MODELS = PageRule(_REGISTRY_LOW)
HISTORY = PageRule(_STORE_LOW + ".", ours=MAX_HISTORY_PAGE)
MAX_RESULTS_PER_RUN = 2_500  # get-history-bulk-interval, as MLflow's
_INTERVAL = f"max_results must be between 1 and {MAX_RESULTS_PER_RUN}." + DOCS_HINT
HISTORY_INTERVAL = PageRule(_INTERVAL, MAX_RESULTS_PER_RUN, _INTERVAL, ours=MAX_RESULTS_PER_RUN)
