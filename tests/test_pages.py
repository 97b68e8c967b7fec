"""Public pages through the test client."""

from __future__ import annotations

from icalendar import Calendar


def test_resource_page_shows_the_record(client):
    response = client.get("/resources/hawthorne-serenity-aa")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<h1>Hawthorne Serenity Group</h1>" in page
    assert "Mondays, Wednesdays and Fridays" in page
    assert "Anyone is welcome" in page  # O explained for AA
    assert "St. Mark&#39;s Parish Hall" in page
    assert "openstreetmap.org" in page and "google.com/maps" in page and "maps.apple.com" in page
    assert 'rel="noopener noreferrer"' in page
    assert "/resources/hawthorne-serenity-aa.ics" in page
    assert "Report a problem with this listing" in page


def test_clinic_page_has_call_link_and_medications(client):
    page = client.get("/resources/eastside-bridge-clinic").get_data(as_text=True)
    assert 'href="tel:5032384410"' in page
    assert "Buprenorphine" in page and "Many doctors and clinics" in page
    assert "Spanish" in page
    assert "Add to calendar" not in page


def test_inactive_and_unknown_resources_are_not_found(client):
    assert client.get("/resources/closed-pantry").status_code == 404
    assert client.get("/resources/nope").status_code == 404
    assert client.get("/resources/%3Cscript%3E").status_code == 404
    assert client.get("/resources/" + "a" * 5000).status_code == 404


def test_calendar_download(client):
    response = client.get("/resources/hawthorne-serenity-aa.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert "attachment" in response.headers["Content-Disposition"]
    calendar = Calendar.from_ical(response.data)
    assert len(calendar.walk("VEVENT")) == 3
    assert client.get("/resources/eastside-bridge-clinic.ics").status_code == 404
