"""Drive the referral list through a test client, as a specialist's browser would."""

from __future__ import annotations

import re
from pathlib import Path

from directory import create_app
from directory.referrals.share_code import share_codes
from directory.web.state import get_catalog
from tests.conftest import FIXTURES

FIXTURE = FIXTURES / "referrals.yaml"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_app(tmp_path: Path, **config):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "referral-tests-" + "r" * 32,
            "DATA_PATH": str(FIXTURE),
            "INDEX_DIR": str(tmp_path / "index"),
            **config,
        }
    )
    return app


def token(client, path: str = "/resources/harbor-detox") -> str:
    return TOKEN.search(client.get(path).get_data(as_text=True)).group(1)


def add(client, resource_id: str, next_url: str = "/search?q=clinic", csrf: str | None = None):
    data = {"id": resource_id, "next": next_url, "csrf_token": csrf or token(client)}
    return client.post("/referrals/add", data=data)


def build_list(client, ids, notes=None) -> str:
    csrf = token(client)
    for resource_id in ids:
        add(client, resource_id, csrf=csrf)
    if notes:
        data = {f"note-{k}": v for k, v in notes.items()}
        client.post("/referrals/update", data={"op": "save", "csrf_token": csrf, **data})
    return csrf


def short_link(app, ids: list[str]) -> str:
    """Return the short share address of ids on app's data, as the sheet prints it."""
    with app.app_context():
        return "http://localhost/r/" + share_codes(get_catalog()).code(ids)


def referral_ids(client) -> list[str]:
    """Return the ids of every active listing in the fixture, in file order."""
    with client.application.app_context():
        return [r.id for r in get_catalog().active()]
