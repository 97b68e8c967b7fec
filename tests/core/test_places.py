"""Offline place resolution: coordinates, ZIP codes, cities and the directory's regions."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from directory.core.geo import haversine_miles, is_valid_lat, is_valid_lon
from directory.core.places import (
    MAX_PLACE_LENGTH,
    Gazetteer,
    Place,
    PlaceNotFound,
    zip_point,
)

REGIONS = {
    "Hawthorne": (45.512, -122.630),
    "St. Johns": (45.590, -122.750),
    "Downtown / Old Town": (45.522, -122.676),
}


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer(REGIONS, default_state="OR")


def near(place: Place, lat: float, lon: float, miles: float) -> bool:
    return haversine_miles(place.lat, place.lon, lat, lon) <= miles


def test_zip_code(gazetteer):
    place = gazetteer.resolve("97214")
    assert place.kind == "zip"
    assert place.label == "97214 (Portland, OR)"
    assert near(place, 45.51, -122.64, 1)
    assert gazetteer.resolve(" 97214-1234 ") == place
    assert gazetteer.resolve("97214 1234") == place
    assert gazetteer.resolve("Portland, OR 97214") == place


@pytest.mark.parametrize(
    "text", ["Portland, OR", "portland or", "PORTLAND, Oregon", "Portland,OR.", "Portland"]
)
def test_city_and_state(gazetteer, text):
    place = gazetteer.resolve(text)
    assert (place.label, place.kind) == ("Portland, OR", "city")
    assert near(place, 45.52, -122.65, 3)


def test_same_city_name_in_another_state(gazetteer):
    place = gazetteer.resolve("Portland, Maine")
    assert place.label == "Portland, ME"
    assert near(place, 43.66, -70.26, 5)


def test_bare_city_prefers_the_directory_state():
    assert Gazetteer(default_state="OR").resolve("Springfield").label == "Springfield, OR"
    # With no directory state, the state where the name has the most ZIP codes wins.
    assert Gazetteer().resolve("Springfield").label in {"Springfield, MA", "Springfield, IL"}
    assert Gazetteer(default_state="ME").resolve("Portland").label == "Portland, ME"
    assert Gazetteer().resolve("Portland").label == "Portland, OR"


def test_town_near_the_directory(gazetteer):
    place = gazetteer.resolve("Gresham")
    assert place.label == "Gresham, OR"
    assert near(place, 45.50, -122.43, 4)


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("St. Louis, MO", "Saint Louis, MO"),
        ("saint louis missouri", "Saint Louis, MO"),
        ("Ft Worth TX", "Fort Worth, TX"),
        ("Bozeman MT", "Bozeman, MT"),  # MT is Montana here, not "Mount"
        ("Mt. Vernon, WA", "Mount Vernon, WA"),
        ("Coeur d'Alene, ID", "Coeur D Alene, ID"),
        ("Washington, DC", "Washington, DC"),
        ("New York, New York", "New York, NY"),
        ("San José, CA", "San Jose, CA"),
    ],
)
def test_city_spellings(gazetteer, text, label):
    assert gazetteer.resolve(text).label == label


def test_regions_of_the_directory(gazetteer):
    place = gazetteer.resolve("hawthorne")
    assert place == Place("Hawthorne", 45.512, -122.630, "region")
    assert gazetteer.resolve("ST JOHNS").label == "St. Johns"
    assert gazetteer.resolve("St Johns").label == "St. Johns"
    assert gazetteer.resolve("downtown old town").label == "Downtown / Old Town"
    # A region is the directory's own word, so it wins over a town elsewhere of the same name.
    assert Gazetteer().resolve("Hawthorne").kind == "city"


def test_regions_with_bad_centres_are_left_out():
    gazetteer = Gazetteer({"Nowhere": (91.0, 0.0), "!!!": (45.0, -122.0)})
    with pytest.raises(PlaceNotFound):
        gazetteer.resolve("Nowhere")


@pytest.mark.parametrize(
    "text",
    ["45.52,-122.65", "45.52, -122.65", " 45.52 -122.65 ", "45.52°, -122.65°", "+45.52,-122.65"],
)
def test_coordinates(gazetteer, text):
    assert gazetteer.resolve(text) == Place("45.5200, -122.6500", 45.52, -122.65, "coordinates")


def test_coordinates_at_the_limits(gazetteer):
    assert gazetteer.resolve("-90, 180").lat == -90.0
    assert gazetteer.resolve("0, 0").kind == "coordinates"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("91,181", "Latitude must be between -90 and 90"),
        ("-90.5, 10", "Latitude must be between -90 and 90"),
        ("45, 181", "Longitude must be between -180 and 180"),
        ("45.52, -222.65", "Longitude must be between -180 and 180"),
        ("99999", "We do not know the ZIP code 99999"),
        ("00000", "We do not know the ZIP code 00000"),
        ("", "Type a place to search near"),
        ("   \t\n ", "Type a place to search near"),
        ("x" * 2000, "too long"),
        ("Xyzzy", 'We could not find "Xyzzy". Try a ZIP code (97214), a city and state'),
        ("999999", 'We could not find "999999"'),
        ("😀🏠", 'We could not find "😀🏠"'),
        ("'; DROP TABLE resources; --", "We could not find"),
        ("\x00\x1b[31m\u202eevil", 'We could not find "[31m evil"'),  # controls never echoed
        ("nan, nan", "We could not find"),
        ("inf, -inf", "We could not find"),
        ("1e3, 2", "We could not find"),
        ("12 34", "We could not find"),  # two whole numbers: more likely a typo than a place
        ("Portland, ZZ", "We could not find"),
        ("Gresham, NY", "We could not find"),
        ("<script>alert(1)</script>", "We could not find"),
        ("../../etc/passwd", "We could not find"),
    ],
)
def test_hostile_and_unknown_input(gazetteer, text, says):
    with pytest.raises(PlaceNotFound) as caught:
        gazetteer.resolve(text)
    assert says in str(caught.value)
    assert "\x00" not in str(caught.value) and "\x1b" not in str(caught.value)
    assert len(str(caught.value)) < 300


@pytest.mark.parametrize("value", [None, 97214, 45.52, b"97214", ["97214"]])
def test_not_text(gazetteer, value):
    with pytest.raises(PlaceNotFound):
        gazetteer.resolve(value)


def test_length_cap(gazetteer):
    gazetteer.resolve(" " * (MAX_PLACE_LENGTH - 5) + "97214")
    with pytest.raises(PlaceNotFound, match="too long"):
        gazetteer.resolve(" " * (MAX_PLACE_LENGTH - 4) + "97214")


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=150))
def test_any_text_gives_a_place_or_place_not_found(gazetteer, text):
    try:
        place = gazetteer.resolve(text)
    except PlaceNotFound as error:
        assert str(error)
    else:
        assert is_valid_lat(place.lat) and is_valid_lon(place.lon) and place.label


@settings(max_examples=100, deadline=None)
@given(
    text=st.from_regex(
        r"[ ]?[+-]?[0-9]{1,4}(\.[0-9]{1,6})?[ ]?[, ][ ]?[+-]?[0-9]{1,4}(\.[0-9]{1,6})?"
    )
)
def test_number_pairs_never_give_an_invalid_point(gazetteer, text):
    try:
        place = gazetteer.resolve(text)
    except PlaceNotFound:
        return
    assert -90 <= place.lat <= 90 and -180 <= place.lon <= 180


def test_zip_point():
    lat, lon = zip_point("97214")
    assert abs(lat - 45.51) < 0.02 and abs(lon + 122.64) < 0.02
    assert zip_point("87102") == pytest.approx((35.08, -106.65), abs=0.02)
    assert zip_point("97214-1234") == zip_point("97214")
    for bad in ("99999", "9721", "972145", "abcde", "", " " * 100, None, 97214, "09000"):
        assert zip_point(bad) is None  # 09000 is a military post office with no position


def test_nothing_is_loaded_at_import():
    code = "import sys, directory.core.places; print('zipcodes' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
