"""The application frame: factory, configuration, headers, error pages."""

from __future__ import annotations

import subprocess
import sys

import pytest

from directory import create_app
from directory.web.security import MissingSecretKey, UnsafeSettings


def test_config_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("DIRECTORY_DATA_PATH", str(tmp_path / "r.yaml"))
    monkeypatch.setenv("DIRECTORY_INDEX_DIR", str(tmp_path / "ix"))
    monkeypatch.setenv("DIRECTORY_SECRET_KEY", "from-env-" + "k" * 32)
    monkeypatch.setenv("DIRECTORY_BASE_URL", "https://directory.example.org")
    app = create_app()
    assert app.config["DATA_PATH"] == str(tmp_path / "r.yaml")
    assert app.config["INDEX_DIR"] == str(tmp_path / "ix")
    assert app.config["SECRET_KEY"] == "from-env-" + "k" * 32


def test_refuses_to_start_without_secret_key_outside_development(monkeypatch):
    monkeypatch.delenv("DIRECTORY_SECRET_KEY", raising=False)
    monkeypatch.delenv("DIRECTORY_ENV_NAME", raising=False)
    with pytest.raises(MissingSecretKey, match="DIRECTORY_SECRET_KEY"):
        create_app()


@pytest.mark.parametrize("key", ["k", "short-but-not-32-bytes", "é" * 15])
def test_a_short_secret_key_is_refused_when_serving(monkeypatch, key):
    monkeypatch.setenv("DIRECTORY_SECRET_KEY", key)
    monkeypatch.setenv("DIRECTORY_BASE_URL", "https://directory.example.org")
    with pytest.raises(UnsafeSettings, match="at least 32 random bytes"):
        create_app()


def test_base_url_is_required_when_serving_and_must_be_an_address(monkeypatch):
    monkeypatch.setenv("DIRECTORY_SECRET_KEY", "k" * 64)
    monkeypatch.delenv("DIRECTORY_BASE_URL", raising=False)
    with pytest.raises(UnsafeSettings, match="DIRECTORY_BASE_URL is not set"):
        create_app()
    monkeypatch.setenv("DIRECTORY_BASE_URL", "directory.example.org")
    with pytest.raises(UnsafeSettings, match="is not an address"):
        create_app()
    monkeypatch.setenv("DIRECTORY_ENV_NAME", "development")
    monkeypatch.delenv("DIRECTORY_BASE_URL")
    assert create_app().config["BASE_URL"] is None  # development: links from the request


def test_development_gets_a_random_key(monkeypatch):
    monkeypatch.delenv("DIRECTORY_SECRET_KEY", raising=False)
    monkeypatch.setenv("DIRECTORY_ENV_NAME", "development")
    keys = {create_app().config["SECRET_KEY"] for _ in range(2)}
    assert len(keys) == 2 and all(len(k) == 64 for k in keys)


def test_security_headers_on_every_response(client):
    for path in ("/", "/about", "/no-such-page"):
        response = client.get(path)
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "'unsafe-inline'" not in csp
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Permissions-Policy"].startswith("geolocation=(self)")
        assert "Strict-Transport-Security" not in response.headers


def test_hsts_when_configured(tmp_path, data_path):
    app = create_app(
        {"TESTING": True, "SECRET_KEY": "x", "DATA_PATH": str(data_path), "HSTS": True}
    )
    response = app.test_client().get("/about")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_crisis_lines_from_the_file_on_every_page(client):
    for path in ("/", "/about", "/no-such-page"):
        page = client.get(path).get_data(as_text=True)
        assert 'href="tel:988"' in page
        assert 'href="sms:988"' in page
        assert 'href="tel:18006624357"' in page


def test_not_found_page_in_the_site_design(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "We could not find that page" in page and "Skip to content" in page


def test_broken_data_at_start_gives_503_with_crisis_lines(tmp_path):
    path = tmp_path / "resources.yaml"
    path.write_text("format: 1\nresources: [\n")
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "DATA_PATH": str(path)})
    response = app.test_client().get("/")
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "not available right now" in page
    assert 'href="tel:988"' in page
    assert "Traceback" not in page


def test_unexpected_error_is_a_plain_500(app, client):
    @app.get("/boom")
    def boom():
        raise RuntimeError("secret detail")

    response = client.get("/boom")
    assert response.status_code == 500
    assert "secret detail" not in response.get_data(as_text=True)


