"""Request logs keep paths, never search terms."""

from __future__ import annotations

import logging
import sys

from directory.web.logs import StripQueryStrings


def test_query_strings_are_removed_from_request_lines():
    record = logging.LogRecord(
        "werkzeug", logging.INFO, __file__, 1, '%s - - [%s] %s %s %s',
        ("127.0.0.1", "now", '"GET /search?q=methadone&near=97214 HTTP/1.1"', "200", "-"), None,
    )  # fmt: skip
    assert StripQueryStrings().filter(record)
    line = record.getMessage()
    assert '"GET /search HTTP/1.1" 200' in line
    assert "methadone" not in line and "97214" not in line


def test_dev_server_log_has_no_search_terms(app, caplog):
    from werkzeug.serving import WSGIRequestHandler  # noqa: F401  # the logger it writes to

    caplog.set_level(logging.INFO, logger="werkzeug")
    logging.getLogger("werkzeug").info(
        '%s "%s" %s', "127.0.0.1", "GET /search?q=suboxone HTTP/1.1", 200
    )
    assert "suboxone" not in caplog.text
    assert "GET /search HTTP/1.1" in caplog.text


def test_scrub_drops_addresses_queries_quoted_requests_and_control_characters():
    from directory.web.logs import scrub

    line = scrub(
        "Invalid request from ip=198.51.100.7: Invalid HTTP request line: "
        "'GET /search?q=metadona cerca de mí&near=97214 HTTP/1.1'"
    )
    assert line == "Invalid request: Invalid HTTP request line: '...'"
    assert scrub("Error handling request /search?q=relapse") == "Error handling request /search"
    assert scrub("GET /x\ny\x1b[31m") == "GET /x\\x0ay\\x1b[31m"
    assert scrub("did you mean 'phone'? (free-form notes go under extra:)").endswith("extra:)")


def test_a_traceback_is_scrubbed_and_indented_line_by_line():
    from directory.web.logs import PrivacyFilter

    try:
        raise ValueError("bad /search?q=relapse\n[2026-01-01] [INFO] forged")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    PrivacyFilter().filter(record)
    assert "relapse" not in record.exc_text
    assert all(line.startswith("    ") for line in record.exc_text.splitlines())
