"""Gunicorn settings for serving the directory in production.

Start with `gunicorn -c gunicorn.conf.py "directory:create_app()"` from a checkout (the Procfile
does), or `gunicorn -c python:directory.web.gunicorn_conf "directory:create_app()"` from a wheel.
Environment: PORT or BIND, WEB_CONCURRENCY (workers; default: one per CPU), THREADS,
FORWARDED_ALLOW_IPS (the proxies whose X-Forwarded-Proto is believed), LOG_LEVEL.

Data: the master loads the data file and builds its index once, before workers fork; a file
that cannot be served stops the start with the reason and exit status 1. Then a thread of the
master watches the file (every DIRECTORY_RELOAD_CHECK_SECONDS): once a changed file has settled,
it is read, parsed in a capped child process, checked (errors, limits, listings dropped) and
indexed, all while the workers keep serving; only a good new version makes the master reload as
on HUP, starting new workers on it and retiring the old ones gracefully; its catalog cache is
then written by a forked process (_write_aside), so that neither the switch waits for it nor the
master copies the pages it shares with the workers. A refused file is logged and shown by
/readyz; the workers keep serving the last good data. `kill -HUP` by hand does the same at once,
in the master's main loop.
"""

import ctypes
import gc
import logging
import multiprocessing
import os
import signal
import threading
import time

from gunicorn.http import wsgi as _gunicorn_wsgi

from directory.datafile.parallel import die_with_parent

bind = os.environ.get("BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
# Two threads: the work is CPU-bound, so more threads only contend for the GIL (measured:
# 4 threads gave 557 API searches/s, 2 gave 663, on 2 cores); two still let one slow client
# not hold up a worker. Slow clients are a proxy's job: see deploy/nginx.conf.
threads = int(os.environ.get("THREADS", "2"))
worker_class = "gthread"
# The app, its catalog and its index are loaded once in the master, before workers fork.
preload_app = True
timeout = 30
graceful_timeout = 30
keepalive = 5
# A long referral list spans several cookies (up to 15 KB); accept a 16 KB header.
limit_request_field_size = 16384
# A long search in another script percent-encodes to several KB; allow gunicorn's maximum.
limit_request_line = 8190
# gunicorn's management socket sits at one fixed path per user; we do not use it.
control_socket_disable = True
# Access log: method, path WITHOUT the query string (%(U)s), status, size, duration.
# No client address, no query string, no referrer, no user agent: a search for "methadone"
# near a ZIP code is health information about a person. GunicornLogger enforces it for every
# line of both logs, whatever the format says, and escapes control characters.
logger_class = "directory.web.logs.GunicornLogger"
accesslog = "-"
access_log_format = '%(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")


def _patch_responses():
    """No `Server: gunicorn` header, and honour an app's `Connection: close`.

    gunicorn writes its Server header itself and drops the app's Connection header as
    hop-by-hop; the app says `Connection: close` when it did not read a request body (a 413),
    and the connection must then really close instead of claiming keep-alive. Idempotent: this
    file runs again on every HUP.
    """
    response = _gunicorn_wsgi.Response
    if getattr(response, "_directory_patched", False):
        return
    default_headers = response.default_headers
    process_headers = response.process_headers

    def without_server(self):
        return [line for line in default_headers(self) if not line.startswith("Server:")]

    def honour_close(self, headers):
        process_headers(self, headers)
        for name, value in headers:
            if name.lower() == "connection" and value.strip().lower() == "close":
                self.must_close = True

    response.default_headers = without_server
    response.process_headers = honour_close
    response._directory_patched = True


_patch_responses()


def _state(server):
    return server.app.wsgi().extensions["directory"]


def _settle():
    """Move everything loaded so far out of the garbage collector's way (no long pauses).

    Frozen objects are never scanned by a collection, in the master or in a worker, so the
    pages holding the catalog stay shared after fork instead of being rewritten by the
    collector. The heap freed by a reload (the old catalog, the index build) goes back to
    the system, so that the master and each new worker do not carry it.
    """
    gc.collect()
    gc.freeze()
    _give_back_freed_memory()


def _give_back_freed_memory():
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc: nothing to ask
        return
    trim = getattr(libc, "malloc_trim", None)
    if trim is not None:
        trim(0)


SETTLE_LOOK_SECONDS = 0.05  # the least the watcher waits before looking at a settling file again
WRITER_NAME = b"catalog-writer"  # the forked writer's name in /proc/<pid>/comm
WRITER_WAIT_SECONDS = 60  # how long a stopping master waits for a catalog writer
PR_SET_NAME = 15
GUNICORN_SIGNALS = ("SIGTERM", "SIGINT", "SIGQUIT", "SIGHUP", "SIGUSR1", "SIGUSR2", "SIGWINCH",
                    "SIGCHLD")  # fmt: skip  # the master's handlers, undone in a forked writer


def _write_aside(write):
    """Run `write` (the catalog cache's entry) in a forked process; return at once.

    The write reads every object of the catalog, raising and lowering each one's reference
    count: in the master, that would copy every page it shares with the workers, for good (and
    it takes seconds at 100,000, which a new version must not wait for). A forked copy touches
    its own pages, for the time of the write, and is gone. It is forked where gunicorn forks its
    workers (the main loop's hooks) and reaped by gunicorn as an unknown child; it dies with the
    master. A write that does not happen costs only the next start a parse.
    """
    try:
        pid = os.fork()
    except OSError as exc:
        logging.getLogger("gunicorn.error").warning("catalog cache not written: %s", exc)
        return
    if pid:
        _writers[:] = [*filter(_running, _writers), pid]
        return
    try:  # the child: nothing of gunicorn's, no exception out of here
        for name in GUNICORN_SIGNALS:
            signal.signal(getattr(signal, name), signal.SIG_DFL)
        die_with_parent()
        _name_this_process(WRITER_NAME)
        os.nice(10)  # serving and the next parse come first
        write()
    except BaseException as exc:  # noqa: BLE001  # why: logged; the parent must not see it
        logging.getLogger("gunicorn.error").warning("catalog cache not written: %r", exc)
    finally:
        os._exit(0)


_writers: list[int] = []  # forked catalog writers, waited for by on_exit


def _running(pid: int) -> bool:
    try:
        return os.waitpid(pid, os.WNOHANG) == (0, 0)
    except ChildProcessError:  # reaped by gunicorn already
        return False


def on_exit(server):
    """Let a catalog writer still at work finish (seconds), so that a restart reads its entry."""
    deadline = time.monotonic() + WRITER_WAIT_SECONDS
    for pid in _writers:
        while _running(pid):
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)  # a restart parses the file instead
                _running(pid)
                break
            time.sleep(0.05)
    _writers.clear()


