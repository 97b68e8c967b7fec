"""Reports from the public about wrong listings: validation and one JSON file per report.

A report holds what is wrong, a short free text and, only if the person chose to give it, a way
for the maintainers to follow up. Nothing about the sender is stored with it: no IP address, no
user agent, no cookie. Open reports are `<folder>/<id>.json`; resolving one moves it to
`<folder>/resolved/<id>.json`. Files are written atomically, so a reader never sees half a report.

No one can fill the box: each sender (a daily pseudonym from the web layer, never an address)
may send `max_per_sender` reports a day and everyone together `max_per_day`; the day's counts
live in `<folder>/.senders/<date>.json`, deleted the next day, and are never linked to a report.
Past `max_open` open reports the oldest move to `<folder>/archived/`: kept for the maintainers,
and never a reason to turn a new report away.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import tempfile
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from directory.core.translation import N_, _

try:  # POSIX; elsewhere concurrent writers may pass a cap by a report or two
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

REASONS = {
    "closed": N_("It has closed"),
    "moved": N_("It has moved"),
    "wrong-time": N_("A time is wrong"),
    "wrong-phone": N_("The phone number is wrong"),
    "other": N_("Something else"),
}
MAX_DETAILS = 1000  # characters
MAX_CONTACT = 200
MAX_REPORT_BYTES = 16 * 1024  # a report file is never larger than this
MAX_OPEN_REPORTS = 5000  # past this, the oldest open reports move to archived/
MAX_PER_SENDER = 20  # reports a day from one sender
MAX_PER_DAY = 500  # reports a day from everyone: one sender can never use it up
RESOLVED_FOLDER = "resolved"
ARCHIVED_FOLDER = "archived"
COUNTS_FOLDER = ".senders"
REPORT_ID = re.compile(r"^\d{8}T\d{6}Z-[0-9a-f]{8}$")


class ReportsFull(RuntimeError):
    """Everyone together has sent MAX_PER_DAY reports today; new ones wait until tomorrow."""


class SenderLimit(RuntimeError):
    """This sender has sent MAX_PER_SENDER reports today."""


class ReportNotFound(KeyError):
    """No report with that id (or the id is not a report id at all)."""


@dataclass(frozen=True)
class Report:
    id: str
    resource_id: str
    reason: str
    details: str
    contact: str
    created: str  # ISO 8601, UTC
    status: str = "open"  # "open" or "resolved"
    resolved: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Report:
        """Return the report in `data`; raise ValueError if it is not one."""
        if not isinstance(data, Mapping):
            raise ValueError("a report is a JSON object")
        names = cls.__dataclass_fields__
        values = {k: v for k, v in data.items() if k in names}
        if not all(isinstance(v, str) for k, v in values.items() if k != "resolved"):
            raise ValueError("report fields are text")
        if not REPORT_ID.match(str(values.get("id"))):
            raise ValueError("not a report id")
        return cls(**values)


def _clean(text: str, multiline: bool) -> str:
    """Drop control characters (keeping newlines and tabs in multi-line text); trim."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    kept = []
    for c in text:
        if c in "\n\t" and multiline:
            kept.append(c)
        elif unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn") or c in "\n\t":
            kept.append(" " if c in "\n\t" else "")
        else:
            kept.append(c)
    return "".join(kept).strip()


