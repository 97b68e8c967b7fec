"""Reports from the public: storage, the form (Flask test client) and the reports command."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime

import pytest

from directory import create_app
from directory.maintenance.reports import (
    MAX_CONTACT,
    MAX_DETAILS,
    REPORT_ID,
    ReportNotFound,
    ReportsFull,
    ReportStore,
    SenderLimit,
    parse_form,
)


@pytest.fixture
def reports_dir(tmp_path):
    return tmp_path / "instance" / "reports"


def make_app(tmp_path, data_path, reports_dir, csrf: bool = False):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATA_PATH": str(data_path),
            "INDEX_DIR": str(tmp_path / "index"),
            "REPORTS_DIR": str(reports_dir),
            "WTF_CSRF_ENABLED": csrf,
        }
    )
    return app


@pytest.fixture
def app(tmp_path, data_path, reports_dir):
    return make_app(tmp_path, data_path, reports_dir)


URL = "/resources/eastside-bridge-clinic/report"
NOW = datetime(2026, 11, 28, 8, 36, 12, tzinfo=UTC)


def stored(reports_dir) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(reports_dir.glob("*.json"))]


# --- parsing and storage --------------------------------------------------------------------------


def test_parse_form_cleans_and_checks():
    values, errors = parse_form(
        {"reason": " moved ", "details": "Now at\r\n12 Oak St\x00\x1b[31m", "contact": "a\nb"}
    )
    assert errors == {}
    assert values == {"reason": "moved", "details": "Now at\n12 Oak St[31m", "contact": "a b"}


@pytest.mark.parametrize(
    "form, field",
    [
        ({}, "reason"),
        ({"reason": "spam"}, "reason"),
        ({"reason": "other"}, "details"),
        ({"reason": "other", "details": "   "}, "details"),
        ({"reason": "closed", "details": "x" * (MAX_DETAILS + 1)}, "details"),
        ({"reason": "closed", "contact": "x" * (MAX_CONTACT + 1)}, "contact"),
    ],
)
def test_parse_form_refuses(form, field):
    assert field in parse_form(form)[1]


def test_store_add_list_resolve(tmp_path):
    store = ReportStore(tmp_path / "reports")
    assert store.list() == [] and store.count_open() == 0
    first = store.add("a", "closed", "It closed in May.", "", now=NOW)
    second = store.add("b", "wrong-phone", now=NOW)
    assert REPORT_ID.match(first.id) and first.id.startswith("20261128T083612Z-")
    assert first.id != second.id
    assert first.created == "2026-11-28T08:36:12+00:00"
    assert [r.resource_id for r in store.list()] == sorted(
        ["a", "b"], key=lambda rid: {"a": first.id, "b": second.id}[rid]
    )
    done = store.resolve(first.id, now=NOW)
    assert (done.status, done.resolved) == ("resolved", "2026-11-28T08:36:12+00:00")
    assert [r.id for r in store.list()] == [second.id]
    assert {r.id for r in store.list(include_resolved=True)} == {first.id, second.id}
    assert store.get(first.id).status == "resolved"
    assert (tmp_path / "reports" / "resolved" / f"{first.id}.json").is_file()
    with pytest.raises(ReportNotFound):
        store.resolve(first.id)  # already resolved


@pytest.mark.parametrize("bad_id", ["", "../../etc/passwd", "20261128T083612Z-zzzzzzzz", "x" * 500])
def test_store_refuses_ids_that_are_not_report_ids(tmp_path, bad_id):
    store = ReportStore(tmp_path)
    with pytest.raises(ReportNotFound):
        store.resolve(bad_id)
    with pytest.raises(ReportNotFound):
        store.get(bad_id)


def test_store_archives_the_oldest_instead_of_refusing_new_reports(tmp_path):
    store = ReportStore(tmp_path, max_open=2)
    first = store.add("a", "closed", now=NOW)
    store.add("a", "moved", now=NOW.replace(second=13))
    third = store.add("a", "other", "x", now=NOW.replace(second=14))
    assert store.count_open() == 2
    assert [r.id for r in store.list()][-1] == third.id
    assert (tmp_path / "archived" / f"{first.id}.json").is_file()
    assert store.get(first.id).reason == "closed"  # kept, and still found
    assert len(store.list(include_resolved=True)) == 3
    store.resolve(first.id)  # an archived report can be resolved too
    with pytest.raises(ValueError):
        ReportStore(tmp_path / "b").add("a", "nonsense")
    with pytest.raises(ValueError):
        ReportStore(tmp_path / "b").add("a", "other", "x" * (MAX_DETAILS + 1))


def test_store_caps_each_sender_and_everyone_per_day(tmp_path):
    store = ReportStore(tmp_path, max_per_sender=2, max_per_day=3)
    store.add("a", "closed", sender="s1", now=NOW)
    store.add("a", "closed", sender="s1", now=NOW)
    with pytest.raises(SenderLimit):
        store.add("a", "closed", sender="s1", now=NOW)
    store.add("a", "closed", sender="s2", now=NOW)
    with pytest.raises(ReportsFull):
        store.add("a", "closed", sender="s3", now=NOW)
    assert store.day_full(NOW)
    counts = json.loads((tmp_path / ".senders" / "2026-11-28.json").read_text())
    assert counts == {"*": 3, "s1": 2, "s2": 1}
    tomorrow = NOW.replace(day=29)
    assert not store.day_full(tomorrow)
    store.add("a", "closed", sender="s1", now=tomorrow)
    assert sorted(p.name for p in (tmp_path / ".senders").glob("*.json")) == ["2026-11-29.json"]
    for report in stored(tmp_path):
        assert "s1" not in json.dumps(report)  # a report never names its sender


def test_broken_files_are_skipped_and_named(tmp_path):
    store = ReportStore(tmp_path)
    good = store.add("a", "closed")
    (tmp_path / "20260101T000000Z-00000000.json").write_text("{not json")
    (tmp_path / "20260101T000000Z-00000001.json").write_text('{"id": 5}')
    (tmp_path / "notes.json").write_text("{}")  # not a report file name: ignored
    assert [r.id for r in store.list()] == [good.id]
    assert [p.name for p in store.broken()] == [
        "20260101T000000Z-00000000.json",
        "20260101T000000Z-00000001.json",
    ]


# --- the form ------------------------------------------------------------------------------------


def test_form_shows_the_resource_and_reasons(client):
    response = client.get(URL + "?reason=moved")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Report a problem with this listing" in page and "Eastside Bridge Clinic" in page
    assert 'value="wrong-time"' in page
    assert re.search(r'value="moved" id="reason-moved" checked', page)
    assert "only if you want the maintainers to follow up" in page.lower()
    assert f'maxlength="{MAX_DETAILS}"' in page


@pytest.mark.parametrize("rid", ["no-such-thing", "closed-pantry", "..%2F..%2Fetc"])
def test_unknown_or_hidden_resource_is_404(client, rid):
    assert client.get(f"/resources/{rid}/report").status_code == 404
    assert client.post(f"/resources/{rid}/report", data={"reason": "closed"}).status_code == 404


def test_a_report_is_stored_without_anything_about_the_sender(client, reports_dir):
    response = client.post(
        URL,
        data={"reason": "wrong-phone", "details": "The number rings a fax.", "contact": "Sam"},
        headers={"User-Agent": "SecretBrowser/1.0", "X-Forwarded-For": "203.0.113.9"},
        environ_base={"REMOTE_ADDR": "198.51.100.7"},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == URL + "/thanks"
    [report] = stored(reports_dir)
    assert set(report) == {
        "id", "resource_id", "reason", "details", "contact", "created", "status", "resolved",
    }  # fmt: skip
    assert report["resource_id"] == "eastside-bridge-clinic"
    assert (report["reason"], report["details"], report["contact"]) == (
        "wrong-phone",
        "The number rings a fax.",
        "Sam",
    )
    raw = next(reports_dir.glob("*.json")).read_text()
    assert "198.51.100.7" not in raw and "203.0.113.9" not in raw and "SecretBrowser" not in raw
    thanks = client.get(URL + "/thanks")
    assert thanks.status_code == 200
    assert "Eastside Bridge Clinic" in thanks.get_data(as_text=True)


def test_a_post_without_the_csrf_token_is_refused(tmp_path, data_path, reports_dir):
    client = make_app(tmp_path, data_path, reports_dir, csrf=True).test_client()
    assert client.post(URL, data={"reason": "closed"}).status_code == 400
    assert not reports_dir.exists()
    page = client.get(URL).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(URL, data={"reason": "closed", "csrf_token": token})
    assert response.status_code == 303
    assert len(stored(reports_dir)) == 1


def test_bad_input_is_400_with_the_form_and_messages(client, reports_dir):
    response = client.post(
        URL, data={"reason": "bogus", "details": "<script>alert(1)</script>", "contact": "me"}
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert '<a href="#reason">Choose what is wrong with this listing.' in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
    assert 'value="me"' in page
    response = client.post(URL, data={"reason": "closed", "details": "x" * (MAX_DETAILS + 1)})
    assert response.status_code == 400
    assert f"under {MAX_DETAILS} characters" in response.get_data(as_text=True)
    assert not reports_dir.exists() or stored(reports_dir) == []


def test_oversized_post_is_refused_unread(client, reports_dir):
    response = client.post(URL, data={"reason": "closed", "details": "x" * 20_000})
    assert response.status_code == 413
    assert not reports_dir.exists()


def test_one_address_cannot_fill_the_box(app, client, reports_dir):
    app.config["REPORTS_PER_ADDRESS_PER_DAY"] = 2
    for _ in range(2):
        assert client.post(URL, data={"reason": "closed"}).status_code == 303
    response = client.post(URL, data={"reason": "moved", "details": "New place."})
    assert response.status_code == 429
    assert "you have sent us many reports today" in response.get_data(as_text=True)
    other = client.post(URL, data={"reason": "closed"}, environ_base={"REMOTE_ADDR": "192.0.2.8"})
    assert other.status_code == 303  # another sender is not turned away
    assert len(stored(reports_dir)) == 3
    counts = (reports_dir / ".senders").glob("*.json")
    assert all("127.0.0.1" not in p.read_text() and "192.0.2.8" not in p.read_text()
               for p in counts)  # fmt: skip


def test_a_full_day_is_a_friendly_503_and_a_full_inbox_is_not(app, client, reports_dir):
    app.config["REPORTS_MAX_OPEN"] = 1
    app.config["REPORTS_PER_DAY"] = 3
    for i in range(3):
        response = client.post(URL, data={"reason": "closed"},
                               environ_base={"REMOTE_ADDR": f"192.0.2.{i}"})  # fmt: skip
        assert response.status_code == 303
    assert len(stored(reports_dir)) == 1 and len(list((reports_dir / "archived").glob("*"))) == 2
    response = client.post(URL, data={"reason": "moved", "details": "New place."})
    assert response.status_code == 503
    assert "We cannot take new reports right now" in response.get_data(as_text=True)
    assert client.get(URL).status_code == 503


def test_unwritable_report_folder_is_503(app, client, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    app.config["REPORTS_DIR"] = str(blocker)
    response = client.post(URL, data={"reason": "closed"})
    assert response.status_code == 503


# --- the reports command --------------------------------------------------------------------------


def test_reports_command_lists_and_resolves(runner, reports_dir, data_path):
    store = ReportStore(reports_dir)
    first = store.add("eastside-bridge-clinic", "wrong-time", "Closes at 4\non Fridays", "Sam")
    gone = store.add("demolished-place", "closed")
    result = runner.invoke(args=["reports"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert f"{first.id}  open  received {first.created}" in out
    assert f"resource 'eastside-bridge-clinic' (Eastside Bridge Clinic, {data_path}:" in out
    assert "what: A time is wrong" in out
    assert "details: Closes at 4\n           on Fridays" in out
    assert "contact: Sam" in out
    assert "resource 'demolished-place' (no longer in the file)" in out
    assert out.endswith("2 open report(s)\n")

    result = runner.invoke(args=["reports", "--resolve", first.id])
    assert result.exit_code == 0 and f"resolved {first.id}" in result.output
    listed = json.loads(runner.invoke(args=["reports", "--format", "json"]).output)
    assert [r["id"] for r in listed] == [gone.id]
    listed = json.loads(runner.invoke(args=["reports", "--format", "json", "--all"]).output)
    assert {r["id"]: r["status"] for r in listed} == {first.id: "resolved", gone.id: "open"}


def test_reports_resolve_unknown_id_fails(runner, reports_dir):
    result = runner.invoke(args=["reports", "--resolve", "20260101T000000Z-deadbeef"])
    assert result.exit_code == 1
    assert "no open report '20260101T000000Z-deadbeef'" in result.output


def test_reports_csv_neutralises_formulas(runner, reports_dir):
    ReportStore(reports_dir).add("a", "other", '=HYPERLINK("http://evil")', "+1 503 555 0100")
    result = runner.invoke(args=["reports", "--format", "csv"])
    assert result.exit_code == 0
    rows = list(csv.reader(io.StringIO(result.output)))
    assert rows[0] == [
        "id", "status", "created", "resolved", "resource_id", "reason", "details", "contact",
    ]  # fmt: skip
    assert rows[1][6] == '\'=HYPERLINK("http://evil")'
    assert rows[1][7] == "'+1 503 555 0100"


def test_reports_command_with_no_reports(runner):
    result = runner.invoke(args=["reports"])
    assert result.exit_code == 0
    assert result.output == "0 open report(s)\n"


def test_a_report_about_an_imported_meeting_names_its_feed_file(runner, reports_dir, data_path):
    """An imported meeting is in data/feeds/<name>.yaml: the report says so, with its line."""
    data_path.write_text(
        data_path.read_text()
        + "feeds:\n  - {name: east, url: 'https://feeds.example.org/e.json', fellowship: AA,"
        " prefix: ea}\n"
    )
    feed = data_path.parent / "feeds" / "east.yaml"
    feed.parent.mkdir()
    feed.write_text(
        "format: 1\nfeed: {name: east}\nresources:\n"
        "- id: ea-one\n  name: Feed Group\n  category: meeting\n  fellowship: AA\n"
        "  online: {url: 'https://meet.example.org/1'}\n"
        "  schedule:\n  - {days: [mon], start: '19:00'}\n"
    )
    ReportStore(reports_dir).add("ea-one", "closed")
    result = runner.invoke(args=["reports"])
    assert result.exit_code == 0, result.output
    assert f"resource 'ea-one' (Feed Group, {feed}:4)" in result.output
