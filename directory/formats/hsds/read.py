"""Open Referral HSDS data packages (folders of CSV files) -> resource-file entries.

One entry per service at a location (a service with no location gives one entry with none).
Categories come from `hsds_categories.yaml` (taxonomy terms, then keywords); a service that no
rule places is left out and reported, never filed under a guess. Other decisions:

- ids are the service's name, slugified (plus the place's name when one service is offered at
  several). Entries keep the HSDS ids in `extra.hsds_id`; a re-import matches on those, so an
  id stays the same when a service is renamed. `--prune` removes entries of the same package.
- `regular_schedules.weekday` (an integer in HSDS 1.x, with no numbering given) is read the ISO
  way: 1 = Monday ... 7 = Sunday (0 is also Sunday). Names ("Monday") and RRULE codes ("MO") are
  accepted too. Times lose their UTC offset (the directory's zone applies); 23:59 closing is
  written 24:00, the format's "until midnight". Holiday schedules are not imported (reported).
- Phones are taken from the service-at-location, service, location, then organization, in
  that order: the first voice number becomes `phone`, the first text/SMS number `text`, with
  its `extension` ("503-555-0100 x12"); quotes around a number are dropped. Numbers
  libphonenumber rejects are left out and reported.
- HSDS 3.0 and 1.1 are both read: 3.0's `addresses` (physical ones), `schedules` (weekly rows;
  a row with only a description becomes `hours_notes`), `accessibility`, `languages` (`code` or
  `name`), virtual locations (an online link) and `attributes` with `taxonomy_terms`, next to
  1.1's `physical_addresses`, `regular_schedules`, `accessibility_for_disabilities` and
  `services_taxonomy`. The terms of our own export's taxonomies (`category:mat`,
  `service:detox`, the `id` attribute...) are read back exactly, so an export imported again is
  the same directory.
"""

from __future__ import annotations

import csv
import html
import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources as package_files
from pathlib import Path
from typing import Any

import phonenumbers
import pycountry
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from directory.core import vocabulary
from directory.formats.common import (
    DAY_NAMES,
    FeedError,
    ImportResult,
    RecordError,
    RecordProblem,
    check_record,
    clean_text,
    country_code,
    parse_json,
    slugify,
)
from directory.formats.hsds.write import NOT_PUBLISHED, hsds_id

SOURCE_NAME = "hsds"
MAX_TABLE_BYTES = 64 * 1024 * 1024
# Columns of free text, cut to the data file's limit rather than the row left out.
FREE_TEXT = frozenset(
    {"description", "application_process", "fees", "fees_description", "eligibility",
     "eligibility_description", "details", "transportation", "accessibility", "alert",
     "interpretation_services", "wait_time", "licenses", "accreditations", "notes"}
)  # fmt: skip
OWNED_KEYS = frozenset(
    {
        "name",
        "category",
        "description",
        "organization",
        "status",
        "location",
        "phone",
        "text",
        "email",
        "website",
        "schedule",
        "timezone",
        "languages",
        "accessibility",
        "payment",
        "eligibility",
        "online",
        "hours_notes",
        "last_verified",
        "services",
        "populations",
        "medications",
        "dimensions",
        "tags",
        "extra",
    }
)
# HSDS table name -> file names (1.1 and 3.0), when the package has no datapackage.json to say.
TABLES = {
    "organization": ("organizations.csv",),
    "service": ("services.csv",),
    "location": ("locations.csv",),
    "service_at_location": ("service_at_location.csv", "services_at_location.csv"),
    "phone": ("phones.csv",),
    "physical_address": ("physical_addresses.csv",),  # 1.1
    "address": ("addresses.csv",),  # 3.0: physical, postal and virtual
    "regular_schedule": ("regular_schedules.csv",),  # 1.1
    "schedule": ("schedules.csv",),  # 3.0
    "holiday_schedule": ("holiday_schedules.csv",),
    "language": ("languages.csv",),
    "eligibility": ("eligibility.csv",),
    "payment_accepted": ("payments_accepted.csv",),
    "accessibility_for_disabilities": ("accessibility_for_disabilities.csv",),  # 1.1
    "accessibility": ("accessibility.csv",),  # 3.0
    "taxonomy": ("taxonomy.csv",),  # 1.1: the terms themselves
    "service_taxonomy": ("services_taxonomy.csv",),
    "taxonomy_term": ("taxonomy_terms.csv",),  # 3.0
    "attribute": ("attributes.csv",),  # 3.0: links an entity to a taxonomy term
}
# Our own export's taxonomy terms ("category:mat"), read back into these keys.
OWN_TERMS = {
    "category": "category",
    "dimension": "dimensions",
    "service": "services",
    "population": "populations",
    "payment": "payment",
    "medication": "medications",
    "accessibility": "accessibility",
}
JOIN_BY_PHONE = "join by phone"
_LOCAL_TIMES = re.compile(r"Times are local to ([A-Za-z0-9_+\-/]+)\.")
APPROXIMATE_NOTE = "Approximate: the street address is not published."
_STATUSES = {
    "active": None,
    "inactive": "inactive",
    "defunct": "inactive",
    "temporarily closed": "temporarily-closed",
    "temporarily-closed": "temporarily-closed",
}
_RRULE_DAYS = {"SU": 0, "MO": 1, "TU": 2, "WE": 3, "TH": 4, "FR": 5, "SA": 6}
_FULL_DAYS = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class CategoryTable:
    """The editable table of `hsds_categories.yaml`."""

    taxonomy: dict[str, str]
    keywords: list[tuple[str, str]]
    payment: dict[str, str]
    accessibility: dict[str, str]


