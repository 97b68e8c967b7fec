"""Rate-limit counters in a SQLite file shared by every worker on the machine.

gunicorn runs several worker processes and replaces them on every data reload. Counters kept in
each worker's memory (`memory://`) would allow a client up to one limit per worker and start from
zero after each reload; a small SQLite file (WAL, no fsync: counters are not worth a disk flush)
is shared by all workers and outlives them, so the limits configured are the limits enforced.
Redis does the same across machines. Fixed windows only, Flask-Limiter's default strategy.

    DIRECTORY_RATELIMIT_STORAGE_URI=sqlite:////var/lib/directory/rate-limits.sqlite
"""

from __future__ import annotations

import os
import random
import sqlite3
import threading
import time
from pathlib import Path

from limits.storage import Storage

PURGE_CHANCE = 0.001  # one increment in a thousand also removes expired counters
SCHEMA = "CREATE TABLE IF NOT EXISTS counters (key TEXT PRIMARY KEY, count INTEGER, expires REAL)"
INCREMENT = """
INSERT INTO counters (key, count, expires) VALUES (?, ?, ?)
ON CONFLICT (key) DO UPDATE SET
  count = CASE WHEN expires <= ? THEN excluded.count ELSE count + excluded.count END,
  expires = CASE WHEN expires <= ? THEN excluded.expires ELSE expires END
RETURNING count
"""


class SQLiteStorage(Storage):
    """`sqlite:///<absolute path>`: fixed-window counters in one file (created when first used)."""

    STORAGE_SCHEME = ["sqlite"]

    def __init__(self, uri: str, wrap_exceptions: bool = False, **options: object) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions)
        self.path = uri.removeprefix("sqlite://")
        self._local = threading.local()

    @property
    def base_exceptions(self) -> tuple[type[Exception], ...]:
        return (sqlite3.Error, OSError)

    def _db(self) -> sqlite3.Connection:
        """One connection per thread and process (a forked worker opens its own)."""
        local = self._local
        if getattr(local, "pid", None) != os.getpid():
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=2.0, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=OFF")
            db.execute(SCHEMA)
            local.db, local.pid = db, os.getpid()
        return local.db

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        db = self._db()
        (count,) = db.execute(INCREMENT, (key, amount, now + expiry, now, now)).fetchone()
        if random.random() < PURGE_CHANCE:
            db.execute("DELETE FROM counters WHERE expires <= ?", (now,))
        return int(count)

    def get(self, key: str) -> int:
        row = (
            self._db()
            .execute("SELECT count FROM counters WHERE key = ? AND expires > ?", (key, time.time()))
            .fetchone()
        )
        return int(row[0]) if row else 0

    def get_expiry(self, key: str) -> float:
        row = self._db().execute("SELECT expires FROM counters WHERE key = ?", (key,)).fetchone()
        return float(row[0]) if row and row[0] > time.time() else time.time()

    def check(self) -> bool:
        try:
            self._db().execute("SELECT 1").fetchone()
            return True
        except (sqlite3.Error, OSError):
            return False

    def reset(self) -> int | None:
        return self._db().execute("DELETE FROM counters").rowcount

    def clear(self, key: str) -> None:
        self._db().execute("DELETE FROM counters WHERE key = ?", (key,))
