"""Open-data exports of a Catalog: a Meeting Guide JSON feed and HSDS 3.0 tables.

Meeting Guide (code4recovery/spec) is how meeting finders exchange weekly meetings; Open
Referral's HSDS 3.0 is the open standard for the other services. Both are built here from plain
data; the web layer only serves them and the CLI only writes them. Decisions:

- Meeting Guide: one record per weekly window, because the format has one time per record. A
  meeting with one window keeps its id as `slug`; one with several gets `<id>-<day>-<HHMM>`
  (`hawthorne-aa-mon-1900`), so slugs stay unique and stable while its other times do not
  change. A meeting with no schedule is one record with no day or time ("by appointment").
- Attendance is said the way the current spec says it: a place is an address, online is a
  `conference_url` or `conference_phone`, and `TC` marks a temporarily closed place. The legacy
  `ONL` code is never written (readers infer online from the conference fields).
- HSDS: every active resource that is not a meeting. Ids are UUID 5 of the resource (and shared
  location) ids, so they stay the same from one export to the next. Times in `schedule` are the
  resource's local wall-clock times; HSDS can only state a fixed UTC offset, which would be wrong
  for half the year, so the IANA zone is named in `notes` instead.
"""

from __future__ import annotations

import csv
import json
import uuid
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import Any

from . import vocabulary
from .catalog import Catalog
from .model import Location, Resource
from .schedule import DAY_LABELS, DAYS, MINUTES_PER_DAY, Window

ResourceUrl = Callable[[Resource], str]

# Never change: every exported id is derived from it.
ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:recovery-directory:hsds")
HSDS_VERSION = "3.0"
ICAL_DAYS = ("SU", "MO", "TU", "WE", "TH", "FR", "SA")
LEGACY_ONLINE_TYPE = "ONL"
CLOSED_TYPE = "TC"


# --- Meeting Guide -------------------------------------------------------------------------------


def meeting_guide_feed(catalog: Catalog, url_of: ResourceUrl) -> list[dict[str, Any]]:
    """Return every active meeting as Meeting Guide records, one per weekly window."""
    records: list[dict[str, Any]] = []
    for resource in catalog.active():
        if resource.is_meeting:
            records.extend(meeting_records(resource, url_of(resource), catalog.directory.country))
    return records


def meeting_records(resource: Resource, url: str, country: str = "US") -> list[dict[str, Any]]:
    """Return the Meeting Guide records of one meeting."""
    base = _meeting_base(resource, url, country)
    windows = resource.schedule.windows if resource.schedule else ()
    if not windows:
        return [{"slug": resource.id, **base}]
    records = []
    slugs: set[str] = set()
    for window in windows:
        slug = resource.id if len(windows) == 1 else window_slug(resource.id, window)
        if slug in slugs:  # two windows starting together on one day: tell them apart by end
            slug = f"{slug}-{clock(window.end).replace(':', '')}"
        slugs.add(slug)
        records.append(
            {
                "slug": slug,
                **base,
                "day": window.day,
                "time": clock(window.start),
                "end_time": clock(window.end),
            }
        )
    return records


def window_slug(resource_id: str, window: Window) -> str:
    """Return the slug of one weekly time of a meeting that meets more than once a week."""
    return f"{resource_id}-{DAYS[window.day]}-{clock(window.start).replace(':', '')}"


def clock(minutes: int) -> str:
    """Return minutes after a midnight as a wall-clock "HH:MM" (a window's end may pass 24:00)."""
    hours, mins = divmod(minutes % MINUTES_PER_DAY, 60)
    return f"{hours:02d}:{mins:02d}"


def _meeting_base(resource: Resource, url: str, country: str) -> dict[str, Any]:
    record: dict[str, Any] = {
        "name": resource.name,
        "timezone": resource.timezone,
        "types": meeting_types(resource),
    }
    location = resource.location
    if location is not None and (resource.attendance != "online" or _closed_place(resource)):
        record.update(_meeting_place(location, country))
    online = resource.online
    if online is not None:
        if online.url:
            record["conference_url"] = online.url
            if online.notes:
                record["conference_url_notes"] = online.notes
        if online.phone:
            record["conference_phone"] = online.phone
            if online.notes and not online.url:
                record["conference_phone_notes"] = online.notes
    optional = {
        "notes": resource.description,
        "group": resource.group,
        "updated": f"{resource.last_verified.isoformat()} 00:00:00"
        if isinstance(resource.last_verified, date)
        else None,
        "url": url,
    }
    record.update({k: v for k, v in optional.items() if v})
    return record


def _closed_place(resource: Resource) -> bool:
    """True when the meeting has a place that is temporarily closed (shown with TC)."""
    return resource.location is not None and CLOSED_TYPE in meeting_types(resource)