def load_mapping(path: str | Path | None = None) -> CategoryTable:
    """Read the category mapping table (the shipped one unless `path` is given)."""
    if path is None:
        source = package_files.files(__package__).joinpath("hsds_categories.yaml")
        text, name = source.read_text(encoding="utf-8"), "hsds_categories.yaml"
    else:
        text, name = Path(path).read_text(encoding="utf-8"), str(path)
    try:
        data = YAML(typ="safe").load(text) or {}
    except YAMLError as exc:
        raise FeedError(f"{name}: not valid YAML: {exc}") from exc
    try:
        return CategoryTable(
            taxonomy={str(k).lower(): str(v) for k, v in (data.get("taxonomy") or {}).items()},
            keywords=[(str(k).lower(), str(v)) for k, v in (data.get("keywords") or [])],
            payment={str(k).lower(): str(v) for k, v in (data.get("payment") or {}).items()},
            accessibility={
                str(k).lower(): str(v) for k, v in (data.get("accessibility") or {}).items()
            },
        )
    except (AttributeError, TypeError, ValueError) as exc:
        raise FeedError(f"{name}: keywords must be [word, category] pairs ({exc})") from exc


def feed_name(package: str | Path) -> str:
    """Return the package's name: datapackage.json's `name`, else the folder's name."""
    path = Path(package)
    try:
        described = parse_json((path / "datapackage.json").read_bytes(), "datapackage.json")
    except (OSError, FeedError):
        described = None  # read_package says what is wrong with it
    name = described.get("name") if isinstance(described, Mapping) else None
    if not isinstance(name, str) or not slugify(name) or not name.isprintable():
        return path.resolve().name
    return name[:100]


