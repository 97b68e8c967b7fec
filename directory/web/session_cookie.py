"""An encrypted cookie session, split in two: the referral list only where it is needed.

Nothing is stored on the server. The session is encrypted and authenticated with AES-GCM (a key
derived from SECRET_KEY with HKDF, see keys.py): a shared computer's browser profile shows only
ciphertext, and a changed, swapped or incomplete cookie reads as an empty session.

Keys in `SCOPED` (the referral list and its notes) travel in their own cookies, with
`Path=/referrals`, so they are not sent with every page, stylesheet and image; they are read
and written only for requests under that path, and forgotten after `REFERRALS_IDLE_MINUTES`
without a visit (the browser drops the cookie then too). The rest (the CSRF token, messages
for the next page, how many listings the list holds) is a small cookie on `/`.

Browsers keep at most about 4 KB per cookie. A specialist's list of 25 resources with a note of
up to 280 characters each needs more, so each value is cut into chunks: `referrals`,
`referrals-1`, ... (and `session`, `session-1`, ...).
"""

from __future__ import annotations

import base64
import binascii
import os
import time
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import Flask, Request, Response, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin

from directory.web.keys import key_for

CHUNK_BYTES = 3800  # under the 4096 a browser keeps, with room for the name and attributes
MAX_CHUNKS = 4  # 15 KB in all; servers and proxies must accept a 16 KB Cookie header
CAPACITY = CHUNK_BYTES * MAX_CHUNKS
NONCE_BYTES = 12
VERSION = "1"
SCOPED = {"referrals": "/referrals"}  # session key -> the path its cookie is limited to
SUMMARY = "_scoped"  # in the root cookie: {key: [items, forget after]} for the pages elsewhere


def chunk_name(name: str, index: int) -> str:
    return name if index == 0 else f"{name}-{index}"


def split(value: str) -> list[str]:
    return [value[i : i + CHUNK_BYTES] for i in range(0, len(value), CHUNK_BYTES)] or [""]


def in_scope(path: str, scope: str) -> bool:
    return path == scope or path.startswith(scope.rstrip("/") + "/")


def seal(key: bytes, name: str, plaintext: bytes) -> str:
    """Encrypt and authenticate `plaintext` for the cookie called `name`."""
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(key).encrypt(nonce, plaintext, f"{VERSION}:{name}".encode())
    return VERSION + base64.urlsafe_b64encode(nonce + sealed).decode("ascii").rstrip("=")


def unseal(key: bytes, name: str, token: str) -> bytes | None:
    """Return the plaintext of a sealed value, or None if it is not one of ours, intact."""
    if not token.startswith(VERSION):
        return None
    try:
        raw = base64.urlsafe_b64decode(token[1:] + "=" * (-len(token[1:]) % 4))
        associated = f"{VERSION}:{name}".encode()
        return AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], associated)
    except (binascii.Error, ValueError, InvalidTag):
        return None


def _well_formed_flashes(value: object) -> bool:
    return isinstance(value, list) and all(
        isinstance(pair, list | tuple)
        and len(pair) == 2
        and all(isinstance(part, str) for part in pair)
        for pair in value
    )


