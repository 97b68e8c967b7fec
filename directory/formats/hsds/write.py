"""HSDS 3.0 (Open Referral) tables of a Catalog's services, as CSV files with a data package.

Every active resource that is not a meeting. Ids are UUID 5 of the resource (and shared location)
ids, so they stay the same from one export to the next. Times in `schedule` are the resource's
local wall-clock times; HSDS can only state a fixed UTC offset, which would be wrong for half the
year, so the IANA zone is named in `notes` instead.
"""

from __future__ import annotations

import csv
import json
import uuid
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

from directory.core import vocabulary
from directory.core.model import Catalog, Resource
from directory.core.schedule import MINUTES_PER_DAY, hh_mm

# Never change: every exported id is derived from it.
ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:recovery-directory:hsds")
HSDS_VERSION = "3.0"
ICAL_DAYS = ("SU", "MO", "TU", "WE", "TH", "FR", "SA")

HSDS_COLUMNS: dict[str, tuple[str, ...]] = {
    "organization": (
        "id", "name", "alternate_name", "description", "email", "website", "tax_status", "tax_id",
        "year_incorporated", "legal_status", "logo", "uri", "parent_organization_id",
    ),
    "service": (
        "id", "organization_id", "program_id", "name", "alternate_name", "description", "url",
        "email", "status", "interpretation_services", "application_process", "fees_description",
        "accreditations", "eligibility_description", "minimum_age", "maximum_age", "assured_date",
        "assurer_email", "alert", "last_modified",
    ),
    "location": (
        "id", "location_type", "url", "organization_id", "name", "alternate_name", "description",
        "transportation", "latitude", "longitude", "external_identifier",
        "external_identifier_type",
    ),
    "address": (
        "id", "location_id", "attention", "address_1", "address_2", "city", "region",
        "state_province", "postal_code", "country", "address_type",
    ),
    "service_at_location": ("id", "service_id", "location_id", "description"),
    "phone": (
        "id", "location_id", "service_id", "organization_id", "contact_id",
        "service_at_location_id", "number", "extension", "type", "description",
    ),
    "schedule": (
        "id", "service_id", "location_id", "service_at_location_id", "valid_from", "valid_to",
        "dtstart", "timezone", "until", "count", "wkst", "freq", "interval", "byday", "byweekno",
        "bymonthday", "byyearday", "description", "opens_at", "closes_at", "schedule_link",
        "attending_type", "notes",
    ),
    "language": ("id", "service_id", "location_id", "phone_id", "name", "code", "note"),
}  # fmt: skip
NUMBER_COLUMNS = frozenset(
    {"latitude", "longitude", "year_incorporated", "minimum_age", "maximum_age", "extension",
     "timezone", "count", "interval"}
)  # fmt: skip
FOREIGN_KEYS = {
    "service": {"organization_id": "organization"},
    "location": {"organization_id": "organization"},
    "address": {"location_id": "location"},
    "service_at_location": {"service_id": "service", "location_id": "location"},
    "phone": {"service_id": "service", "location_id": "location"},
    "schedule": {"service_id": "service", "service_at_location_id": "service_at_location"},
    "language": {"service_id": "service"},
}
HSDS_STATUS = {"active": "active", "temporarily-closed": "temporarily closed"}


def hsds_id(*parts: str) -> str:
    """Return the stable UUID of an exported row, derived from what it describes."""
    return str(uuid.uuid5(ID_NAMESPACE, ":".join(parts)))


def hsds_tables(catalog: Catalog) -> dict[str, list[dict[str, Any]]]:
    """Return the HSDS 3.0 tables (rows as dicts) of every active resource that is not a meeting."""
    tables: dict[str, list[dict[str, Any]]] = {name: [] for name in HSDS_COLUMNS}
    organizations: dict[str, dict[str, Any]] = {}
    locations: dict[str, dict[str, Any]] = {}
    for resource in catalog.active():
        if not resource.is_meeting:
            _add_service(resource, catalog, tables, organizations, locations)
    tables["organization"] = list(organizations.values())
    return {name: [_complete(name, row) for row in rows] for name, rows in tables.items()}


