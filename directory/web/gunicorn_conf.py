"""Gunicorn settings for serving the directory in production.

Start with `gunicorn -c gunicorn.conf.py "directory:create_app()"` from a checkout (the Procfile
does), or `gunicorn -c python:directory.web.gunicorn_conf "directory:create_app()"` from a wheel.
Environment: PORT or BIND, WEB_CONCURRENCY (workers; default: one per CPU), THREADS.

Data updates: the master loads the data file and builds its index once, before workers fork.
It watches the file (every DIRECTORY_RELOAD_CHECK_SECONDS, default 2) and, when it changes,
reloads itself exactly as on `kill -HUP`: it validates and loads the file, builds the new index
aside, then starts new workers on it and retires the old ones gracefully. A file with errors is
refused and logged; the workers keep serving the last good data.
"""

import gc
import logging
import multiprocessing
import os
import signal
import threading

bind = os.environ.get("BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
# Two threads: the work is CPU-bound, so more threads only contend for the GIL (measured:
# 4 threads gave 557 API searches/s, 2 gave 663, on 2 cores); two still let one slow client
# not hold up a worker.
threads = int(os.environ.get("THREADS", "2"))
worker_class = "gthread"
# The app, its catalog and its index are loaded once in the master, before workers fork.
preload_app = True
timeout = 30
graceful_timeout = 30
keepalive = 5
# A long referral list spans several signed cookies (up to 15 KB); accept a 16 KB header.
limit_request_field_size = 16384
# A long search in another script percent-encodes to several KB; allow gunicorn's maximum.
limit_request_line = 8190
# gunicorn's management socket sits at one fixed path per user; we do not use it.
control_socket_disable = True
# Access log: method, path WITHOUT the query string (%(U)s), status, size, duration.
# No client address, no query string, no referrer, no user agent: a search for "methadone"
# near a ZIP code is health information about a person.
accesslog = "-"
access_log_format = '%(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def _state(server):
    return server.app.wsgi().extensions["directory"]


def _settle():
    """Move everything loaded so far out of the garbage collector's way (no long pauses)."""
    gc.collect()
    gc.freeze()


def when_ready(server):
    """Load the data and its index in the master, once, before the workers fork."""
    state = _state(server)
    if state.snapshot is None and not state.reload():
        server.log.error("no good data yet, workers answer 503: %s", state.error)
    _settle()
    interval = state.check_interval
    state.check_interval = None  # the master watches the file, not each worker
    if interval:
        threading.Thread(target=_watch, args=(server, state, interval), daemon=True).start()


def _watch(server, state, interval):
    """Reload the master (as on HUP) when the data file changes."""
    stop = threading.Event()
    seen = state.file_mtime()
    while not stop.wait(interval):
        current = state.file_mtime()
        if current != seen and state.data_changed():
            seen = current  # one reload per version of the file, however long it takes
            server.log.info("data file changed; reloading")
            os.kill(os.getpid(), signal.SIGHUP)


def on_reload(server):
    """On HUP: load the data file and build its index in the master, before new workers fork.

    A file with errors is refused and logged; the new workers then keep serving the last good
    data they inherit from the master.
    """
    state = _state(server)
    if state.snapshot is not None and not state.data_changed():
        # A second HUP for a file already read (the watcher and an operator both noticed):
        # new workers still start, and open the current index generation.
        server.log.info("data file unchanged since it was last read")
    elif state.reload():
        server.log.info("data reloaded: %s", state.snapshot.catalog.fingerprint[:12])
    else:
        server.log.error("data file refused, still serving the last good data: %s", state.error)
    _settle()


def post_worker_init(worker):
    """Give each worker its own open index files for the data the master loaded."""
    state = worker.wsgi.extensions["directory"]
    state.check_interval = None
    if not state.reopen():
        logging.getLogger("gunicorn.error").error("worker keeps inherited data: %s", state.error)
