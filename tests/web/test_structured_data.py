"""schema.org JSON-LD on listing pages and the Meeting Guide discovery link (every page).

The JSON-LD is read back out of the served HTML with a real HTML parser, then checked against
what schema.org's types need to be useful (the properties search engines require of an Event,
a LocalBusiness, a Schedule, an OpeningHoursSpecification, a VirtualLocation).
"""

from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest

from directory.datafile.load import load_catalog
from tests.browser import live_server, needs_chromium
from tests.conftest import SAMPLE

REQUIRED = {
    "Event": {"name", "startDate", "location", "eventSchedule", "eventAttendanceMode", "url"},
    "Schedule": {"repeatFrequency", "byDay", "startTime", "endTime", "scheduleTimezone"},
    "VirtualLocation": {"url"},
    "Place": {"address"},
    "PostalAddress": {"addressLocality"},
    "LocalBusiness": {"name", "address", "url"},
    "MedicalClinic": {"name", "address", "url"},
    "Organization": {"name"},
    "OpeningHoursSpecification": {"dayOfWeek", "opens", "closes"},
    "GeoCoordinates": {"latitude", "longitude"},
}
DAYS = {f"https://schema.org/{d}" for d in
        ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")}  # fmt: skip


class _Head(HTMLParser):
    def __init__(self):
        super().__init__()
        self.json_ld: list[str] = []
        self.links: list[dict] = []
        self._in_ld = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and attrs.get("type") == "application/ld+json":
            self._in_ld = True
            self.json_ld.append("")
        if tag == "link":
            self.links.append(attrs)

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_ld = False

    def handle_data(self, data):
        if self._in_ld:
            self.json_ld[-1] += data


def _read(html: str) -> _Head:
    parser = _Head()
    parser.feed(html)
    return parser


def check_node(node) -> int:
    """Check every typed node for its required properties; return how many were checked."""
    if isinstance(node, list):
        return sum(check_node(n) for n in node)
    if not isinstance(node, dict):
        return 0
    count = 0
    kind = node.get("@type")
    if kind is not None:
        assert kind in REQUIRED, kind
        missing = REQUIRED[kind] - {k for k, v in node.items() if v not in (None, "", [])}
        assert not missing, (kind, missing)
        count += 1
    for key in ("byDay", "dayOfWeek"):
        if key in node:
            assert node[key] in DAYS
    return count + sum(check_node(v) for k, v in node.items() if k != "@context")


@pytest.fixture(scope="module")
def client(sample_app):
    return sample_app.test_client()


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(SAMPLE)


def test_every_listing_page_carries_complete_json_ld(client, catalog):
    kinds = set()
    for resource in catalog.active():
        html = client.get(f"/resources/{resource.id}").text
        (text,) = _read(html).json_ld
        data = json.loads(text)
        assert data["@context"] == "https://schema.org" and data["name"] == resource.name
        assert check_node(data) >= 1
        kinds.add(data["@type"])
        if resource.is_meeting and resource.attendance == "online":
            assert data["location"]["@type"] == "VirtualLocation"
        if resource.is_meeting and resource.schedule:
            assert len(data["eventSchedule"]) == len(resource.schedule.windows)
        if not resource.is_meeting and resource.location and resource.schedule:
            assert len(data["openingHoursSpecification"]) == len(resource.schedule.windows)
        if resource.location and resource.location.approximate:
            assert "streetAddress" not in text and "geo" not in data
    assert kinds == {"Event", "MedicalClinic", "LocalBusiness", "Organization"}


def test_json_ld_cannot_close_its_script_element():
    from directory.formats.schema_org import script_text  # noqa: PLC0415

    text = script_text({"name": "</script><script>alert(1)</script>"})
    assert "</" not in text and "<script" not in text
    assert json.loads(text)["name"] == "</script><script>alert(1)</script>"


def test_every_page_has_the_meeting_guide_discovery_link(client):
    for path in ("/", "/search?q=aa", "/resources/parents-al-anon", "/about"):
        links = _read(client.get(path).text).links
        feed = [link for link in links if link.get("rel") == "alternate" and "type" in link]
        assert feed == [
            {
                "rel": "alternate",
                "type": "application/json",
                "title": "Meetings Feed",
                "href": "http://localhost/api/v1/meetings.json",
            }
        ]


@needs_chromium
def test_json_ld_breaks_no_content_security_policy_in_a_real_browser(browser, sample_app):
    """Chromium reports no CSP violation on a meeting page and a clinic page."""
    with live_server(sample_app) as base:
        page = browser.new_page()
        violations: list[str] = []
        page.on(
            "console",
            lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
        )
        for path in ("/resources/parents-al-anon", "/resources/eastside-opioid-treatment-program"):
            page.goto(base + path)
            page.wait_for_load_state("load")
            found = page.evaluate(
                "JSON.parse(document.querySelector('script[type=\"application/ld+json\"]')"
                ".textContent)"
            )
            assert found["@context"] == "https://schema.org"
        # The check can fail: an inline script on the same page is refused and reported.
        page.evaluate(
            "() => { const s = document.createElement('script'); s.textContent = '1'; "
            "document.body.appendChild(s); }"
        )
        page.wait_for_timeout(200)
        page.close()
    assert len(violations) == 1 and "script-src" in violations[0]
