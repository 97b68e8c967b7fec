"""HSDS 3.0 (Open Referral) tables of a Catalog's services: the official CSV files and names.

Every active resource that is not a meeting (meetings go out as Meeting Guide feeds). The folder
holds every table of the official 3.0 data package under its official file name, with its
columns in the official order (empty tables have their header only), so Open Referral's own
`datapackage.json` validates it with no error. Decisions:

- Ids are UUID 5 of the resource (and shared location) ids, stable from one export to the next.
- Times: `opens_at`/`closes_at` are the resource's local wall-clock times with seconds; a window
  past midnight closes before it opens; "until midnight" is `23:59:59`. HSDS can only state a
  fixed UTC offset (`timezone`), which would be wrong for half the year, so the IANA zone is
  named in `notes` ("Times are local to America/Los_Angeles.").
- Categories, services, populations, payment, medications, dimensions, accessibility and
  keywords are taxonomy terms of our own taxonomies (`taxonomies.csv`, `taxonomy_terms.csv`),
  linked to each service by `attributes.csv`, so a 211 system keeps the category; the resource's
  own id is an attribute too. Plain-words copies stay in the fields people read
  (`fees_description`, `eligibility_description`, `accessibility.csv`).
- Phone numbers are split into `number` and `extension`.
- An organization's `description` is required: when the file says nothing about it, it says
  which services of the directory it runs.
- A place whose street is not published (shelters, recovery houses) has an address whose
  `address_1` says "Address not published", with its town and ZIP code, and a note in the
  location's description; HSDS 3.0 has no other way to say it.
"""

from __future__ import annotations

import csv
import json
import uuid
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

import phonenumbers

from directory.core import vocabulary
from directory.core.model import Catalog, Resource
from directory.core.schedule import MINUTES_PER_DAY, hh_mm

# Never change: every exported id is derived from it.
ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:recovery-directory:hsds")
HSDS_VERSION = "3.0"
ICAL_DAYS = ("SU", "MO", "TU", "WE", "TH", "FR", "SA")
UNTIL_MIDNIGHT = "23:59:59"

# The official tables of HSDS 3.0: file name and columns, in the official order.
_OFFICIAL = {
    "organization": (
        "organizations.csv",
        "id name alternate_name description email website tax_status tax_id "
        "year_incorporated legal_status logo uri parent_organization_id",
    ),
    "program": ("programs.csv", "id organization_id name alternate_name description"),
    "service": (
        "services.csv",
        "id organization_id program_id name alternate_name description url email status "
        "interpretation_services application_process fees_description wait_time fees "
        "accreditations eligibility_description minimum_age maximum_age assured_date "
        "assurer_email licenses alert last_modified",
    ),
    "attribute": ("attributes.csv", "id link_id taxonomy_term_id link_type link_entity value"),
    "service_at_location": ("service_at_location.csv", "id service_id location_id description"),
    "location": (
        "locations.csv",
        "id location_type url organization_id name alternate_name description "
        "transportation latitude longitude external_identifier external_identifier_type",
    ),
    "phone": (
        "phones.csv",
        "id location_id service_id organization_id contact_id service_at_location_id number "
        "extension type description",
    ),
    "contact": (
        "contacts.csv",
        "id organization_id service_id service_at_location_id location_id name title "
        "department email",
    ),
    "address": (
        "addresses.csv",
        "id location_id attention address_1 address_2 city region state_province "
        "postal_code country address_type",
    ),
    "schedule": (
        "schedules.csv",
        "id service_id location_id service_at_location_id valid_from valid_to dtstart "
        "timezone until count wkst freq interval byday byweekno bymonthday byyearday "
        "description opens_at closes_at schedule_link attending_type notes",
    ),
    "funding": ("funding.csv", "id organization_id service_id source"),
    "service_area": ("service_areas.csv", "id service_id name description extent extent_type uri"),
    "required_document": ("required_documents.csv", "id service_id document uri"),
    "language": ("languages.csv", "id service_id location_id phone_id name code note"),
    "accessibility": ("accessibility.csv", "id location_id description details url"),
    "taxonomy_term": (
        "taxonomy_terms.csv",
        "id code name description parent_id taxonomy language taxonomy_id term_uri",
    ),
    "metadata": (
        "metadata.csv",
        "id resource_id resource_type last_action_date last_action_type field_name "
        "previous_value replacement_value updated_by",
    ),
    "meta_table_description": ("meta_table_descriptions.csv", "id name language character_set"),
    "cost_option": (
        "cost_options.csv",
        "id service_id valid_from valid_to option currency amount amount_description",
    ),
    "organization_identifier": (
        "organization_identifiers.csv",
        "id organization_id identifier_scheme identifier_type identifier",
    ),
    "taxonomy": ("taxonomies.csv", "id name description uri version"),
}
HSDS_TABLES: dict[str, tuple[str, tuple[str, ...]]] = {
    name: (path, tuple(columns.split())) for name, (path, columns) in _OFFICIAL.items()
}
HSDS_COLUMNS = {name: columns for name, (_, columns) in HSDS_TABLES.items()}
FIELD_TYPES = {
    "latitude": "number", "longitude": "number", "year_incorporated": "number",
    "minimum_age": "number", "maximum_age": "number", "extension": "number", "timezone": "number",
    "count": "number", "interval": "number", "amount": "number", "assured_date": "date",
    "valid_from": "date", "valid_to": "date", "dtstart": "date", "until": "date",
    "last_action_date": "date", "last_modified": "datetime", "opens_at": "time",
    "closes_at": "time",
}  # fmt: skip
HSDS_STATUS = {"active": "active", "temporarily-closed": "temporarily closed"}

