"""What the format tests share: a catalog with the cases an export has to get right."""

from __future__ import annotations

from pathlib import Path

import pytest

from directory.datafile.load import load_catalog
from tests.conftest import FIXTURES

# Meetings and services with the cases an export has to get right.
EDGES = """\
format: 1
directory:
  name: Edge Directory
  timezone: America/Los_Angeles
  country: US
locations:
  church:
    name: First Church
    address: 10 Main St
    address_2: Room 4
    city: Portland
    state: OR
    postal_code: "97204"
    lat: 45.52
    lon: -122.67
    notes: Side door
resources:
  - id: closed-online
    name: Closed Building Still Online
    category: meeting
    fellowship: AA
    status: temporarily-closed
    types: [O]
    location: church
    online: {url: "https://meet.example/abc", notes: "Code 123"}
    schedule: [{days: [tue], start: "12:00"}]
  - id: closed-only
    name: Closed Building
    category: meeting
    fellowship: AA
    status: temporarily-closed
    location: church
    schedule: [{days: [thu], start: "12:00"}]
  - id: hybrid-spanish
    name: Grupo Hibrido
    category: meeting
    fellowship: AA
    types: [C]
    languages: [es]
    location: church
    online: {phone: "+1 503 555 0100", notes: "PIN 9"}
    schedule:
      - {days: [sat], start: "23:00", end: "01:00"}
      - {days: [sat], start: "09:00"}
  - id: by-appointment
    name: Step Sponsorship Circle
    category: meeting
    fellowship: NA
    location:
      city: Gresham
      state: OR
      region: East County
      approximate: true
      lat: 45.5
      lon: -122.43
  - id: shelter
    name: Night Shelter
    category: housing
    organization: Harbor Services
    phone: (503) 555-0101
    text: "503-555-0102"
    location:
      city: Portland
      state: OR
      approximate: true
      lat: 45.5
      lon: -122.6
    schedule: [{days: daily, start: "00:00", end: "24:00"}]
    services: [shelter]
    populations: [men]
    eligibility: Sober on arrival
  - id: pantry
    name: Church Pantry
    category: food
    organization: Harbor Services
    location: church
    schedule: [{days: [mon, wed], start: "10:00", end: "14:00"}]
    payment: [free]
    last_verified: 2026-09-01
  - id: telehealth
    name: Video Counseling
    category: counseling
    online: {url: "https://tele.example/", phone: "503-555-0103"}
    hours_notes: By appointment
    languages: [en, es]
  - id: gone
    name: Gone Clinic
    category: mat
    status: inactive
"""


def url_of(resource) -> str:
    return f"https://directory.example/resources/{resource.id}"


@pytest.fixture
def edges(tmp_path):
    path = tmp_path / "edges.yaml"
    path.write_text(EDGES)
    return load_catalog(path)


@pytest.fixture
def minimal():
    return load_catalog(FIXTURES / "minimal.yaml")


def by_slug(feed: list[dict]) -> dict[str, dict]:
    return {r["slug"]: r for r in feed}


def write_catalog_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "again.yaml"
    path.write_text(text)
    return path