def parse_form(form: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """Return the cleaned fields of a report form and a message per field that is wrong."""
    values = {
        "reason": _clean(str(form.get("reason") or ""), multiline=False),
        "details": _clean(str(form.get("details") or ""), multiline=True),
        "contact": _clean(str(form.get("contact") or ""), multiline=False),
    }
    errors = {}
    if values["reason"] not in REASONS:
        errors["reason"] = _("Choose what is wrong with this listing.")
        values["reason"] = ""
    if values["reason"] == "other" and not values["details"]:
        errors["details"] = _("Tell us in a few words what is wrong.")
    if len(values["details"]) > MAX_DETAILS:
        errors["details"] = _(
            "Please keep this under %(max)s characters (it is %(length)s now).",
            max=MAX_DETAILS,
            length=len(values["details"]),
        )
    if len(values["contact"]) > MAX_CONTACT:
        errors["contact"] = _("Please keep this under %(max)s characters.", max=MAX_CONTACT)
    return values, errors


def new_report_id(now: datetime) -> str:
    """Return a report id: the UTC time, then 32 random bits (sortable and unguessable)."""
    return now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(4)


def _write_json(path: Path, data: Mapping[str, Any], limit: int | None = MAX_REPORT_BYTES) -> None:
    body = json.dumps(data, ensure_ascii=False, indent=1) + "\n"
    if limit is not None and len(body.encode("utf-8")) > limit:
        raise ValueError("the report is larger than a report may be")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".report.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(body)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class ReportStore:
    """The reports in one folder (the app's `instance/reports`)."""

    def __init__(
        self,
        folder: str | os.PathLike[str],
        max_open: int = MAX_OPEN_REPORTS,
        max_per_sender: int = MAX_PER_SENDER,
        max_per_day: int = MAX_PER_DAY,
    ):
        self.folder = Path(folder)
        self.max_open = max_open
        self.max_per_sender = max_per_sender
        self.max_per_day = max_per_day

    @property
    def resolved_folder(self) -> Path:
        return self.folder / RESOLVED_FOLDER

    @property
    def archived_folder(self) -> Path:
        return self.folder / ARCHIVED_FOLDER

    def _files(self, folder: Path) -> list[Path]:
        if not folder.is_dir():
            return []
        return sorted(
            Path(e.path)
            for e in os.scandir(folder)
            if e.is_file() and e.name.endswith(".json") and REPORT_ID.match(e.name[:-5])
        )

    def count_open(self) -> int:
        """Return how many reports are open (in the inbox, not archived)."""
        return len(self._files(self.folder))

    def add(
        self,
        resource_id: str,
        reason: str,
        details: str = "",
        contact: str = "",
        now: datetime | None = None,
        sender: str | None = None,
    ) -> Report:
        """Store a new open report (validated fields).

        Raise SenderLimit when `sender` (a pseudonym) has sent its share today, ReportsFull when
        everyone has; the oldest open reports are archived to make room, never refused for it.
        """
        if reason not in REASONS:
            raise ValueError(f"unknown reason '{reason}'")
        if len(details) > MAX_DETAILS or len(contact) > MAX_CONTACT:
            raise ValueError("details or contact too long")
        now = now or datetime.now(UTC)
        self.folder.mkdir(parents=True, exist_ok=True)
        with self._counts(now) as counts:
            if sender is not None and counts.get(sender, 0) >= self.max_per_sender:
                raise SenderLimit(f"{self.max_per_sender} reports from this sender today")
            if counts.get("*", 0) >= self.max_per_day:
                raise ReportsFull(f"{self.max_per_day} reports today")
            self._archive_oldest(keep=self.max_open - 1)
            report = Report(
                id=new_report_id(now),
                resource_id=resource_id,
                reason=reason,
                details=details,
                contact=contact,
                created=now.astimezone(UTC).isoformat(timespec="seconds"),
            )
            _write_json(self.folder / f"{report.id}.json", report.as_dict())
            counts["*"] = counts.get("*", 0) + 1
            if sender is not None:
                counts[sender] = counts.get(sender, 0) + 1
        return report

    def day_full(self, now: datetime | None = None) -> bool:
        """Return True when everyone together has sent today's reports."""
        path = self._counts_path(now or datetime.now(UTC))
        try:
            return json.loads(path.read_text(encoding="utf-8")).get("*", 0) >= self.max_per_day
        except (OSError, ValueError, AttributeError):
            return False

    def _counts_path(self, now: datetime) -> Path:
        return self.folder / COUNTS_FOLDER / f"{now.astimezone(UTC):%Y-%m-%d}.json"

    @contextlib.contextmanager
    def _counts(self, now: datetime) -> Iterator[dict[str, int]]:
        """Today's counts, locked against other workers, saved (and older days deleted) after."""
        folder = self.folder / COUNTS_FOLDER
        folder.mkdir(exist_ok=True)
        path = self._counts_path(now)
        with open(folder / ".lock", "a") as lock:
            if fcntl is not None:
                fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                counts = json.loads(path.read_text(encoding="utf-8"))
                if not isinstance(counts, dict):
                    counts = {}
            except (OSError, ValueError):
                counts = {}
            before = dict(counts)
            yield counts
            if counts != before:
                _write_json(path, counts, limit=None)
            for old in folder.glob("*.json"):
                if old != path:
                    old.unlink(missing_ok=True)  # yesterday's pseudonyms: gone, unlinkable

    def _archive_oldest(self, keep: int) -> None:
        """Move the oldest open reports to archived/ until at most `keep` are open."""
        paths = self._files(self.folder)
        if len(paths) <= keep:
            return
        self.archived_folder.mkdir(exist_ok=True)
        for path in paths[: len(paths) - max(keep, 0)]:
            os.replace(path, self.archived_folder / path.name)

    def _read(self, path: Path) -> Report | None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return Report.from_dict(data)
        except (OSError, ValueError, TypeError):
            return None  # damaged or vanished meanwhile: listed by `broken()`, not trusted

    def list(self, include_resolved: bool = False) -> list[Report]:
        """Return the open reports, oldest first (and the archived and resolved ones if asked)."""
        paths = self._files(self.folder)
        if include_resolved:
            paths += self._files(self.archived_folder) + self._files(self.resolved_folder)
        reports = [r for r in (self._read(p) for p in paths) if r is not None]
        return sorted(reports, key=lambda r: r.id)

    def broken(self) -> list[Path]:
        """Return report files that cannot be read as reports."""
        paths = self._files(self.folder) + self._files(self.resolved_folder)
        paths += self._files(self.archived_folder)
        return [p for p in paths if self._read(p) is None]

    def get(self, report_id: str) -> Report:
        """Return one report, open or resolved."""
        if not REPORT_ID.match(report_id):
            raise ReportNotFound(report_id)
        for folder in (self.folder, self.archived_folder, self.resolved_folder):
            path = folder / f"{report_id}.json"
            if path.is_file():
                report = self._read(path)
                if report is not None:
                    return report
        raise ReportNotFound(report_id)

    def resolve(self, report_id: str, now: datetime | None = None) -> Report:
        """Mark an open report resolved and move it to the resolved folder."""
        if not REPORT_ID.match(report_id):
            raise ReportNotFound(report_id)
        source = self.folder / f"{report_id}.json"
        if not source.is_file():
            source = self.archived_folder / f"{report_id}.json"
        report = self._read(source) if source.is_file() else None
        if report is None:
            raise ReportNotFound(report_id)
        now = now or datetime.now(UTC)
        done = Report(
            **{
                **report.as_dict(),
                "status": "resolved",
                "resolved": now.astimezone(UTC).isoformat(timespec="seconds"),
            }
        )
        self.resolved_folder.mkdir(parents=True, exist_ok=True)
        _write_json(self.resolved_folder / f"{report_id}.json", done.as_dict())
        source.unlink()
        return done
