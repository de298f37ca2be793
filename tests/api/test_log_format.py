"""The log ``modelyard server`` sets up writes an exception as one line of where it
happened (type, then ``module:function:line`` frames), never a traceback: no file path
of the server, no line of source, no exception message (which can quote a value of
the request or a secret).  Both the server's own loggers and uvicorn's (which logs an
exception that escapes the app) are checked, in a child process that applies the
logging set-up the server hands uvicorn."""

from __future__ import annotations

import subprocess
import sys
import textwrap

CANARY = "s3cr3t-value-in-a-message"

CHILD = textwrap.dedent(f"""
    import logging.config
    import uvicorn.config
    from modelyard.server.access_log import log_config

    logging.config.dictConfig(log_config(uvicorn.config.LOGGING_CONFIG, "info", False))

    def lookup(table):
        try:
            return table["{CANARY}"]
        except KeyError as exc:
            raise ValueError("no row for {CANARY}") from exc

    for name in ("modelyard.server", "uvicorn.error"):
        try:
            lookup({{}})
        except ValueError as exc:
            logging.getLogger(name).error("request r1: unhandled %s", type(exc).__name__,
                                          exc_info=exc)
""")


def test_an_exception_is_one_line_of_where_it_happened() -> None:
    proc = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 2, proc.stderr  # one line each, uvicorn's and ours
    for line in lines:
        assert "request r1: unhandled ValueError" in line
        assert "ValueError at <string>:lookup:" in line and "| from KeyError at" in line
        assert "Traceback" not in line and CANARY not in line
        assert "/" not in line.split("unhandled", 1)[1], line  # no file path