def _name_this_process(name: bytes) -> None:
    try:
        ctypes.CDLL(None).prctl(PR_SET_NAME, ctypes.c_char_p(name), 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the name only helps to tell it apart
        pass


def when_ready(server):
    """Load the data and its index in the master, once, before the workers fork."""
    state = _state(server)
    state.isolate = True  # the master must survive any file: parse it in a capped child
    if state.snapshot is None:
        state.wait_until_settled(timeout=max(30.0, 10 * state.settle))
        # The first version's catalog cache is written here, before any worker shares a page.
        if not state.reload():
            # One line with the reason, no traceback: the maintainer fixes the file and starts
            # again (`flask --app directory validate` lists every problem).
            server.log.error("cannot start, the data file cannot be served: %s", state.error)
            raise SystemExit(1)
    state.catalog_writer = _write_aside  # from now on, the workers share the master's pages
    _warn_about_memory_limits(server)
    _settle()
    interval = state.check_interval
    state.check_interval = None  # the master watches the file, not each worker
    if interval:
        threading.Thread(
            target=_watch, args=(server, state, interval), name="data-watcher", daemon=True
        ).start()


def _warn_about_memory_limits(server):
    uri = server.app.wsgi().config["RATELIMIT_STORAGE_URI"]
    if uri.startswith("memory") and server.cfg.workers > 1:
        server.log.warning(
            "rate limits: memory:// counts in each of the %d workers alone (a client may get up"
            " to %d times each limit) and from zero after every reload; leave"
            " DIRECTORY_RATELIMIT_STORAGE_URI unset (a file the workers share) or use redis://",
            server.cfg.workers,
            server.cfg.workers,
        )


def _watch(server, state, interval):
    """Prepare each settled new version of the data file, then reload the master (HUP)."""
    told = (state.status, state.error)
    wait = interval
    while True:
        time.sleep(wait)
        wait = interval
        try:
            if not state.needs_check():
                continue
            if not state.settled():
                # Look again the moment it may have settled, not a whole interval later.
                wait = min(interval, max(state.settles_in(), SETTLE_LOOK_SECONDS))
                continue
            snapshot = state.prepare()
        except Exception:  # the watcher must outlive anything; prepare() catches, this is spare
            server.log.exception("data file watcher")
            continue
        if snapshot is not None:
            state.pending = snapshot
            server.log.info("data file changed; checked and indexed, switching to it")
            os.kill(os.getpid(), signal.SIGHUP)
        elif (state.status, state.error) != told and state.status in ("refused", "retrying"):
            # New workers inherit the reason, so that /readyz on every worker shows it.
            state.announce = True
            os.kill(os.getpid(), signal.SIGHUP)
        told = (state.status, state.error)


def on_reload(server):
    """On HUP: switch to the version the watcher prepared, or load the file now (manual HUP).

    A file that cannot be served is logged; the new workers then keep serving the last good data
    they inherit from the master, and report why under /readyz.
    """
    state = _state(server)
    pending, state.pending = state.pending, None
    if pending is not None:
        state.install(pending, in_flight=False)  # the old catalog is freed before the fork
        server.log.info("data reloaded: %s", pending.catalog.fingerprint[:12])
    elif state.announce:
        state.announce = False  # prepare() logged the reason; the new workers inherit it
        server.log.info("workers restarted to report: %s", state.status)
    elif state.snapshot is not None and not state.needs_check():
        # A second HUP for a file already read (the watcher and an operator both noticed):
        # new workers still start, and open the current index generation.
        server.log.info("data file unchanged since it was last read")
    elif state.reload():
        server.log.info("data reloaded: %s", state.snapshot.catalog.fingerprint[:12])
    else:
        server.log.error("data file refused, still serving the last good data: %s", state.error)
    _settle()
    state.save_catalog()  # in a forked process (_write_aside), if a parse left one to write


def post_worker_init(worker):
    """Give each worker its own open index files for the data the master loaded."""
    state = worker.wsgi.extensions["directory"]
    state.check_interval = None
    state.catalog_writer = None  # a reload of its own (rare) writes in the worker itself
    if not state.reopen():
        logging.getLogger("gunicorn.error").error("worker keeps inherited data: %s", state.error)