def _meeting_place(location: Location | None, country: str) -> dict[str, Any]:
    if location is None:
        return {}
    street = None if location.approximate else location.address
    if street and location.address_2:
        street = f"{street}, {location.address_2}"
    place = {
        "location": location.name,
        "address": street,
        "city": location.city,
        "state": location.state,
        "postal_code": location.postal_code,
        "country": location.country or country,
        "region": location.region,
        "location_notes": location.notes,
    }
    town = " ".join(p for p in (location.state, location.postal_code) if p)
    formatted = ", ".join(p for p in (street, location.city, town, place["country"]) if p)
    place["formatted_address"] = formatted
    if location.approximate:
        place["approximate"] = "yes"
    if location.lat is not None and location.lon is not None:
        place["latitude"], place["longitude"] = location.lat, location.lon
    return {k: v for k, v in place.items() if v is not None and v != ""}


def meeting_types(resource: Resource) -> list[str]:
    """Return the Meeting Guide type codes of a meeting, attendance and language included."""
    codes = [c for c in resource.types if c != LEGACY_ONLINE_TYPE]
    if resource.status == "temporarily-closed" and resource.location is not None:
        codes.append(CLOSED_TYPE)
    known = vocabulary.known_types(resource.fellowship)
    for language in resource.languages:
        code = _language_type(language, resource.fellowship, known)
        if code:
            codes.append(code)
    return list(dict.fromkeys(codes))


def _language_type(language: str, fellowship: str | None, known: frozenset[str]) -> str | None:
    """Return the type code naming a language the meeting is held in ("es" -> "S"), if any."""
    if language == "en":
        return None  # the default; Meeting Guide readers assume it
    name = vocabulary.language_name(language).lower()
    for code in sorted(known):
        if vocabulary.type_name(fellowship, code).lower() == name:
            return code
    return None


# --- HSDS 3.0 ------------------------------------------------------------------------------------

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
        closes = "23:59" if window.end == MINUTES_PER_DAY else clock(window.end)
        tables["schedule"].append(
            {
                "id": hsds_id("schedule", resource.id, str(window.day), str(window.start),
                              str(window.end)),
                "service_id": service_id,
                "service_at_location_id": at_location,
                "freq": "WEEKLY",
                "wkst": "MO",
                "byday": ICAL_DAYS[window.day],
                "opens_at": clock(window.start),
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


# --- the directory's words -----------------------------------------------------------------------


def vocabularies(catalog: Catalog) -> dict[str, Any]:
    """Return every code the directory uses with its plain name, for filters and documentation."""
    active = catalog.active()
    in_use = {r.fellowship for r in active if r.is_meeting and r.fellowship}
    fellowships = list(vocabulary.KNOWN_FELLOWSHIPS) + sorted(
        in_use - set(vocabulary.KNOWN_FELLOWSHIPS)
    )
    languages = sorted({code for r in active for code in r.languages})
    regions = sorted({r.location.region for r in active if r.location and r.location.region})

    def pairs(table: dict[str, str]) -> list[dict[str, str]]:
        return [{"code": code, "name": name} for code, name in table.items()]

    return {
        "categories": [
            {"code": code, "name": label, "dimension": dimension}
            for code, (label, dimension) in vocabulary.CATEGORIES.items()
        ],
        "dimensions": [
            {"code": code, "name": name, "description": vocabulary.DIMENSION_DESCRIPTIONS[code]}
            for code, name in vocabulary.DIMENSIONS.items()
        ],
        "fellowships": [
            {"code": f, "name": vocabulary.fellowship_name(f), "in_use": f in in_use}
            for f in fellowships
        ],
        "meeting_types": [
            {
                "fellowship": fellowship,
                "types": [
                    {
                        "code": code,
                        "name": vocabulary.type_name(fellowship, code),
                        "explanation": vocabulary.type_explanation(fellowship, code),
                    }
                    for code in sorted(vocabulary.known_types(fellowship))
                ],
            }
            for fellowship in [None, *fellowships]
        ],
        "attendance": pairs(vocabulary.ATTENDANCE),
        "services": pairs(vocabulary.SERVICES),
        "payment": pairs(vocabulary.PAYMENT),
        "populations": pairs(vocabulary.POPULATIONS),
        "accessibility": pairs(vocabulary.ACCESSIBILITY),
        "medications": [
            {
                "code": code,
                "name": name,
                "explanation": vocabulary.MEDICATION_EXPLANATIONS.get(code),
            }
            for code, name in vocabulary.MEDICATIONS.items()
        ],
        "days": [{"code": code, "name": DAY_LABELS[i]} for i, code in enumerate(DAYS)],
        "time_of_day": pairs(vocabulary.TIME_OF_DAY),
        "languages": [{"code": c, "name": vocabulary.language_name(c)} for c in languages],
        "regions": regions,
    }
