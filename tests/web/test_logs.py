"""Request logs keep paths, never search terms."""

from __future__ import annotations

import logging

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