def read_package(
    package: str | Path, problems: list[RecordProblem] | None = None
) -> dict[str, list[dict[str, str]]]:
    """Return each known table of the package as a list of rows (missing tables are empty).

    A row that cannot be read (text that is not UTF-8, a value longer than the data file allows
    in a column that is not free text) is left out of its table, with its reason in `problems`;
    the rest of the table, and of the package, is read.
    """
    path = Path(package)
    if not path.is_dir():
        raise FeedError(f"{package}: not a folder of HSDS CSV files")
    files = {
        table: next((n for n in names if (path / n).exists()), names[0])
        for table, names in TABLES.items()
    }
    meta = path / "datapackage.json"
    if meta.exists():
        try:
            described = parse_json(meta.read_bytes(), str(meta)).get("resources", [])
            files.update(
                {
                    r["name"]: r["path"]
                    for r in described
                    if r.get("name") in TABLES and isinstance(r.get("path"), str)
                    and (path / r["path"]).exists()
                }
            )  # fmt: skip
        except (ValueError, AttributeError, KeyError, TypeError) as exc:
            raise FeedError(f"{meta}: not a valid data package description ({exc})") from exc
    tables: dict[str, list[dict[str, str]]] = {}
    for table, filename in files.items():
        file = path / filename
        if not file.resolve().is_relative_to(path.resolve()):
            raise FeedError(f"{meta}: '{filename}' is outside the package folder")
        if not file.exists():
            tables[table] = []
            continue
        if file.stat().st_size > MAX_TABLE_BYTES:
            raise FeedError(f"{file}: larger than {MAX_TABLE_BYTES // (1024 * 1024)} MB")
        tables[table] = _read_table(file, filename, problems if problems is not None else [])
    if not tables["service"]:
        raise FeedError(f"{package}: no services ({files['service']} is missing or empty)")
    return _as_one_version(tables)


def _read_table(file: Path, name: str, problems: list[RecordProblem]) -> list[dict[str, str]]:
    """Return a CSV table's rows, each checked like a feed's record (common.check_record)."""
    rows = []
    # A long value must reach check_record (cut or refused there), not stop the whole table.
    limit = csv.field_size_limit(MAX_TABLE_BYTES)
    try:
        with file.open(encoding="utf-8-sig", errors="surrogateescape", newline="") as handle:
            reader = csv.DictReader(handle)
            for row in reader:
                fields = {(k or "").strip(): (v or "").strip() for k, v in row.items() if k}
                checked = check_record(fields, FREE_TEXT)
                where = f"{name} line {reader.line_num}"
                row_id = fields.get("id") if checked.record is not None else None
                if checked.record is None:
                    problems.append(RecordProblem(0, None, f"{where}: {checked.reason}; left out"))
                    continue
                for note in checked.notes:
                    problems.append(
                        RecordProblem(0, None, f"{where} (id '{row_id}'): {note}", "note")
                    )
                rows.append(checked.record)
    except csv.Error as exc:
        raise FeedError(f"{file}: cannot read the CSV: {exc}") from exc
    finally:
        csv.field_size_limit(limit)
    return rows


def _as_one_version(tables: dict[str, list[dict[str, str]]]) -> dict[str, list[dict[str, str]]]:
    """Read 3.0 tables into the 1.1 shapes the joins below use (both may be present)."""
    tables["physical_address"] = tables["physical_address"] + [
        row
        for row in tables["address"]
        if (row.get("address_type") or "physical").lower() == "physical"
    ]
    tables["regular_schedule"] = tables["regular_schedule"] + tables["schedule"]
    tables["accessibility_for_disabilities"] = tables["accessibility_for_disabilities"] + [
        {**row, "accessibility": row.get("description") or row.get("details") or ""}
        for row in tables["accessibility"]
    ]
    return tables


def _by(rows: list[dict[str, str]], key: str) -> dict[str, list[dict[str, str]]]:
    out: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        if row.get(key):
            out[row[key]].append(row)
    return out


def _text(value: str | None) -> str | None:
    """Return HSDS text without HTML markup (some packages carry list markup)."""
    if not value:
        return None
    value = re.sub(r"(?i)<li[^>]*>", "\n- ", value)
    value = re.sub(r"(?i)<br\s*/?>|</p>", "\n", value)
    return clean_text(html.unescape(_TAG.sub("", value)))


def _time(value: str) -> str:
    match = _TIME.match(value.strip())
    if not match or int(match.group(1)) > 24 or int(match.group(2)) > 59:
        raise RecordError(f"time '{value}' is not a time")
    hour, minute = int(match.group(1)), int(match.group(2))
    return f"{hour:02d}:{minute:02d}"


def _weekdays(value: str) -> list[int]:
    days = []
    for token in re.split(r"[,\s]+", value.strip()):
        if not token:
            continue
        if token.isdigit() and 0 <= int(token) <= 7:
            days.append(int(token) % 7)  # ISO: 1 = Monday ... 7 = Sunday
        elif token.upper() in _RRULE_DAYS:
            days.append(_RRULE_DAYS[token.upper()])
        elif token.lower() in _FULL_DAYS or token.lower()[:3] in DAY_NAMES:
            days.append(DAY_NAMES.index(token.lower()[:3]))
        else:
            raise RecordError(f"weekday '{value}' is not a day")
    return days