class EncryptedCookieSessionInterface(SecureCookieSessionInterface):
    """Flask's cookie session, encrypted, chunked, and split by path (see the module)."""

    def _key(self, app: Flask) -> bytes:
        return key_for("session cookie")

    def _read(self, app: Flask, req: Request, name: str) -> dict | None:
        value = "".join(req.cookies.get(chunk_name(name, i), "") for i in range(MAX_CHUNKS))
        if not value:
            return None
        plaintext = unseal(self._key(app), name, value)
        if plaintext is None:
            return None
        try:
            data = self.serializer.loads(plaintext.decode("utf-8"))
        except (ValueError, TypeError, KeyError, UnicodeDecodeError):
            return None
        return data if isinstance(data, dict) else None

    def encoded(self, app: Flask, name: str, data: Mapping[str, Any]) -> str:
        """Return the cookie value `data` would be sent as under `name`."""
        payload = self.serializer.dumps(dict(data)).encode("utf-8")
        return seal(self._key(app), name, payload)

    def open_session(self, app: Flask, req: Request) -> SecureCookieSession | None:
        if not app.secret_key:
            return None
        name = self.get_cookie_name(app)
        now = time.time()
        data: dict[str, Any] = {}
        root = self._read(app, req, name) or {}
        lifetime = app.permanent_session_lifetime.total_seconds()
        if isinstance(root.get("_t"), float) and root["_t"] >= now - lifetime:
            data.update({k: v for k, v in root.items() if k != "_t" and k not in SCOPED})
        if "_flashes" in data and not _well_formed_flashes(data["_flashes"]):
            del data["_flashes"]  # never let a message break the next page
        idle = app.config["REFERRALS_IDLE_MINUTES"] * 60
        for key, scope in SCOPED.items():
            if in_scope(req.path, scope):
                jar = self._read(app, req, f"{name}-{key}") or {}
                if key in jar and isinstance(jar.get("_t"), float) and jar["_t"] >= now - idle:
                    data[key] = jar[key]
        # Built whole, so that opening marks the session neither modified nor accessed.
        return self.session_class(data)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        name = self.get_cookie_name(app)
        if session.modified:
            # The session cookie carries messages about a referral list: never cache it.
            response.headers["Cache-Control"] = "no-store"
        if session.accessed:
            response.vary.add("Cookie")
        if not session.modified and not self._scoped_here():
            return
        now = time.time()
        idle = app.config["REFERRALS_IDLE_MINUTES"] * 60
        root = {k: v for k, v in session.items() if k not in SCOPED}
        summary = dict(root.get(SUMMARY) or {})
        for key, scope in SCOPED.items():
            if not in_scope(request.path, scope):
                continue
            value = session.get(key)
            jar = {key: value, "_t": now} if value else {}
            # Each visit starts the idle time again: the list is forgotten only when unused.
            self._write(app, response, f"{name}-{key}", jar, scope, max_age=int(idle))
            if value:
                summary[key] = [len(value) if hasattr(value, "__len__") else 1, now + idle]
            else:
                summary.pop(key, None)
        if summary:
            root[SUMMARY] = summary
        else:
            root.pop(SUMMARY, None)
        if root:
            root["_t"] = now
        if session.modified or root.get(SUMMARY) != (session.get(SUMMARY) or None):
            self._write(app, response, name, root, self.get_cookie_path(app), max_age=None)
        response.vary.add("Cookie")

    def _scoped_here(self) -> bool:
        return any(in_scope(request.path, scope) for scope in SCOPED.values())

    def _write(self, app, response, name, data, path, max_age) -> None:
        options = {
            "domain": self.get_cookie_domain(app),
            "path": path,
            "secure": self.get_cookie_secure(app),
            "samesite": self.get_cookie_samesite(app),
            "httponly": self.get_cookie_httponly(app),
        }
        names = [chunk_name(name, i) for i in range(MAX_CHUNKS)]
        if not data:
            for cookie in names:
                if cookie in request.cookies:
                    response.delete_cookie(cookie, **options)
            return
        chunks = split(self.encoded(app, name, data))
        if len(chunks) > MAX_CHUNKS and "_flashes" in data:
            # Messages are the first thing to give up; the list itself was checked to fit.
            chunks = split(
                self.encoded(app, name, {k: v for k, v in data.items() if k != "_flashes"})
            )
        if len(chunks) > MAX_CHUNKS:
            return  # keep the cookies the browser has rather than lose the whole list
        for i, chunk in enumerate(chunks):
            response.set_cookie(chunk_name(name, i), chunk, max_age=max_age, **options)
        for index, cookie in enumerate(names):
            if index >= len(chunks) and cookie in request.cookies:
                response.delete_cookie(cookie, **options)


def scoped_count(session: Mapping[str, Any], key: str) -> int:
    """Return how many items the scoped value `key` held when last saved (0 once forgotten)."""
    try:
        count, until = session.get(SUMMARY, {}).get(key, (0, 0))
        return int(count) if float(until) > time.time() else 0
    except (AttributeError, TypeError, ValueError):
        return 0