# Our vocabularies as HSDS taxonomies: the key names the taxonomy in term codes ("category:mat").
TAXONOMIES: dict[str, tuple[str, str]] = {
    "category": ("Recovery Directory categories", "What a listing is: meeting, mat, housing, ..."),
    "dimension": ("SAMHSA dimensions of recovery", "Health, home, purpose and community."),
    "service": ("Recovery Directory services", "What a listing offers."),
    "population": ("Recovery Directory populations", "Who a listing is for."),
    "payment": ("Recovery Directory payment", "What a listing accepts."),
    "medication": ("Recovery Directory medications", "Medications for addiction treatment."),
    "accessibility": ("Recovery Directory accessibility", "How a place can be reached and used."),
    "keyword": ("Recovery Directory keywords", "Free keywords; the attribute's value is the word."),
    "id": ("Recovery Directory ids", "The listing's id in the directory (the attribute's value)."),
}
TAXONOMY_URI = "https://github.com/openreferral/specification"  # a reader's way in; see docs
_VALUE_TERMS = ("keyword", "id")  # one term each; the attribute's value carries the word


def hsds_id(*parts: str) -> str:
    """Return the stable UUID of an exported row, derived from what it describes."""
    return str(uuid.uuid5(ID_NAMESPACE, ":".join(parts)))


def split_phone(text: str, country: str) -> tuple[str, int | None]:
    """Return a phone number and its extension ("503-555-0100 x12" -> ("503-555-0100", 12))."""
    try:
        parsed = phonenumbers.parse(text, country)
    except phonenumbers.NumberParseException:
        return text, None
    if not parsed.extension or not parsed.extension.isdigit():
        return text, None
    cut = len(text)
    for marker in (" ext", " x", "ext", "x", "#", ","):
        at = text.lower().rfind(marker)
        if at > 0:
            cut = min(cut, at)
    return text[:cut].strip(" ,;"), int(parsed.extension)


def hsds_tables(catalog: Catalog) -> dict[str, list[dict[str, Any]]]:
    """Return every HSDS 3.0 table (rows as dicts) of the active resources that are not meetings."""
    tables: dict[str, list[dict[str, Any]]] = {name: [] for name in HSDS_TABLES}
    writer = _Tables(catalog, tables)
    for resource in catalog.active():
        if not resource.is_meeting:
            writer.add_service(resource)
    writer.finish()
    return {name: [_complete(name, row) for row in rows] for name, rows in tables.items()}


def _complete(table: str, row: dict[str, Any]) -> dict[str, Any]:
    return {column: row.get(column) for column in HSDS_COLUMNS[table]}


