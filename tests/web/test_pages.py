"""Public pages through the test client."""

from __future__ import annotations

import pytest
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


def test_home_has_search_paths_and_help_now(client):
    page = client.get("/").get_data(as_text=True)
    assert 'name="q"' in page and 'name="near"' in page
    for words in ("Meetings today", "Medication for opioid use", "Detox and treatment",
                  "A place to live", "Food", "Faith-based support", "Someone to talk to",
                  "Help right now"):  # fmt: skip
        assert words in page
    assert "given only at licensed opioid treatment programs" in page  # methadone, explained


def test_search_near_a_zip_sorts_by_distance_and_keeps_online(client):
    response = client.get("/search?near=97214&radius=5&category=meeting&sort=distance")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "2 results near 97214 (Portland, OR)" in page
    assert page.index("Hawthorne Serenity Group") < page.index("Dawn Patrol NA")
    assert "0.5 mi" in page


def test_search_text_with_synonym(client):
    page = client.get("/search?q=suboxone").get_data(as_text=True)
    assert "Eastside Bridge Clinic" in page
    assert "Hawthorne Serenity Group" not in page


def test_facets_are_checkboxes_with_counts(client):
    page = client.get("/search?category=meeting").get_data(as_text=True)
    assert 'name="fellowship" value="AA"> AA <span class="count">(1)</span>' in page
    page = client.get("/search?category=meeting&fellowship=NA").get_data(as_text=True)
    assert "Dawn Patrol NA" in page and "Hawthorne Serenity Group" not in page
    assert 'name="fellowship" value="NA" checked' in page


def test_empty_state_is_honest_and_helpful(client):
    page = client.get("/search?near=97214&radius=1&category=food").get_data(as_text=True)
    assert "0 results" in page
    assert "No food listings within 1 miles of 97214 (Portland, OR)." in page
    assert "remove the filters" in page


def test_empty_radius_counts_what_is_farther(client):
    page = client.get("/search?near=97214&radius=1&category=mat").get_data(as_text=True)
    assert "Eastside Bridge Clinic" in page  # nearest beyond the radius, marked
    assert "farther than you asked" in page


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("near=xyzzy", "We could not find"),
        ("near=91,181", "We could not find"),
        ("category=nope", "must be one of"),
        ("radius=0&near=97214", "more than 0"),
        ("radius=5", "needs a place"),
        ("radius=abc&near=97214", "must be a number"),
        ("per_page=0", "between 1 and 100"),
        ("per_page=10000", "between 1 and 100"),
        ("page=-1", "must be from 1 to 500"),
        ("open_now=maybe", "must be true or false"),
        ("at=yesterday", "must be a date and time"),
        ("at=2026-11-28T19:00:00", "UTC offset"),
        ("q=" + "x" * 2001, "must be at most 2000 characters"),
        ("day=funday", "must be one of"),
    ],
)
def test_bad_search_input_is_a_400_with_what_to_fix(client, query, words):
    response = client.get("/search?" + query)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert words in page
    assert 'name="q"' in page  # the form is shown again


@pytest.mark.parametrize(
    "q",
    ['"', "((", "AND OR NOT", "*", "a:b", "title:(x OR y)", "💊🙏" * 50, "x" * 2000,
     "<script>alert(1)</script>", "'; DROP TABLE resources; --", "\u202e\u200b", "%00"],
)  # fmt: skip
def test_hostile_text_gives_a_sensible_page(client, q):
    response = client.get("/search", query_string={"q": q})
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.get_data(as_text=True)


def test_pagination_links_keep_the_filters(client):
    page = client.get("/search?per_page=1&category=meeting").get_data(as_text=True)
    assert "Page 1 of 2" in page
    assert "category=meeting" in page.split('rel="next"')[0].rsplit("href=", 1)[1]


def test_base_url_is_used_for_absolute_links(tmp_path, data_path):
    from directory import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "x", "DATA_PATH": str(data_path),
                      "INDEX_DIR": str(tmp_path / "ix"),
                      "BASE_URL": "https://help.example.org/"})  # fmt: skip
    page = app.test_client().get("/search?q=serenity").get_data(as_text=True)
    assert 'href="https://help.example.org/resources/hawthorne-serenity-aa"' in page


def test_words_about_time_and_place_become_filters_a_person_can_see(client):
    page = client.get(
        "/search",
        query_string={"q": "na meeting tonight near 97214", "at": "2026-11-30T12:00:00-08:00"},
    ).get_data(as_text=True)
    assert "Showing NA, meetings, near 97214 (Portland, OR), tonight." in page  # said back
    for chip in ("NA", "Meetings", "Tonight", "Near 97214 (Portland, OR)"):
        assert 'class="chip" href="/search?' in page and f">{chip}<span" in page
    assert 'name="category" value="meeting" checked' in page
    assert 'name="day" value="mon" checked' in page
    assert 'id="q" name="q" value="na meeting tonight near 97214"' in page  # as typed
    assert 'name="fellowship" value="NA" checked' in page
    assert 'id="near" name="near" value="97214"' in page
    # No NA meeting tonight: never a dead end, the next online meeting is offered instead.
    assert "0 results" in page and "The next online meeting" in page
    assert page.index("The next online meeting") < page.index("Dawn Patrol NA")
