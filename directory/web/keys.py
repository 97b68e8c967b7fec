"""Keys derived from SECRET_KEY, one per purpose, so that no two uses ever share a key.

HKDF-SHA256 (RFC 5869) turns the one secret a deployment sets into independent keys: the
referral list cookie's encryption key, the session cookie's, the key that makes rate-limit and
report-sender identifiers unlinkable to addresses. Changing SECRET_KEY changes them all.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

SALT = b"recovery-directory keys v1"


def derive(secret: str | bytes, purpose: str, length: int = 32) -> bytes:
    """Return the key for `purpose` derived from `secret`."""
    material = secret.encode("utf-8") if isinstance(secret, str) else secret
    hkdf = HKDF(algorithm=hashes.SHA256(), length=length, salt=SALT, info=purpose.encode())
    return hkdf.derive(material)


def key_for(purpose: str) -> bytes:
    """Return the current app's key for `purpose` (derived once per secret)."""
    cache = current_app.extensions.setdefault("directory.keys", {})
    secret = current_app.config["SECRET_KEY"]
    if (purpose, secret) not in cache:
        cache[(purpose, secret)] = derive(secret, purpose)
    return cache[(purpose, secret)]


def pseudonym(purpose: str, value: str, period_seconds: int = 86400) -> str:
    """Return a short keyed hash of `value` that changes every period (a day by default).

    Used where a client must be counted but not known: the same address gives the same
    pseudonym within a period, and nothing links it to the address, or to the next period's,
    without SECRET_KEY.
    """
    period = int(time.time() // period_seconds)
    message = f"{period} {value}".encode("utf-8", "replace")
    return hmac.new(key_for(purpose), message, hashlib.sha256).hexdigest()[:24]
