"""The catalog's place centres: one pass, the same figures as the plain definition."""

from __future__ import annotations

import dataclasses

from directory.core.model import Location
from directory.datafile.load import load_catalog
from tests import factories
from tests.conftest import SAMPLE


def _towns_by_definition(catalog):
    points = {}
    for resource in catalog.active():
        loc = resource.location
        if loc is None or loc.point is None:
            continue
        for name, state in ((loc.city, loc.state), (loc.sub_region, loc.state)):
            if name:
                points.setdefault((name, state), []).append(
                    (loc.point.lat, loc.point.lon, resource.timezone)
                )
    out = {}
    for key, pts in points.items():
        zones = [z for *_, z in pts]
        zone = max(set(zones), key=zones.count)
        out[key] = (sum(p[0] for p in pts) / len(pts), sum(p[1] for p in pts) / len(pts), zone)
    return out


def _regions_by_definition(catalog):
    points = {}
    for resource in catalog.active():
        loc = resource.location
        if loc and loc.region and loc.point:
            points.setdefault(loc.region, []).append(loc.point)
    return {
        name: (sum(p.lat for p in pts) / len(pts), sum(p.lon for p in pts) / len(pts))
        for name, pts in points.items()
    }


def _catalogs():
    resources = factories.generate(500)
    resources[0] = dataclasses.replace(resources[0], status="inactive")
    resources[1] = dataclasses.replace(resources[1], location=Location(city="Nowhere"))
    resources[2] = dataclasses.replace(
        resources[2], location=Location(lat=1.0, lon=2.0, city="Same", sub_region="Same")
    )
    resources[3] = dataclasses.replace(resources[3], location=None)
    sample = load_catalog(str(SAMPLE))
    yield sample
    yield dataclasses.replace(sample, resources=tuple(resources), _by_id={}, _places={})


def test_towns_and_regions_equal_their_definition_exactly():
    for catalog in _catalogs():
        assert catalog.towns() == _towns_by_definition(catalog)
        assert catalog.regions() == _regions_by_definition(catalog)


def test_regions_first_then_towns_read_the_same():
    for catalog in _catalogs():
        regions = catalog.regions()
        assert catalog.towns() == _towns_by_definition(catalog)
        assert regions is catalog.regions()