def _complete(table: str, row: dict[str, Any]) -> dict[str, Any]:
    return {column: row.get(column) for column in HSDS_COLUMNS[table]}


def _add_service(resource, catalog, tables, organizations, locations) -> None:
    org_id = _organization(resource, organizations)
    service_id = hsds_id("service", resource.id)
    eligibility = [resource.eligibility or ""] + [
        vocabulary.label("population", p) for p in resource.populations
    ]
    tables["service"].append(
        {
            "id": service_id,
            "organization_id": org_id,
            "name": resource.name,
            "description": resource.description,
            "url": resource.website,
            "email": resource.email,
            "status": HSDS_STATUS.get(resource.status, "active"),
            "fees_description": "; ".join(vocabulary.label("payment", p) for p in resource.payment)
            or None,
            "eligibility_description": "; ".join(e for e in eligibility if e) or None,
            "assured_date": resource.last_verified.isoformat()
            if isinstance(resource.last_verified, date)
            else None,
        }
    )
    at_location = None
    if resource.location is not None:
        location_id = _location(resource, org_id, catalog.directory.country, tables, locations)
        at_location = hsds_id("service_at_location", resource.id, location_id)
        tables["service_at_location"].append(
            {"id": at_location, "service_id": service_id, "location_id": location_id}
        )
    if resource.online is not None and resource.online.url:
        virtual_id = hsds_id("location", "online", resource.id)
        tables["location"].append(
            {
                "id": virtual_id,
                "location_type": "virtual",
                "url": resource.online.url,
                "organization_id": org_id,
                "name": f"{resource.name} (online)",
                "description": resource.online.notes,
            }
        )
        tables["service_at_location"].append(
            {
                "id": hsds_id("service_at_location", resource.id, virtual_id),
                "service_id": service_id,
                "location_id": virtual_id,
            }
        )
    _add_phones(resource, service_id, tables)
    _add_schedules(resource, service_id, at_location, tables)
    for code in resource.languages:
        tables["language"].append(
            {
                "id": hsds_id("language", resource.id, code),
                "service_id": service_id,
                "name": vocabulary.language_name(code),
                "code": code,
            }
        )


def _organization(resource: Resource, organizations: dict[str, dict[str, Any]]) -> str:
    """Return the id of the organization running a resource (itself when none is named)."""
    if resource.organization:
        key = ("organization", resource.organization.strip().casefold())
        name, description = resource.organization.strip(), ""
    else:
        key = ("organization", "resource", resource.id)
        name, description = resource.name, resource.description or ""
    org_id = hsds_id(*key)
    organizations.setdefault(
        org_id,
        {
            "id": org_id,
            "name": name,
            "description": description,  # required by HSDS; empty when we know nothing more
            "website": None if resource.organization else resource.website,
            "email": None if resource.organization else resource.email,
        },
    )
    return org_id


def _location(resource, org_id, country, tables, locations) -> str:
    location = resource.location
    key = ("location", location.id) if location.id else ("location", "resource", resource.id)
    location_id = hsds_id(*key)
    if location_id in locations:
        return location_id
    description = location.notes
    if location.approximate:
        note = "Approximate: the street address is not published."
        description = f"{note} {description}" if description else note
    row = {
        "id": location_id,
        "location_type": "physical",
        "organization_id": None if location.id else org_id,  # a shared place has no one owner
        "name": location.name or resource.name,
        "description": description,
        "latitude": location.lat,
        "longitude": location.lon,
    }
    locations[location_id] = row
    tables["location"].append(row)
    if location.address and not location.approximate:
        tables["address"].append(
            {
                "id": hsds_id("address", *key[1:]),
                "location_id": location_id,
                "address_1": location.address,
                "address_2": location.address_2,
                "city": location.city,
                "region": location.region,
                "state_province": location.state,
                "postal_code": location.postal_code,
                "country": location.country or country,
                "address_type": "physical",
            }
        )
    return location_id


