"""The map: its view of a search and of a listing, the offline outlines, the operator's tiles.

Everything a map shows comes from this origin (and the operator's own tile origin, if one is
set). The outlines' bounding box and the tile byte ranges travel in the query string and the
Range header, which the logs never hold, so no position a person looked at is written down.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

from flask import Blueprint, Flask, abort, current_app, jsonify, request, send_file

from directory.config import ConfigError
from directory.core.geo import BoundingBox
from directory.maps import outlines, static_map, tiles
from directory.maps.static_map import Pin
from directory.web.security import rate_limit

log = logging.getLogger(__name__)
bp = Blueprint("maps", __name__)
VIEWS = ("list", "map")
MAX_BOX_DEGREES = 90.0  # wider than the US with Alaska: nothing more to show
OUTLINE_PIXELS = 1500  # the outlines for a box are thinned to about this many points across
OUTLINES_MAX_AGE = 7 * 24 * 3600  # the outlines change only with a release
TILES_MAX_AGE = 24 * 3600


def view() -> str:
    """Return the results view asked for: `map`, or else `list` (anything else is ignored)."""
    return "map" if request.args.get("view") == "map" else "list"


def search_map(data: dict) -> dict:
    """Return the map view of a search: numbered pins, the server's drawing, the script's data.

    Pins are the located results of this page, numbered in list order; the cards show the
    same numbers.
    """
    pins = []
    for result in data["results"]:
        point = result.get("point")
        if point is None:
            continue
        pins.append(Pin(number=len(pins) + 1, lat=point["lat"], lon=point["lon"],
                        approximate=result["approximate"], name=result["name"],
                        target=f"r-{result['id']}"))  # fmt: skip
    near = data["near"]
    place = (near["lat"], near["lon"]) if near else None
    drawing = static_map.draw(pins, place, outlines.shipped())
    return {
        "pins": pins,
        "numbers": {p.target[2:]: p.number for p in pins},
        "drawing": drawing,
        "online": sum(1 for r in data["results"] if r.get("point") is None),
        "script": {
            "pins": [
                {
                    "n": p.number,
                    "name": p.name,
                    "lat": p.lat,
                    "lon": p.lon,
                    "approximate": p.approximate,
                    "card": p.target,
                }
                for p in pins
            ],
            "place": None if near is None else {"lat": near["lat"], "lon": near["lon"]},
            "tiles": tiles_for_script(),
        },
    }


def listing_map(detail: dict) -> dict | None:
    """Return the small map of a listing's place, or None when it has no point to show."""
    point = detail.get("point")
    if point is None:
        return None
    pin = Pin(number=1, lat=point["lat"], lon=point["lon"], approximate=detail["approximate"],
              name=detail["name"])  # fmt: skip
    drawing = static_map.draw(
        [pin],
        None,
        outlines.shipped(),
        static_map.SMALL_WIDTH,
        static_map.SMALL_HEIGHT,
        static_map.LISTING_SPAN_MILES,
    )
    return {"pin": pin, "drawing": drawing}


def tiles_for_script() -> dict | None:
    """Return the tile source the browser map draws under the pins, or None (outlines only)."""
    source = current_app.extensions["directory.map_tiles"]
    if source is None:
        return None
    return {"kind": source.kind, "url": source.url, "attribution": source.attribution,
            "max_zoom": source.max_zoom}  # fmt: skip


def parse_box(text: str) -> BoundingBox | None:
    """Return the box "west,south,east,north" names, or None when it is not a usable box."""
    parts = text.split(",")
    if len(parts) != 4 or len(text) > 100:
        return None
    try:
        west, south, east, north = (float(p) for p in parts)
    except ValueError:
        return None
    if not all(math.isfinite(v) for v in (west, south, east, north)):
        return None
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        return None
    if east - west > MAX_BOX_DEGREES or north - south > MAX_BOX_DEGREES:
        return None
    return BoundingBox(south=south, west=west, north=north, east=east)


@bp.get("/map/outlines.json")
@rate_limit("api")  # cutting lines to a box costs up to tens of milliseconds: bounded per client
def outlines_json():
    """The offline base within a box: state and county lines as [lat, lon] lists, and labels."""
    box = parse_box(request.args.get("bbox", ""))
    if box is None:
        body = {"error": {"status": 400, "title": "Something in the request was not right",
                          "message": "bbox must be west,south,east,north in degrees, at most"
                          f" {MAX_BOX_DEGREES:g} degrees across", "parameter": "bbox"}}  # fmt: skip
        return jsonify(body), 400
    part = outlines.within(outlines.shipped(), box, (box.east - box.west) / OUTLINE_PIXELS)

    def lines(found):
        return [[[round(lat, 4), round(lon, 4)] for lon, lat in line] for line in found]

    response = jsonify(
        {
            "states": lines(part.states),
            "counties": lines(part.counties),
            "labels": [
                {
                    "kind": label["kind"],
                    "name": label["name"],
                    "at": [round(label["lat"], 4), round(label["lon"], 4)],
                }
                for label in part.labels
            ],  # fmt: skip
        }
    )
    response.headers["Cache-Control"] = f"public, max-age={OUTLINES_MAX_AGE}"
    return response


@bp.get(tiles.PMTILES_PATH)
def pmtiles_file():
    """The operator's PMTiles file, in the byte ranges the map asks for (206, or 416)."""
    path = current_app.config["MAP_PMTILES_FILE"]
    if not path:
        abort(404)
    response = send_file(
        path, mimetype="application/octet-stream", conditional=True, max_age=TILES_MAX_AGE
    )
    response.headers["Accept-Ranges"] = "bytes"
    return response


def init_app(app: Flask) -> None:
    # Read once: a tile setting that cannot work stops the start with its reason, rather
    # than showing a blank map to the first person who opens one.
    try:
        app.extensions["directory.map_tiles"] = tiles.source_of(app.config)
    except tiles.TileSettingError as exc:
        raise ConfigError(str(exc)) from None
    # The browser map's library is copied in by `make vendor` (it is not in git): without it
    # the map view is the server's drawing alone.
    library = Path(app.static_folder or "", "vendor", "leaflet", "leaflet.js").is_file()
    app.extensions["directory.map_library"] = library
    if not library:
        log.warning("static/vendor/ has no Leaflet (run `make vendor`): maps are drawn by the"
                    " server only")  # fmt: skip

    @app.context_processor
    def _map_library():
        return {"map_library": library}

    app.register_blueprint(bp)
