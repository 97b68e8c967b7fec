"""Health and readiness."""

from __future__ import annotations

from directory import create_app


def test_healthz(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_readyz_reports_the_data(client, app):
    body = client.get("/readyz").get_json()
    assert body["status"] == "ok"
    assert body["resources"] == 3
    assert len(body["fingerprint"]) == 64
    assert body["data_file_age_seconds"] >= 0
    assert body["last_refused"] is None


def test_readyz_unavailable_without_good_data(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("not: [valid\n")
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "DATA_PATH": str(path),
                      "INDEX_DIR": str(tmp_path / "ix")})  # fmt: skip
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "unavailable"
    assert app.test_client().get("/healthz").status_code == 200