def _add_phones(resource: Resource, service_id: str, tables) -> None:
    phones = [
        ("phone", resource.phone, "voice", None),
        ("text", resource.text, "text", "Text messages"),
        (
            "online",
            resource.online.phone if resource.online else None,
            "voice",
            "Join by phone",
        ),
    ]
    for kind, number, phone_type, description in phones:
        if number:
            tables["phone"].append(
                {
                    "id": hsds_id("phone", resource.id, kind),
                    "service_id": service_id,
                    "number": number,
                    "type": phone_type,
                    "description": description,
                }
            )


def _add_schedules(resource, service_id, at_location, tables) -> None:
    notes = f"Times are local to {resource.timezone}."
    schedule = resource.schedule
    if schedule is None:
        if resource.hours_notes:
            tables["schedule"].append(
                {
                    "id": hsds_id("schedule", resource.id, "notes"),
                    "service_id": service_id,
                    "service_at_location_id": at_location,
                    "description": resource.hours_notes,
                }
            )
        return
    always = schedule.is_always_open()
    for window in schedule.windows:
        closes = "23:59" if window.end == MINUTES_PER_DAY else hh_mm(window.end)
        tables["schedule"].append(
            {
                "id": hsds_id("schedule", resource.id, str(window.day), str(window.start),
                              str(window.end)),
                "service_id": service_id,
                "service_at_location_id": at_location,
                "freq": "WEEKLY",
                "wkst": "MO",
                "byday": ICAL_DAYS[window.day],
                "opens_at": hh_mm(window.start),
                "closes_at": closes,
                "description": "Open 24 hours" if always else resource.hours_notes,
                "attending_type": _attending(resource),
                "notes": notes,
            }
        )  # fmt: skip


def _attending(resource: Resource) -> str:
    return vocabulary.ATTENDANCE[resource.attendance]


def datapackage(tables: dict[str, list[dict[str, Any]]], name: str) -> dict[str, Any]:
    """Return a Frictionless data package describing the HSDS CSV files."""
    resources = []
    for table in tables:
        schema: dict[str, Any] = {
            "fields": [
                {"name": c, "type": "number" if c in NUMBER_COLUMNS else "string"}
                for c in HSDS_COLUMNS[table]
            ],
            "primaryKey": "id",
        }
        keys = FOREIGN_KEYS.get(table)
        if keys:
            schema["foreignKeys"] = [
                {"fields": column, "reference": {"resource": target, "fields": "id"}}
                for column, target in keys.items()
            ]
        resources.append(
            {
                "name": table,
                "path": f"{table}.csv",
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": schema,
            }
        )
    return {
        "profile": "tabular-data-package",
        "name": _package_name(name),
        "title": f"{name} (HSDS {HSDS_VERSION})",
        "description": "Open Referral Human Services Data Specification 3.0 export.",
        "resources": resources,
    }


def _package_name(name: str) -> str:
    slug = "".join(c if c.isalnum() else "-" for c in name.lower())
    return "-".join(p for p in slug.split("-") if p) or "directory"


def write_hsds(catalog: Catalog, folder: str | Path) -> dict[str, int]:
    """Write the HSDS CSV files and datapackage.json into folder; return rows per table."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tables = hsds_tables(catalog)
    for table, rows in tables.items():
        _write_csv(folder / f"{table}.csv", HSDS_COLUMNS[table], rows)
    package = datapackage(tables, catalog.directory.name)
    (folder / "datapackage.json").write_text(json.dumps(package, indent=2) + "\n", "utf-8")
    return {table: len(rows) for table, rows in tables.items()}


def _write_csv(path: Path, columns: Iterable[str], rows: list[dict[str, Any]]) -> None:
    # Written aside and renamed, so a reader never sees half a file.
    partial = path.with_suffix(".csv.partial")
    with partial.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns))
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if v is None else v for k, v in row.items()})
    partial.replace(path)