def _schedule(rows: list[dict[str, str]], notes: list[str] | None = None) -> list[dict[str, Any]]:
    """Group weekly rows into windows: one item per (opens, closes) with all its days."""
    windows: dict[tuple[str, str], list[int]] = {}
    for row in rows:
        day_value = row.get("weekday") or row.get("byday") or ""
        freq = (row.get("freq") or "WEEKLY").strip().upper()
        if not day_value and not row.get("opens_at") and row.get("description"):
            continue  # words only ("By appointment"): hours_notes, not a time
        if freq != "WEEKLY" or row.get("bymonthday") or row.get("byweekno"):
            if notes is not None:
                notes.append(
                    f"schedule row '{row.get('id', '?')}' does not repeat every week "
                    "(freq, byweekno or bymonthday); left out, its description kept"
                )
            continue
        if not day_value or not row.get("opens_at"):
            raise RecordError(f"schedule row '{row.get('id', '?')}' has no weekday or opening time")
        start = _time(row["opens_at"])
        end = _time(row["closes_at"]) if row.get("closes_at") else None
        if end == "23:59":
            end = "24:00"  # HSDS writes a full day as 00:00-23:59
        if end == start:
            raise RecordError(f"schedule row '{row.get('id', '?')}' opens and closes at {start}")
        key = (start, end or "")
        for day in _weekdays(day_value):
            days = windows.setdefault(key, [])
            if day not in days:
                days.append(day)
    items = []
    for (start, end), days in sorted(windows.items(), key=lambda kv: (min(kv[1]), kv[0])):
        ordered = sorted(days)
        item: dict[str, Any] = {"days": [DAY_NAMES[d] for d in ordered], "start": start}
        if ordered == list(range(7)):
            item["days"] = "daily"
        if end:
            item["end"] = end
        items.append(item)
    return items


def _phone(number: str, extension: str, country: str) -> str | None:
    number = number.strip().strip("\"'").strip()
    extension = extension.strip().strip("\"'").strip()
    if extension.endswith(".0") and extension[:-2].isdigit():
        extension = extension[:-2]  # a spreadsheet's number
    try:
        parsed = phonenumbers.parse(number, country)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return f"{number} x{extension}" if extension else number


def _language(name: str) -> str | None:
    try:
        language = pycountry.languages.lookup(name.strip())
    except LookupError:
        return None
    return getattr(language, "alpha_2", None)


def _lookup(value: str, table: Mapping[str, str]) -> str | None:
    key = re.sub(r"[_\-]+", " ", value.strip().lower())
    if key in table:
        return table[key]
    for word, mapped in table.items():
        if word in key:
            return mapped
    return None