class _Tables:
    """The rows being written, with the organizations, places and terms already seen."""

    def __init__(self, catalog: Catalog, tables: dict[str, list[dict[str, Any]]]) -> None:
        self.catalog = catalog
        self.tables = tables
        self.country = catalog.directory.country
        self.organizations: dict[str, dict[str, Any]] = {}
        self.runs: dict[str, list[str]] = {}  # organization id -> names of its services
        self.locations: set[str] = set()
        self.terms: dict[str, str] = {}  # term code -> term id

    def add_service(self, resource: Resource) -> None:
        org_id = self._organization(resource)
        service_id = hsds_id("service", resource.id)
        eligibility = [resource.eligibility or ""] + [
            vocabulary.label("population", p, "en") for p in resource.populations
        ]
        self.tables["service"].append(
            {
                "id": service_id,
                "organization_id": org_id,
                "name": resource.name,
                "description": resource.description,
                "url": resource.website,
                "email": resource.email,
                "status": HSDS_STATUS.get(resource.status, "active"),
                "fees_description": "; ".join(
                    vocabulary.label("payment", p, "en") for p in resource.payment
                )
                or None,
                "eligibility_description": "; ".join(e for e in eligibility if e) or None,
                "assured_date": resource.last_verified.isoformat()
                if isinstance(resource.last_verified, date)
                else None,
            }
        )
        self._attributes(resource, service_id)
        at_location = None
        if resource.location is not None:
            location_id = self._location(resource, org_id)
            at_location = hsds_id("service_at_location", resource.id, location_id)
            self.tables["service_at_location"].append(
                {"id": at_location, "service_id": service_id, "location_id": location_id}
            )
        if resource.online is not None and resource.online.url:
            virtual_id = hsds_id("location", "online", resource.id)
            self.tables["location"].append(
                {
                    "id": virtual_id,
                    "location_type": "virtual",
                    "url": resource.online.url,
                    "organization_id": org_id,
                    "name": f"{resource.name} (online)",
                    "description": resource.online.notes,
                }
            )
            self.tables["service_at_location"].append(
                {
                    "id": hsds_id("service_at_location", resource.id, virtual_id),
                    "service_id": service_id,
                    "location_id": virtual_id,
                }
            )
        self._phones(resource, service_id)
        self._schedules(resource, service_id, at_location)
        for code in resource.languages:
            self.tables["language"].append(
                {
                    "id": hsds_id("language", resource.id, code),
                    "service_id": service_id,
                    "name": vocabulary.language_name(code, "en"),
                    "code": code,
                }
            )

    def _organization(self, resource: Resource) -> str:
        """Return the id of the organization running a resource (itself when none is named)."""
        if resource.organization:
            key = ("organization", resource.organization.strip().casefold())
            name, description = resource.organization.strip(), ""
        else:
            key = ("organization", "resource", resource.id)
            name, description = resource.name, resource.description or ""
        org_id = hsds_id(*key)
        self.organizations.setdefault(
            org_id,
            {
                "id": org_id,
                "name": name,
                "description": description,
                "website": None if resource.organization else resource.website,
                "email": None if resource.organization else resource.email,
            },
        )
        self.runs.setdefault(org_id, []).append(resource.name)
        return org_id

    def _location(self, resource: Resource, org_id: str) -> str:
        location = resource.location
        key = ("location", location.id) if location.id else ("location", "resource", resource.id)
        location_id = hsds_id(*key)
        if location_id in self.locations:
            return location_id
        self.locations.add(location_id)
        description = location.notes
        if location.approximate or not location.address:
            note = "Approximate: the street address is not published."
            description = f"{note} {description}" if description else note
        self.tables["location"].append(
            {
                "id": location_id,
                "location_type": "physical",
                "organization_id": None if location.id else org_id,  # a shared place: no owner
                "name": location.name,
                "description": description,
                "latitude": location.lat,
                "longitude": location.lon,
            }
        )
        street = location.address if not location.approximate else None
        if street or (location.city and location.state and location.postal_code):
            # HSDS 3.0 has no redacted address: a confidential place says so in address_1,
            # as 211 systems show it, and keeps its town so it can still be found.
            self.tables["address"].append(
                {
                    "id": hsds_id("address", *key[1:]),
                    "location_id": location_id,
                    "address_1": street or NOT_PUBLISHED,
                    "address_2": location.address_2 if street else None,
                    "city": location.city,
                    "region": location.region,
                    "state_province": location.state,
                    "postal_code": location.postal_code,
                    "country": location.country or self.country,
                    "address_type": "physical",
                }
            )
        for word in resource.accessibility:
            row_id = hsds_id("accessibility", location_id, word)
            if not any(r["id"] == row_id for r in self.tables["accessibility"]):
                self.tables["accessibility"].append(
                    {
                        "id": row_id,
                        "location_id": location_id,
                        "description": vocabulary.label("accessibility", word, "en"),
                    }
                )
        return location_id

    def _phones(self, resource: Resource, service_id: str) -> None:
        phones = [
            ("phone", resource.phone, "voice", None),
            ("text", resource.text, "text", "Text messages"),
            ("online", resource.online.phone if resource.online else None, "voice", JOIN_BY_PHONE),
        ]
        for kind, text, phone_type, description in phones:
            if text:
                number, extension = split_phone(text, self.country)
                self.tables["phone"].append(
                    {
                        "id": hsds_id("phone", resource.id, kind),
                        "service_id": service_id,
                        "number": number,
                        "extension": extension,
                        "type": phone_type,
                        "description": description,
                    }
                )

    def _schedules(self, resource: Resource, service_id: str, at_location: str | None) -> None:
        notes = f"{TIMES_ARE_LOCAL} {resource.timezone}."
        schedule = resource.schedule
        if schedule is None:
            if resource.hours_notes:
                self.tables["schedule"].append(
                    {
                        "id": hsds_id("schedule", resource.id, "notes"),
                        "service_id": service_id,
                        "service_at_location_id": at_location,
                        "description": resource.hours_notes,
                        "notes": notes,
                    }
                )
            return
        for window in schedule.windows:
            closes = UNTIL_MIDNIGHT if window.end == MINUTES_PER_DAY else f"{hh_mm(window.end)}:00"
            parts = ("schedule", resource.id, str(window.day), str(window.start), str(window.end))
            self.tables["schedule"].append(
                {
                    "id": hsds_id(*parts),
                    "service_id": service_id,
                    "service_at_location_id": at_location,
                    "freq": "WEEKLY",
                    "wkst": "MO",
                    "byday": ICAL_DAYS[window.day],
                    "opens_at": f"{hh_mm(window.start)}:00",
                    "closes_at": closes,
                    "description": resource.hours_notes,
                    "attending_type": vocabulary.attendance_label(resource.attendance, "en"),
                    "notes": notes,
                }
            )

    def _attributes(self, resource: Resource, service_id: str) -> None:
        default = (vocabulary.default_dimension(resource.category),)
        chosen = [("category", resource.category)]
        if resource.dimensions != default:
            chosen += [("dimension", d) for d in resource.dimensions]
        for vocab, values in (
            ("service", resource.services),
            ("population", resource.populations),
            ("payment", resource.payment),
            ("medication", resource.medications),
            ("accessibility", resource.accessibility),
            ("keyword", resource.tags),
            ("id", (resource.id,)),
        ):
            chosen += [(vocab, v) for v in values]
        for vocab, value in chosen:
            term_id = self._term(vocab, value)
            self.tables["attribute"].append(
                {
                    "id": hsds_id("attribute", resource.id, vocab, value),
                    "link_id": service_id,
                    "taxonomy_term_id": term_id,
                    "link_type": vocab,
                    "link_entity": "service",
                    "value": value if vocab in _VALUE_TERMS else None,
                }
            )

    def _term(self, vocab: str, value: str) -> str:
        code = vocab if vocab in _VALUE_TERMS else f"{vocab}:{value}"
        if code in self.terms:
            return self.terms[code]
        if not any(r["id"] == hsds_id("taxonomy", vocab) for r in self.tables["taxonomy"]):
            name, description = TAXONOMIES[vocab]
            self.tables["taxonomy"].append(
                {
                    "id": hsds_id("taxonomy", vocab),
                    "name": name,
                    "description": description,
                    "version": "1",
                }
            )
        if vocab in _VALUE_TERMS:
            name, description = TAXONOMIES[vocab][0], TAXONOMIES[vocab][1]
        elif vocab == "category":
            name = vocabulary.category_label(value, "en")
            dimension = vocabulary.dimension_label(vocabulary.default_dimension(value), "en")
            description = f"{name}: part of {dimension}, one of SAMHSA's dimensions of recovery."
        else:
            name = vocabulary.label(vocab, value, "en")
            description = name
        term_id = hsds_id("taxonomy_term", code)
        self.terms[code] = term_id
        self.tables["taxonomy_term"].append(
            {
                "id": term_id,
                "code": code,
                "name": name,
                "description": description,
                "taxonomy": TAXONOMIES[vocab][0],
                "language": "en",
                "taxonomy_id": hsds_id("taxonomy", vocab),
            }
        )
        return term_id

    def finish(self) -> None:
        for org_id, row in self.organizations.items():
            if not row["description"]:
                row["description"] = "Runs " + "; ".join(self.runs[org_id]) + "."
        self.tables["organization"] = list(self.organizations.values())


