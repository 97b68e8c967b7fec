"""Health checks for the process manager and the load balancer."""

from __future__ import annotations

import time

from flask import Blueprint, g, jsonify

from directory.web.artifact_state import VersionSnapshot
from directory.web.security import rate_limit_health
from directory.web.state import DataUnavailable, get_state

bp = Blueprint("health", __name__)
DATA_VERSION_CHARS = 12  # of the data's fingerprint, in X-Data-Version and /readyz


@bp.after_app_request
def data_version_header(response):
    """Say which version of the data answered (behind a proxy, which host's data it was)."""
    snapshot = g.get("directory_snapshot") or get_state().snapshot
    if snapshot is not None:
        response.headers["X-Data-Version"] = snapshot.catalog.fingerprint[:DATA_VERSION_CHARS]
    return response


@bp.get("/healthz")
def healthz():
    """The process is alive."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz():
    """The index is loaded: which data it serves, how many resources, how old the file is."""
    state = get_state()
    try:
        snapshot = state.current()
    except DataUnavailable as exc:
        return jsonify({"status": "unavailable", "error": str(exc)}), 503
    g.directory_snapshot = snapshot
    body = {
        "status": "ok",
        "fingerprint": snapshot.catalog.fingerprint,
        "data_version": snapshot.catalog.fingerprint[:DATA_VERSION_CHARS],
        # the artifact version served (DIRECTORY_ARTIFACT_DIR), or null when serving a data file
        "artifact": snapshot.report() if isinstance(snapshot, VersionSnapshot) else None,
        "generation": snapshot.searcher.generation,
        "resources": snapshot.searcher.resource_count,
        "data_file_age_seconds": round(time.time() - snapshot.data_mtime, 1),
        "loaded_seconds_ago": round(time.time() - snapshot.loaded_at, 1),
        "last_refused": state.error,  # why a newer file is not in service, if one is not
        # serving; refused (the newest file); retrying (valid, the index cannot be written yet);
        # settling (it changed while it was read)
        "data_status": state.status,
        # Searching never depends on it: with the store away, limits are counted in memory.
        "rate_limits": rate_limit_health(),
    }
    return jsonify(body)