class _Package:
    """The tables of a package, indexed for the joins one service needs."""

    def __init__(self, tables: dict[str, list[dict[str, str]]], mapping: CategoryTable) -> None:
        self.mapping = mapping
        self.organizations = {row.get("id"): row for row in tables["organization"]}
        self.locations = {row.get("id"): row for row in tables["location"]}
        self.at_location = _by(tables["service_at_location"], "service_id")
        self.addresses = _by(tables["physical_address"], "location_id")
        self.postal_only = _by(
            [r for r in tables["address"] if (r.get("address_type") or "").lower() == "postal"],
            "location_id",
        )
        self.phones = {
            key: _by(tables["phone"], key)
            for key in ("service_at_location_id", "service_id", "location_id", "organization_id")
        }
        self.schedules = {
            key: _by(tables["regular_schedule"], key)
            for key in ("service_at_location_id", "service_id", "location_id")
        }
        self.languages = _by(tables["language"], "service_id")
        self.eligibility = _by(tables["eligibility"], "service_id")
        self.payments = _by(tables["payment_accepted"], "service_id")
        self.accessibility = _by(tables["accessibility_for_disabilities"], "location_id")
        self.own: dict[str, list[tuple[str, str]]] = defaultdict(list)  # ours: (kind, value)
        terms = {row.get("id"): row for row in tables["taxonomy_term"]}
        taxonomy = {row.get("id"): row.get("name", "") for row in tables["taxonomy"]}
        taxonomy.update({tid: row.get("name", "") for tid, row in terms.items()})
        for row in tables["attribute"]:
            term = terms.get(row.get("taxonomy_term_id"))
            if term is None or (row.get("link_entity") or "service").lower() != "service":
                continue
            kind, _, value = (term.get("code") or "").partition(":")
            if kind in OWN_TERMS and value:
                self.own[row.get("link_id", "")].append((kind, value))
            elif kind in ("keyword", "id") and not value and row.get("value"):
                self.own[row.get("link_id", "")].append((kind, row["value"]))
            else:
                tables["service_taxonomy"].append(
                    {"service_id": row.get("link_id", ""), "taxonomy_id": term.get("id", "")}
                )
        self.terms: dict[str, list[str]] = defaultdict(list)
        for row in tables["service_taxonomy"]:
            if row.get("taxonomy_id") in taxonomy:
                self.terms[row.get("service_id", "")].append(taxonomy[row["taxonomy_id"]])
        for row in tables["service"]:
            for tid in re.split(r"[,\s]+", row.get("taxonomy_ids", "")):
                if tid in taxonomy and taxonomy[tid] not in self.terms[row.get("id", "")]:
                    self.terms[row.get("id", "")].append(taxonomy[tid])
        self.has_holidays = bool(tables["holiday_schedule"])

    def category(self, service: dict[str, str]) -> str:
        for kind, value in self.own.get(service.get("id", ""), []):
            if kind == "category" and value in vocabulary.CATEGORIES:
                return value
        terms = self.terms.get(service.get("id", ""), [])
        for term in terms:
            if term.lower() in self.mapping.taxonomy:
                return self.mapping.taxonomy[term.lower()]
        # The table's order decides, not where a word appears: specific words come first.
        text = f"{service.get('name') or ''}\n{service.get('description') or ''}".lower()
        for word, category in self.mapping.keywords:
            if re.search(rf"\b{re.escape(word)}", text):
                return category
        what = f"taxonomy {', '.join(repr(t) for t in terms)}" if terms else "no taxonomy"
        raise RecordError(
            f"no category: {what}, and no keyword of hsds_categories.yaml in its name or "
            "description; add a rule to place it"
        )


def _location(
    row: dict[str, str], package: _Package, country: str, notes: list[str] | None = None
) -> dict[str, Any]:
    place: dict[str, Any] = {}
    if row.get("name"):
        place["name"] = row["name"]
    addresses = package.addresses.get(row.get("id", ""), [])
    if addresses:
        address = addresses[0]
        street = [address.get(k) for k in ("address_1", "address_2", "address_3", "address_4")]
        street = [s for s in street if s]
        if street and street[0].casefold() == NOT_PUBLISHED.casefold():
            place["approximate"] = True  # our export's confidential place
            street = []
        if street:
            place["address"] = street[0]
        if len(street) > 1:
            place["address_2"] = ", ".join(street[1:])
        for ours, theirs in (
            ("city", "city"),
            ("state", "state_province"),
            ("postal_code", "postal_code"),
            ("region", "region"),
        ):
            if address.get(theirs):
                place[ours] = address[theirs]
        code = country_code(address["country"]) if address.get("country") else None
        if code and code != country:
            place["country"] = code
    try:
        lat = float(row["latitude"]) if row.get("latitude") else None
        lon = float(row["longitude"]) if row.get("longitude") else None
    except ValueError:
        raise RecordError(
            f"location '{row.get('id')}': coordinates {row.get('latitude')!r}, "
            f"{row.get('longitude')!r} are not numbers"
        ) from None
    if lat is not None and lon is not None and -90 <= lat <= 90 and -180 <= lon <= 180:
        place["lat"], place["lon"] = lat, lon
    elif (lat is not None or lon is not None) and notes is not None:
        notes.append(
            f"location '{row.get('id')}': coordinates {row.get('latitude')}, "
            f"{row.get('longitude')} are not a point on Earth; left out"
        )
    if not addresses and notes is not None and package.postal_only.get(row.get("id", "")):
        notes.append(
            f"location '{row.get('name') or row.get('id')}' has only a postal address "
            "(where mail goes, not where to go); left out"
        )
    how = _text(row.get("description"))
    if how and how.startswith(APPROXIMATE_NOTE):
        place["approximate"] = True
        how = how[len(APPROXIMATE_NOTE) :].strip() or None
    if how:
        place["notes"] = how
    return place