JOIN_BY_PHONE = "Join by phone"
NOT_PUBLISHED = "Address not published"
TIMES_ARE_LOCAL = "Times are local to"


def datapackage(tables: dict[str, list[dict[str, Any]]], name: str) -> dict[str, Any]:
    """Return a Frictionless data package describing the HSDS CSV files."""
    resources = []
    for table in tables:
        filename, columns = HSDS_TABLES[table]
        schema = {
            "fields": [{"name": c, "type": FIELD_TYPES.get(c, "string")} for c in columns],
            "primaryKey": "id",
        }
        resources.append(
            {
                "name": table,
                "path": filename,
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
        "version": "3.0.0",
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
        filename, columns = HSDS_TABLES[table]
        _write_csv(folder / filename, columns, rows)
    package = datapackage(tables, catalog.directory.name)
    (folder / "datapackage.json").write_text(json.dumps(package, indent=2) + "\n", "utf-8")
    return {table: len(rows) for table, rows in tables.items() if rows}


def _write_csv(path: Path, columns: Iterable[str], rows: list[dict[str, Any]]) -> None:
    # Written aside and renamed, so a reader never sees half a file.
    partial = path.with_suffix(".csv.partial")
    with partial.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns))
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if v is None else v for k, v in row.items()})
    partial.replace(path)
