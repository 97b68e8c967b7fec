"""Calendar subscriptions (web/calendars.py): stable, cacheable, with nothing about the person."""

from __future__ import annotations

import pytest
from icalendar import Calendar

from directory.formats.common import slugify


@pytest.fixture(scope="module")
def client(sample_app):
    return sample_app.test_client()


def _events(response):
    assert response.status_code == 200, response.data[:200]
    assert response.mimetype == "text/calendar"
    return Calendar.from_ical(response.data)


def test_a_fellowship_calendar_has_every_time_of_its_meetings_only(client, sample_app):
    calendar = _events(client.get("/calendars/fellowships/al-anon.ics"))
    events = calendar.walk("VEVENT")
    assert events and all("Al-Anon" in str(e["description"]) for e in events)
    assert str(calendar["x-wr-calname"]).startswith("Al-Anon meetings")
    assert (
        "REFRESH-INTERVAL;VALUE=DURATION:PT12H"
        in client.get("/calendars/fellowships/al-anon.ics").text
    )


def test_group_and_venue_calendars(client):
    from directory.datafile.load import load_catalog  # noqa: PLC0415
    from tests.conftest import SAMPLE  # noqa: PLC0415

    catalog = load_catalog(SAMPLE)
    grouped = next(r for r in catalog.active() if r.is_meeting and r.group and r.schedule)
    events = _events(client.get(f"/calendars/groups/{slugify(grouped.group)}.ics")).walk("VEVENT")
    assert {str(e["uid"]).split("-")[0] for e in events} >= {grouped.id.split("-")[0]}
    shared = next(
        r for r in catalog.active() if r.is_meeting and r.location and r.location.id and r.schedule
    )
    at = [
        r
        for r in catalog.active()
        if r.is_meeting and r.location and r.location.id == shared.location.id
        and r.schedule and r.attendance != "inactive"
    ]  # fmt: skip
    events = _events(client.get(f"/calendars/places/{shared.location.id}.ics")).walk("VEVENT")
    masters = {str(e["uid"]) for e in events if "recurrence-id" not in e}
    assert len(masters) == sum(len(r.schedule.windows) for r in at)
    assert client.get("/calendars/places/nowhere.ics").status_code == 404
    assert client.get("/calendars/groups/nobody.ics").status_code == 404


def test_a_saved_search_is_a_calendar(client):
    calendar = _events(client.get("/calendars/search.ics?fellowship=NA&day=sat"))
    events = calendar.walk("VEVENT")
    assert events and all("Narcotics Anonymous" in str(e["description"]) for e in events)
    assert client.get("/calendars/search.ics?radius=-1&near=97214").status_code == 400


def test_subscriptions_are_cacheable_and_carry_nothing_personal(client):
    first = client.get("/calendars/fellowships/na.ics")
    assert "public" in first.headers["Cache-Control"] and first.headers["ETag"]
    assert "Set-Cookie" not in first.headers
    again = client.get("/calendars/fellowships/na.ics")
    assert again.data == first.data  # the same data gives the same bytes
    cached = client.get(
        "/calendars/fellowships/na.ics", headers={"If-None-Match": first.headers["ETag"]}
    )
    assert cached.status_code == 304


def test_a_meeting_page_offers_webcal_subscriptions(client):
    page = client.get("/resources/parents-al-anon").text
    assert 'href="webcal://localhost/calendars/fellowships/al-anon.ics"' in page


def test_a_fellowship_too_large_for_one_calendar_is_not_offered(client, monkeypatch):
    """A national fellowship's tens of thousands of meetings: refused in plain words, and its
    meetings' pages offer their group's and place's calendars only."""
    from directory.datafile.load import load_catalog  # noqa: PLC0415
    from directory.web import calendars  # noqa: PLC0415
    from tests.conftest import SAMPLE  # noqa: PLC0415

    catalog = load_catalog(SAMPLE)

    def meetings(fellowship):
        return [
            r
            for r in catalog.resources
            if r.fellowship == fellowship and calendars._in_calendars(r)
        ]

    na, al_anon = meetings("NA"), meetings("Al-Anon")
    assert "/calendars/fellowships/na.ics" in client.get("/resources/midnight-madness").text
    monkeypatch.setattr(calendars, "MAX_FELLOWSHIP_MEETINGS", len(na) - 1)
    assert len(al_anon) <= len(na) - 1
    refused = client.get("/calendars/fellowships/na.ics")
    assert refused.status_code == 404 and refused.mimetype == "text/plain"
    assert "more meetings here than one calendar can hold" in refused.text
    page = client.get("/resources/midnight-madness").text
    assert "/calendars/fellowships/na.ics" not in page
    assert "webcal://" in page  # its group's or place's calendar is still offered
    assert client.get("/calendars/fellowships/al-anon.ics").status_code == 200  # within the cap
    assert "/calendars/fellowships/al-anon.ics" in client.get("/resources/parents-al-anon").text