def _service_records(
    service: dict[str, str],
    package: _Package,
    country: str,
    timezone: str | None,
    directory_timezone: str | None,
    feed: str,
) -> list[tuple[str, dict[str, Any], list[str]]]:
    """Return (HSDS key, entry without id, notes) for each place the service is offered at."""
    notes: list[str] = []
    name = _text(service.get("name"))
    if not name:
        raise RecordError("no name")
    sid = service.get("id", "")
    base: dict[str, Any] = {"name": name, "category": package.category(service)}
    description = _text(service.get("description"))
    if description:
        base["description"] = description
    organization = package.organizations.get(service.get("organization_id"), {})
    own = package.own.get(sid, [])
    own_ids = [v for k, v in own if k == "id"]
    # Our export gives a listing with no organization one of its own, named like the service.
    stands_alone = bool(own_ids) and organization.get("id") == hsds_id(
        "organization", "resource", own_ids[0]
    )
    if organization.get("name") and not stands_alone:
        if organization["name"] != name or own_ids:
            base["organization"] = organization["name"]
    status = (service.get("status") or "active").strip().lower()
    if status not in _STATUSES:
        notes.append(f"status '{status}' is not known; taken as active")
    elif _STATUSES[status]:
        base["status"] = _STATUSES[status]
    email = service.get("email") or organization.get("email")
    if email and _EMAIL.match(email):
        base["email"] = email
    elif email:
        notes.append(f"email '{email}' is not an e-mail address; left out")
    website = service.get("url") or organization.get("url")
    if website and re.match(r"^https?://\S+$", website):
        base["website"] = website
    elif website:
        notes.append(f"url '{website}' is not a web address; left out")
    languages = []
    for row in package.languages.get(sid, []):
        said = row.get("language") or row.get("code") or row.get("name") or ""
        code = _language(said)
        if code is None and row.get("name"):
            code = _language(row["name"])
        if code is None:
            notes.append(f"language '{said}' is not known; left out")
        elif code not in languages:
            languages.append(code)
    if languages and languages != ["en"]:
        base["languages"] = languages
    payments = []
    for row in package.payments.get(sid, []):
        mapped = _lookup(row.get("payment", ""), package.mapping.payment)
        if mapped is None:
            notes.append(f"payment '{row.get('payment')}' has no rule in hsds_categories.yaml")
        elif mapped not in payments:
            payments.append(mapped)
    if payments:
        base["payment"] = payments
    eligibility = "; ".join(
        dict.fromkeys(
            r["eligibility"] for r in package.eligibility.get(sid, []) if r.get("eligibility")
        )
    )
    if eligibility:
        base["eligibility"] = eligibility
    assured = (service.get("assured_date") or "").strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", assured):
        base["last_verified"] = assured
    for kind, key in OWN_TERMS.items():
        values = list(dict.fromkeys(v for k, v in own if k == kind))
        if values and kind != "category":
            base[key] = values
    tags = list(dict.fromkeys(v for k, v in own if k == "keyword"))
    if tags:
        base["tags"] = tags
    if "populations" in base and base.get("eligibility") is None:
        # Our export appends the populations' labels to the eligibility words; take them off.
        words = (service.get("eligibility_description") or "").split("; ")
        labels = {vocabulary.label("population", p, "en") for p in base["populations"]}
        text = "; ".join(w for w in words if w and w not in labels)
        if text:
            base["eligibility"] = text
    elif "eligibility" not in base and _text(service.get("eligibility_description")):
        base["eligibility"] = _text(service.get("eligibility_description"))
    zone = _schedule_zone(package, sid)
    timezone = zone or timezone
    if timezone and timezone != directory_timezone:
        base["timezone"] = timezone
    hours = _hours_notes(package, sid)
    if hours:
        base["hours_notes"] = hours

    places = package.at_location.get(sid, []) or [{}]
    virtual = [p for p in places if _is_virtual(package.locations.get(p.get("location_id", "")))]
    places = [p for p in places if p not in virtual] or [{}]
    online: dict[str, Any] = {}
    if virtual:
        row = package.locations[virtual[0]["location_id"]]
        if re.match(r"^https?://\S+$", row.get("url") or ""):
            online["url"] = row["url"]
        if _text(row.get("description")):
            online["notes"] = _text(row.get("description"))
    out = []
    for n, sal in enumerate(places):
        record = dict(base)
        place_notes = [] if n else list(notes)  # the service's own notes, said once
        location_row = package.locations.get(sal.get("location_id", ""), {})
        if sal and not location_row:
            place_notes.append(f"location '{sal.get('location_id')}' is not in locations.csv")
        if location_row:
            place = _location(location_row, package, country, place_notes)
            if set(place) - {"name", "notes"}:
                record["location"] = place
            else:
                place_notes.append(
                    f"location '{location_row.get('name') or location_row.get('id')}' has no "
                    "address or coordinates; left out"
                )
        ids = {
            "service_at_location_id": sal.get("id", ""),
            "service_id": sid,
            "location_id": sal.get("location_id", ""),
            "organization_id": service.get("organization_id", ""),
        }
        service_online = dict(online)
        for kind, key in (("voice", "phone"), ("text", "text")):
            for id_field, value in ids.items():
                if key in record or not value:
                    continue
                for row in package.phones[id_field].get(value, []):
                    if (row.get("description") or "").strip().lower() == JOIN_BY_PHONE:
                        number = _phone(row.get("number", ""), row.get("extension", ""), country)
                        if number and kind == "voice":
                            service_online.setdefault("phone", number)
                        continue
                    row_type = (row.get("type") or "voice").lower()
                    wanted = (
                        row_type in ("text", "sms")
                        if kind == "text"
                        else row_type
                        in (
                            "voice",
                            "cell",
                            "",
                        )
                    )
                    if not wanted or key in record:
                        continue
                    number = _phone(row.get("number", ""), row.get("extension", ""), country)
                    if number:
                        record[key] = number
                    else:
                        place_notes.append(f"phone '{row.get('number')}' is not valid; left out")
        if service_online:
            record["online"] = service_online
        for id_field in ("service_at_location_id", "service_id", "location_id"):
            rows = package.schedules[id_field].get(ids[id_field], [])
            if rows:
                windows = _schedule(rows, place_notes)
                if windows:
                    record["schedule"] = windows
                break
        access = list(base.get("accessibility", []))
        # Our own export says each listing's accessibility; a shared place's rows are others'.
        rows = [] if own else package.accessibility.get(ids["location_id"], [])
        for row in rows:
            mapped = _lookup(row.get("accessibility", ""), package.mapping.accessibility)
            if mapped is None:
                place_notes.append(
                    f"accessibility '{row.get('accessibility')}' has no rule in "
                    "hsds_categories.yaml"
                )
            elif mapped not in access:
                access.append(mapped)
        if access:
            record["accessibility"] = access
        extra: dict[str, Any] = {"source": SOURCE_NAME, "feed": feed, "hsds_id": sid}
        if ids["location_id"]:
            extra["hsds_location_id"] = ids["location_id"]
        record["extra"] = extra
        key = f"{sid}@{ids['location_id']}"
        out.append((key, record, place_notes))
    return out


