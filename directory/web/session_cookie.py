"""A signed cookie session that may span a few cookies, so a long referral list still fits.

Browsers keep at most about 4 KB per cookie. A specialist's list of 25 resources with a note of
up to 280 characters each can need more, so the signed value is cut into chunks: `session`,
`session-1`, `session-2`, ... Nothing is stored on the server; a tampered or incomplete set of
chunks fails the signature and reads as an empty session.
"""

from __future__ import annotations

from flask import Flask, Request, Response, request
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from itsdangerous import BadSignature

CHUNK_BYTES = 3800  # under the 4096 a browser keeps, with room for the name and attributes
MAX_CHUNKS = 4  # 15 KB in all; servers and proxies must accept a 16 KB Cookie header


class ChunkedCookieSessionInterface(SecureCookieSessionInterface):
    def open_session(self, app: Flask, request: Request):
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        name = self.get_cookie_name(app)
        value = "".join(request.cookies.get(chunk_name(name, i), "") for i in range(MAX_CHUNKS))
        if not value:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        try:
            return self.session_class(serializer.loads(value, max_age=max_age))
        except BadSignature:
            return self.session_class()

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        name = self.get_cookie_name(app)
        options = {
            "domain": self.get_cookie_domain(app),
            "path": self.get_cookie_path(app),
            "secure": self.get_cookie_secure(app),
            "samesite": self.get_cookie_samesite(app),
            "httponly": self.get_cookie_httponly(app),
        }
        if session.accessed:
            response.vary.add("Cookie")
        names = [chunk_name(name, i) for i in range(MAX_CHUNKS)]
        if not session:
            if session.modified:
                for cookie in names:
                    if cookie in request.cookies:
                        response.delete_cookie(cookie, **options)
                response.vary.add("Cookie")
            return
        if not self.should_set_cookie(app, session):
            return
        value = self.get_signing_serializer(app).dumps(dict(session))
        chunks = split(value)
        if len(chunks) > MAX_CHUNKS and "_flashes" in session:
            # Messages are the first thing to give up; the list itself was checked to fit.
            value = self.get_signing_serializer(app).dumps(
                {k: v for k, v in session.items() if k != "_flashes"}
            )
            chunks = split(value)
        if len(chunks) > MAX_CHUNKS:
            return  # keep the cookies the browser has rather than lose the whole list
        expires = self.get_expiration_time(app, session)
        for i, chunk in enumerate(chunks):
            response.set_cookie(chunk_name(name, i), chunk, expires=expires, **options)
        for index, cookie in enumerate(names):
            if index >= len(chunks) and cookie in request.cookies:
                response.delete_cookie(cookie, **options)
        response.vary.add("Cookie")


def chunk_name(name: str, index: int) -> str:
    return name if index == 0 else f"{name}-{index}"


def split(value: str) -> list[str]:
    return [value[i : i + CHUNK_BYTES] for i in range(0, len(value), CHUNK_BYTES)] or [""]


CAPACITY = CHUNK_BYTES * MAX_CHUNKS