def test_maintainer_commands_run_without_a_secret_key(monkeypatch, tmp_path):
    from flask.cli import ScriptInfo

    from directory.cli.data import validate

    monkeypatch.delenv("DIRECTORY_SECRET_KEY", raising=False)
    monkeypatch.delenv("DIRECTORY_ENV_NAME", raising=False)
    from click.testing import CliRunner

    from tests.conftest import FIXTURES

    monkeypatch.setenv("DIRECTORY_DATA_PATH", str(FIXTURES / "minimal.yaml"))
    # validate keeps the catalog it checked in the index folder: not the checkout's instance/
    monkeypatch.setenv("DIRECTORY_INDEX_DIR", str(tmp_path / "index"))
    result = CliRunner().invoke(validate, obj=ScriptInfo(create_app=lambda: create_app()))
    assert result.exit_code == 0, result.output


def test_rate_limit_answers_429_with_a_friendly_page(tmp_path, data_path):
    config = {"TESTING": True, "SECRET_KEY": "x", "DATA_PATH": str(data_path),
              "INDEX_DIR": str(tmp_path / "ix"), "RATE_LIMIT_SEARCH": "2 per minute"}  # fmt: skip
    app = create_app(config)
    client = app.test_client()
    assert client.get("/search?q=a").status_code == 200
    assert client.get("/search?q=b").status_code == 200
    response = client.get("/search?q=c")
    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert "Please wait a minute" in page and 'href="tel:988"' in page
    assert response.headers["Retry-After"]
    assert client.get("/resources/hawthorne-serenity-aa").status_code == 200  # pages stay open


def test_no_retry_after_on_ordinary_answers(client):
    response = client.get("/search?q=a")
    assert response.status_code == 200 and "Retry-After" not in response.headers


def test_cookie_and_body_limits_take_effect(app, client):
    assert app.config["MAX_CONTENT_LENGTH"] == 64 * 1024
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    response = client.post("/referrals/add", data={"id": "x" * 70_000})
    assert response.status_code == 413


def test_session_cookie_is_secure_with_hsts_and_csrf_works_over_https(tmp_path, data_path):
    import re

    app = create_app({"TESTING": True, "SECRET_KEY": "x", "DATA_PATH": str(data_path),
                      "INDEX_DIR": str(tmp_path / "ix"), "HSTS": True})  # fmt: skip
    client = app.test_client()
    base = "https://help.example.org"
    page = client.get("/resources/hawthorne-serenity-aa", base_url=base).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(  # no Referer: Referrer-Policy no-referrer means browsers send none
        "/referrals/add", base_url=base,
        data={"id": "hawthorne-serenity-aa", "next": "/referrals", "csrf_token": token},
    )  # fmt: skip
    assert response.status_code == 303
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "SameSite=Lax" in cookie and "HttpOnly" in cookie
    assert response.headers["Cache-Control"] == "no-store"


def test_a_page_that_reads_a_flash_message_is_not_cached(client):
    import re

    page = client.get("/resources/hawthorne-serenity-aa").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    data = {"id": "hawthorne-serenity-aa", "next": "/about", "csrf_token": token}
    assert client.post("/referrals/add", data=data).status_code == 303
    response = client.get("/about")  # shows, and so removes, the confirmation
    assert response.headers["Cache-Control"] == "no-store"
    assert "no-store" not in client.get("/about").headers.get("Cache-Control", "")


def test_behind_a_proxy_each_visitor_has_their_own_rate_limit(tmp_path, data_path):
    config = {"TESTING": True, "SECRET_KEY": "x", "DATA_PATH": str(data_path), "PROXY_COUNT": 1,
              "INDEX_DIR": str(tmp_path / "ix"), "RATE_LIMIT_SEARCH": "1 per minute"}  # fmt: skip
    client = create_app(config).test_client()
    first = {"X-Forwarded-For": "198.51.100.1"}
    assert client.get("/search?q=a", headers=first).status_code == 200
    assert client.get("/search?q=a", headers=first).status_code == 429
    assert client.get("/search?q=a", headers={"X-Forwarded-For": "198.51.100.2"}).status_code == 200


def test_making_the_app_leaves_the_command_modules_unimported():
    """A server start does not pay for the CLI's libraries (geocoding, HTTP, round-trip YAML)."""
    code = (
        "import sys\n"
        "from directory import create_app\n"
        "app = create_app({'TESTING': True, 'SECRET_KEY': 'x' * 64})\n"
        "print(sorted(m for m in ('directory.cli.data', 'directory.cli.maintenance', 'geopy',"
        " 'requests', 'ruamel.yaml') if m in sys.modules))\n"
        "print('validate' in app.cli.commands)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout.split("\n")
    assert out[:2] == ["[]", "True"]