def _is_virtual(row: dict[str, str] | None) -> bool:
    return bool(row) and (row.get("location_type") or "").strip().lower() == "virtual"


def _schedule_zone(package: _Package, service_id: str) -> str | None:
    """Return the IANA zone our export names in a schedule's notes, if it is one."""
    for row in package.schedules["service_id"].get(service_id, []):
        match = _LOCAL_TIMES.search(row.get("notes") or "")
        if match and match.group(1) in _zones():
            return match.group(1)
    return None


def _hours_notes(package: _Package, service_id: str) -> str | None:
    for row in package.schedules["service_id"].get(service_id, []):
        text = _text(row.get("description"))
        if text:
            return text
    return None


def _zones() -> frozenset[str]:
    from zoneinfo import available_timezones  # noqa: PLC0415  # why: costly; only when named

    global _ZONES
    if _ZONES is None:
        _ZONES = frozenset(available_timezones())
    return _ZONES


_ZONES: frozenset[str] | None = None


def convert(
    tables: dict[str, list[dict[str, str]]],
    id_prefix: str = "",
    timezone: str | None = None,
    country: str = "US",
    feed: str = "hsds",
    feed_timezone: str | None = None,
    mapping: CategoryTable | None = None,
    existing: Mapping[str, str] | None = None,
) -> ImportResult:
    """Turn a package's services into resource entries; report each one that cannot be taken.

    `existing` maps an HSDS key ("<service id>@<location id>") to the id an earlier import
    gave it, so ids survive renames.
    """
    package = _Package(tables, mapping or load_mapping())
    prefix = f"{slugify(id_prefix)}-" if slugify(id_prefix) else ""
    existing = dict(existing or {})
    result = ImportResult(total=len(tables["service"]))
    used = set(existing.values())
    for index, service in enumerate(tables["service"], start=1):
        sid = service.get("id") or None
        try:
            if not sid:
                raise RecordError("no id")
            places = _service_records(service, package, country, feed_timezone, timezone, feed)
        except RecordError as exc:
            result.problems.append(RecordProblem(index, sid, str(exc), key_name="id"))
            continue
        said: set[str] = set()
        own_ids = [v for k, v in package.own.get(sid, []) if k == "id"]
        for key, record, notes in places:
            rid = existing.get(key)
            if rid is None and own_ids and len(places) == 1 and own_ids[0] not in used:
                rid = prefix + own_ids[0]  # our own export: the listing keeps its id
                used.add(rid)
            if rid is None:
                words = [record["name"]]
                if len(places) > 1 and record.get("location", {}).get("name"):
                    words.append(record["location"]["name"])
                stem = prefix + (slugify(" ".join(words)) or "service")
                rid, n = stem, 1
                while rid in used:
                    n += 1
                    rid = f"{stem}-{n}"
                used.add(rid)
            result.take({"id": rid, **record}, index, sid, "id")
            for note in notes:
                if note not in said:  # an organization's bad phone is said once, not per place
                    said.add(note)
                    result.problems.append(RecordProblem(index, sid, note, "note", key_name="id"))
    if package.has_holidays:
        result.problems.append(
            RecordProblem(
                0, None, "holiday_schedules are not imported (no place for them yet)", "note"
            )
        )
    return result


def existing_keys(entries: list[dict[str, Any]], feed: str) -> dict[str, str]:
    """Return HSDS key -> id for the entries an earlier import of `feed` made."""
    out = {}
    for entry in entries:
        extra = entry.get("extra")
        if (
            isinstance(extra, dict)
            and extra.get("source") == SOURCE_NAME
            and extra.get("feed") == feed
        ):
            out[f"{extra.get('hsds_id')}@{extra.get('hsds_location_id', '')}"] = str(entry["id"])
    return out


def import_package(
    package: str | Path,
    id_prefix: str = "",
    timezone: str | None = None,
    country: str = "US",
    feed_timezone: str | None = None,
    categories: str | Path | None = None,
    existing_entries: list[dict[str, Any]] | None = None,
) -> ImportResult:
    """Read a package folder and convert it (FeedError when it cannot be read)."""
    problems: list[RecordProblem] = []
    tables = read_package(package, problems)
    feed = feed_name(package)
    existing = existing_keys(existing_entries or [], feed)
    result = convert(
        tables,
        id_prefix,
        timezone,
        country,
        feed,
        feed_timezone,
        load_mapping(categories),
        existing,
    )
    result.problems[:0] = problems  # the rows left out of their tables come first
    return result
