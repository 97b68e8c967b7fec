"""Gunicorn settings for serving the directory in production.

Start with `gunicorn -c gunicorn.conf.py "directory:create_app()"` (the Procfile does).
Environment: PORT or BIND, WEB_CONCURRENCY (workers; default: one per CPU), THREADS.
"""

import logging
import multiprocessing
import os

bind = os.environ.get("BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
threads = int(os.environ.get("THREADS", "4"))
worker_class = "gthread"
# The app, its catalog and its index are loaded once in the master, before workers fork.
preload_app = True
timeout = 30
graceful_timeout = 30
keepalive = 5
# A long referral list spans several signed cookies (up to 15 KB); accept a 16 KB header.
limit_request_field_size = 16384
# Access log: method, path WITHOUT the query string (%(U)s), status, size, duration.
# No client address, no query string, no referrer, no user agent: a search for "methadone"
# near a ZIP code is health information about a person.
accesslog = "-"
access_log_format = '%(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def _state(server):
    app = server.app.wsgi()
    return app.extensions["directory"]


def on_reload(server):
    """On HUP: load the data file and build its index in the master, before new workers fork.

    A file with errors is refused and logged; the new workers then keep serving the last good
    data they inherit from the master.
    """
    state = _state(server)
    if state.reload():
        server.log.info("data reloaded: %s", state.snapshot.catalog.fingerprint[:12])
    else:
        server.log.error("data file refused, still serving the last good data: %s", state.error)


def post_worker_init(worker):
    """Give each worker its own open index files (nothing read through a shared descriptor)."""
    state = worker.wsgi.extensions["directory"]
    if not state.reload():
        logging.getLogger("gunicorn.error").error("worker keeps inherited data: %s", state.error)
