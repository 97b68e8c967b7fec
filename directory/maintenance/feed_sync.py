"""Fetch each feed the resource file declares and rewrite its feeds/<name>.yaml when it changed.

One feed at a time, each on its own: a feed that cannot be fetched, read, validated or that
shrinks too much is reported and its file is left as it was, and the others go on. A feed is
fetched with the validators of the last answer (If-None-Match, If-Modified-Since), within a time
limit and a size limit; a 304, or an answer that makes the same file, writes nothing. Many feed
servers (WordPress sites among them) send no validators, so the answer's digest is kept too,
with what its file depends on: the same answer again, for the same resource file, code and day,
is the same file, known already, and is not converted and validated again. The new
file is validated with the curated file (its directory, locations and ids): an entry the rules
refuse is left out, reported like an import's skipped record. It is written whole, to a
temporary file renamed over the old one, so a server never reads half of it.

The validators are kept in feeds/.sync-state.json, beside the files they describe.
"""

from __future__ import annotations

import email.utils
import gc
import hashlib
import json
import multiprocessing
import os
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from directory.core import places
from directory.core.model import Feed
from directory.datafile import feeds as feed_files
from directory.datafile import json_lines
from directory.datafile.cache import code_fingerprint
from directory.datafile.editing import atomic_write_bytes, diff_text
from directory.datafile.entry_cache import EntryCache
from directory.datafile.limits import DEFAULT_LIMITS, DataLimits
from directory.datafile.load import Problem, parse_bytes
from directory.datafile.versions import ALLOW_SHRINK_HINT, Version, shrink_refusal
from directory.datafile.yaml_lines import load_bounded
from directory.formats import bmlt
from directory.formats.common import FeedError, ImportResult, RecordProblem
from directory.formats.meeting_guide import read as meeting_guide

STATE_FILE = ".sync-state.json"
FETCH_SECONDS = 30.0  # per feed: connecting, and each wait for more of the answer
MAX_FEED_BYTES = 64 * 1024 * 1024  # a national intergroup's feed is a few MB
FETCHES_AHEAD = 8  # feeds fetched at once: network waits, while two processes convert
FETCHES_PER_HOST = 2  # of them at most from one server
MAX_PASSES = 3  # validation passes leaving out refused entries (as datafile imports do)
USER_AGENT = "recovery-directory feed sync"
KEEPS_STATE = ("written", "unchanged", "same-answer")  # outcomes whose validators are kept


@dataclass
class Fetched:
    data: bytes | None  # None: not modified since the last sync (304)
    etag: str | None = None
    last_modified: str | None = None


@dataclass
class FeedOutcome:
    """What syncing one feed did."""

    name: str
    status: str  # written, would-write, unchanged, not-modified, failed, refused
    message: str = ""
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    problems: list[RecordProblem] = field(default_factory=list)  # skipped records and notes
    diff: str = ""
    seconds: float = 0.0
    validators: dict[str, str] | None = None  # what to send next time (ETag, Last-Modified)

    @property
    def ok(self) -> bool:
        return self.status not in ("failed", "refused")

    def summary(self) -> str:
        counts = (
            f"{len(self.added)} added, {len(self.changed)} changed, {len(self.removed)} removed"
        )
        skipped = sum(p.kind == "skipped" for p in self.problems)
        text = {
            "written": f"written: {counts}",
            "would-write": f"would be written: {counts}",
            "unchanged": "unchanged: the feed makes the same file; nothing written",
            "not-modified": "not modified since the last sync (304); nothing written",
            "same-answer": "the same answer as the last sync; nothing written",
        }.get(self.status, self.status)
        if skipped:
            text += f"; {skipped} record(s) skipped"
        if self.message:
            text += f": {self.message}" if not self.ok else f" ({self.message})"
        return f"{self.name}: {text} [{self.seconds:.1f} s]"


# --- fetching ------------------------------------------------------------------------------


def fetch(
    source: str,
    base: Path,
    validators: Mapping[str, str] | None = None,
    max_bytes: int = MAX_FEED_BYTES,
    timeout: float = FETCH_SECONDS,
) -> Fetched:
    """Return a feed's bytes (or None when the server says it has not changed); FeedError else.

    `source` is an http(s) URL or a path, relative to `base` (the resource file's folder).
    """
    scheme = urllib.parse.urlsplit(source).scheme.lower()
    if scheme not in ("http", "https"):
        if scheme and len(scheme) > 1:
            raise FeedError(f"{source}: only http(s) URLs and file paths can be synced")
        path = base / source
        try:
            with open(path, "rb") as handle:
                data = handle.read(max_bytes + 1)
        except OSError as exc:
            raise FeedError(f"cannot read {path}: {exc.strerror or exc}") from None
        return Fetched(_bounded(data, max_bytes, source))
    headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
    validators = validators or {}
    if validators.get("etag"):
        headers["If-None-Match"] = validators["etag"]
    if validators.get("last_modified"):
        headers["If-Modified-Since"] = validators["last_modified"]
    request = urllib.request.Request(source, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310  # why: http(s) only, checked above
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > max_bytes:
                raise FeedError(_too_large(source, max_bytes))
            data = response.read(max_bytes + 1)
            etag = response.headers.get("ETag")
            modified = response.headers.get("Last-Modified")
    except urllib.error.HTTPError as exc:
        exc.close()  # its connection: the FeedError below may outlive it (a fetch ahead)
        if exc.code == 304:
            return Fetched(None, validators.get("etag"), validators.get("last_modified"))
        raise FeedError(f"{source}: the server answered {exc.code} {exc.reason}") from None
    except OSError as exc:  # URLError, timeouts, resets
        reason = getattr(exc, "reason", None) or exc
        raise FeedError(f"{source}: could not fetch the feed: {reason}") from None
    return Fetched(_bounded(data, max_bytes, source), etag, _http_date(modified))


def _bounded(data: bytes, max_bytes: int, source: str) -> bytes:
    if len(data) > max_bytes:
        raise FeedError(_too_large(source, max_bytes))
    return data


def _too_large(source: str, max_bytes: int) -> str:
    return f"{source}: larger than {max_bytes:,} bytes; not synced"


def _http_date(value: str | None) -> str | None:
    """Keep a Last-Modified only when it is a date (it is sent back as it came)."""
    if not value:
        return None
    try:
        email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return value


# --- the feed file -------------------------------------------------------------------------


def render(feed: Feed, records: list[dict[str, Any]]) -> bytes:
    """Return the text of a feed file: the same records always give the same bytes.

    Each entry is one line of JSON, which is YAML too (a flow mapping of double-quoted text):
    written in milliseconds where a YAML emitter takes seconds, and a change to a meeting is a
    change to its line. Characters YAML does not take as they are are escaped.
    """
    lines = [
        f"# Generated by `flask --app directory sync` from the feed '{feed.name}' declared in"
        " the resource file.",
        "# Edits here are replaced at the next sync; correct the feed, or copy an entry into"
        " the resource file.",
        "format: 1",
        "feed: " + _flow({"name": feed.name, "source": feed.source}),
        "resources:" if records else "resources: []",
    ]
    lines += ["- " + _flow(record) for record in records]
    return ("\n".join(lines) + "\n").encode("utf-8")


# Characters YAML does not take as they are: not printable, or a line break YAML 1.1 folds.
_YAML_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]")


def _flow(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=_plain, allow_nan=False)
    return _YAML_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _plain(value: Any) -> str:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} to a feed file")


def _entries(data: bytes | None) -> dict[str, Any]:
    """Return the entries of a feed file by id (none for a missing or unreadable file)."""
    if not data:
        return {}
    try:
        text = data.decode("utf-8")
        document, _, _ = json_lines.read_file(text) or load_bounded(text)
    except Exception:  # a broken file is replaced by a good one: nothing to compare
        return {}
    items = document.get("resources") if isinstance(document, dict) else None
    if not isinstance(items, list):
        return {}
    return {str(e["id"]): e for e in items if isinstance(e, dict) and "id" in e}


def _active(entries: Mapping[str, Any]) -> int:
    return sum(1 for e in entries.values() if e.get("status", "active") != "inactive")


# --- one feed --------------------------------------------------------------------------------


def convert(feed: Feed, data: bytes, directory: Mapping[str, Any], old: list[dict], locations):
    """Turn a fetched feed into resource entries (FeedError when it cannot be read)."""
    timezone = directory.get("timezone")
    country = directory.get("country") or "US"
    if feed.format == "bmlt":
        meetings, formats = bmlt.parse_answer(data, feed.source)
        existing = bmlt.existing_ids(old, feed.name)
        return bmlt.convert(
            meetings, formats, feed.fellowship, feed.prefix, timezone, country, feed.name, existing
        )
    meetings = meeting_guide.parse_feed(data, feed.source)
    return meeting_guide.convert(
        meetings,
        feed.fellowship,
        feed.prefix,
        timezone,
        country,
        feed.name,
        feed.timezone,
        existing_entries=old,
        locations=locations,
        release=True,
    )


def _validated(
    feed: Feed,
    result: ImportResult,
    curated: bytes,
    curated_path: str,
    limits: DataLimits,
    entries: EntryCache | None = None,
) -> tuple[bytes | None, list[Problem]]:
    """Render the feed file, leaving out entries the rules refuse; None when it stays invalid.

    With `entries` (warmed by `curated_entries`), the curated file's entries are not validated
    again for each feed: the problems and the verdict are the same (datafile/entry_cache.py).
    """
    target = str(feed_files.feed_file(curated_path, feed.name))
    for _ in range(MAX_PASSES):
        text = render(feed, result.records)
        catalog, problems = parse_bytes(
            curated, curated_path, limits, {feed.name: text}, entries, processes=1
        )
        errors = [p for p in problems if p.severity == "error"]
        if catalog is not None:
            return text, problems
        ours = {str(r["id"]) for r in result.records}
        refused: dict[str, list[Problem]] = {}
        for problem in errors:
            if problem.path == target and problem.resource_id in ours:
                refused.setdefault(problem.resource_id, []).append(problem)
        if len(refused) < len({p.resource_id for p in errors}) or not refused:
            return None, errors  # the curated file's, or the feed file's own: not an entry's
        for rid, found in refused.items():
            index, key, key_name = result.origins.get(rid, (0, rid, "id"))
            said = "; ".join(f"{p.field}: {p.message}" if p.field else p.message for p in found)
            result.problems.append(
                RecordProblem(index, key, f"refused by the validation: {said}", "skipped", key_name)
            )
        result.records = [r for r in result.records if str(r["id"]) not in refused]
    return None, errors


def sync_feed(
    feed: Feed,
    curated: bytes,
    curated_path: str,
    directory: Mapping[str, Any],
    locations: Mapping[str, Any],
    state: dict[str, dict[str, str]],
    write: bool = True,
    allow_shrink: bool = False,
    max_shrink: float = 1.0,
    limits: DataLimits = DEFAULT_LIMITS,
    timeout: float = FETCH_SECONDS,
    with_diff: bool = False,
    entries: EntryCache | None = None,
    answer: Fetched | FeedError | None = None,
) -> FeedOutcome:
    """Fetch, convert, validate and (with `write`) replace one feed's file; never raise.

    `answer`: the feed's answer when it was fetched already (`fetch_feed`), else it is fetched.

    The garbage collector is paused meanwhile, as `parse_bytes` pauses it: converting a feed
    makes hundreds of thousands of objects and no cycles worth collecting.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _sync_feed(
            feed, curated, curated_path, directory, locations, state, write, allow_shrink,
            max_shrink, limits, timeout, with_diff, entries, answer,
        )  # fmt: skip
    finally:
        if collecting:
            gc.enable()


def _sync_feed(
    feed, curated, curated_path, directory, locations, state, write, allow_shrink, max_shrink,
    limits, timeout, with_diff, entries, fetched,
) -> FeedOutcome:  # fmt: skip
    started = time.monotonic()
    outcome = FeedOutcome(feed.name, "failed")
    target = feed_files.feed_file(curated_path, feed.name)
    try:
        old_bytes = target.read_bytes() if target.exists() else None
        validators = _asked_with(feed, state, old_bytes is not None)
        if fetched is None:
            fetched = fetch(feed.source, Path(curated_path).parent, validators, timeout=timeout)
        elif isinstance(fetched, FeedError):  # fetched ahead (sync_all), and it failed
            raise fetched
        if fetched.data is None:
            outcome.status = "not-modified"
            return outcome
        # The answer's key, with what else its file is made from (with no file, nothing known).
        answer = None
        if old_bytes is not None:
            answer = _answer_key(feed, fetched.data, curated, old_bytes, limits)
        if answer is not None and validators.get("answer") == answer:
            outcome.status = "same-answer"
            state[feed.name] = _validators(feed, fetched, answer)
            return outcome
        old = _entries(old_bytes)  # read only when there is something to compare it with
        result = convert(feed, fetched.data, directory, list(old.values()), locations)
        outcome.problems = result.problems
        text, problems = _validated(feed, result, curated, curated_path, limits, entries)
        if text is None:
            outcome.status = "refused"
            first = problems[0] if problems else "it does not validate"
            outcome.message = f"{len(problems)} error(s); first: {first}"
            return outcome
        if old:
            new = _entries(text)
        else:  # nothing to compare with: only the ids and statuses, those of the records
            new = {str(r["id"]): r for r in result.records}
        outcome.added = sorted(set(new) - set(old))
        outcome.removed = sorted(set(old) - set(new))
        outcome.changed = sorted(i for i in set(new) & set(old) if new[i] != old[i])
        if old_bytes is not None:
            refusal = shrink_refusal(
                _active(new), Version(_active(old), f"in {target.name}"), max_shrink
            )
            if refusal and not allow_shrink:
                outcome.status = "refused"
                outcome.message = refusal.replace(ALLOW_SHRINK_HINT, "") + (
                    "If the feed dropped them on purpose: flask --app directory sync"
                    f" {feed.name} --allow-shrink"
                )
                return outcome
        if with_diff:
            outcome.diff = diff_text((old_bytes or b"").decode("utf-8", "replace"),
                                     text.decode("utf-8"), target.name)  # fmt: skip
        if text == old_bytes:
            outcome.status = "unchanged"
        elif not write:
            outcome.status = "would-write"
            return outcome  # a dry run keeps the old validators too
        else:
            atomic_write_bytes(target, text)
            outcome.status = "written"
        # Only an answer seen to remake the file as it is (once more after a write) is known.
        known = answer if outcome.status == "unchanged" else None
        state[feed.name] = _validators(feed, fetched, known)
    except FeedError as exc:
        outcome.status, outcome.message = "failed", str(exc)
    except (TypeError, ValueError) as exc:  # a value no feed file can hold (render)
        outcome.status, outcome.message = "failed", f"cannot write the feed file: {exc}"
    except OSError as exc:
        outcome.status, outcome.message = "failed", f"cannot write {target}: {exc.strerror or exc}"
    finally:
        outcome.seconds = time.monotonic() - started
    return outcome


def fetch_feed(
    feed: Feed, curated_path: str, state: Mapping[str, Mapping[str, str]], timeout: float
) -> Fetched | FeedError:
    """Return a feed's answer, asked with what the last sync kept, or the reason there is none."""
    has_file = feed_files.feed_file(curated_path, feed.name).exists()
    validators = _asked_with(feed, state, has_file)
    try:
        return fetch(feed.source, Path(curated_path).parent, validators, timeout=timeout)
    except FeedError as exc:
        return exc


def _asked_with(feed: Feed, state: Mapping[str, Mapping[str, str]], has_file: bool):
    """Return what the last sync kept of a feed, if it still applies (its file, its address)."""
    validators = state.get(feed.name, {}) if has_file else {}
    return validators if validators.get("source") == feed.source else {}


def _answer_key(
    feed: Feed, data: bytes, curated: bytes, feed_file: bytes, limits: DataLimits
) -> str:
    """Return the digest of what a feed's file is made from: the answer and its context."""
    digest = hashlib.blake2b(digest_size=16)
    for part in (_converter_code(), date.today().isoformat(), repr(feed), repr(limits)):
        digest.update(part.encode() + b"\0")
    for blob in (data, curated, feed_file):
        digest.update(hashlib.blake2b(blob, digest_size=16).digest())
    return digest.hexdigest()


@cache
def _converter_code() -> str:
    """Return a digest of the code a feed file is made with: validation, the importers, this."""
    digest = hashlib.blake2b(code_fingerprint().encode(), digest_size=16)
    formats = Path(__file__).resolve().parent.parent / "formats"
    for path in sorted([*formats.rglob("*"), Path(__file__).resolve()]):
        if path.suffix in (".py", ".json", ".yaml", ".csv"):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _validators(feed: Feed, fetched: Fetched, answer: str | None) -> dict[str, str]:
    """Return what to keep for the next sync of a feed (only what it has)."""
    kept = (
        ("source", feed.source),
        ("etag", fetched.etag),
        ("last_modified", fetched.last_modified),
        ("answer", answer),
    )
    return {k: v for k, v in kept if v}


# --- every feed ------------------------------------------------------------------------------


def read_state(folder: Path) -> dict[str, dict[str, str]]:
    try:
        state = json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


def write_state(folder: Path, state: dict[str, dict[str, str]]) -> None:
    """Write the validators, only when they changed (a quiet re-sync writes no file)."""
    text = json.dumps(state, indent=1, sort_keys=True) + "\n"
    path = folder / STATE_FILE
    try:
        if path.read_text(encoding="utf-8") == text:
            return
    except OSError:
        pass
    atomic_write_bytes(path, text.encode("utf-8"))


def sync_all(
    feeds: list[Feed],
    curated: bytes,
    curated_path: str,
    directory: Mapping[str, Any],
    locations: Mapping[str, Any],
    report: Callable[[FeedOutcome], None] = lambda outcome: None,
    jobs: int | None = None,
    **options: Any,
) -> list[FeedOutcome]:
    """Sync every feed, `jobs` at a time in separate processes; return what happened to each.

    Each feed is converted and validated on its own, so on two cores two feeds at a time take
    about half as long; the outcomes are reported in the order the feeds are declared.
    """
    folder = feed_files.feeds_folder(curated_path)
    state = read_state(folder)
    jobs = min(jobs or default_jobs(), len(feeds))
    # Built here, before the workers fork, so that each inherits them instead of building its
    # own: the curated file's verdicts and the postal tables (a second of CPU a process).
    options["entries"] = curated_entries(curated, curated_path, options.get("limits"))
    places.zip_point("10001")  # any ZIP code: the first look-up builds the postal tables
    args = (curated, curated_path, dict(directory), dict(locations))
    timeout = options.get("timeout", FETCH_SECONDS)
    # Feed servers are often small volunteer-run sites: never more than two requests at one.
    hosts = {feed.name: urllib.parse.urlsplit(feed.source).netloc.lower() for feed in feeds}
    gates = {host: threading.BoundedSemaphore(FETCHES_PER_HOST) for host in hosts.values()}

    def fetch_one(feed: Feed) -> Fetched | FeedError:
        with gates[hosts[feed.name]]:
            return fetch_feed(feed, curated_path, state, timeout)

    outcomes: list[FeedOutcome] = []
    if jobs <= 1:
        for feed, answer in zip(feeds, _fetched_ahead(feeds, fetch_one), strict=True):
            outcome = _sync_one(feed, *args, state.get(feed.name), options, answer)
            outcomes.append(_record(outcome, state, report))
    else:
        # fork: the workers start at once with everything imported and built (a feed is
        # seconds of work); the options, the entry cache with them, go to a worker once.
        # They are forked before any fetching thread starts (a fork copies no thread's lock).
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(
            jobs, mp_context=context, initializer=_adopt, initargs=(options,)
        ) as pool:
            _submit(pool, int).exception()  # with fork, the first task starts every worker
            running: deque[tuple[Feed, Future]] = deque()
            for feed, answer in zip(feeds, _fetched_ahead(feeds, fetch_one), strict=True):
                job = _submit(pool, _sync_one, feed, *args, state.get(feed.name), None, answer)
                running.append((feed, job))
                while len(running) > 2 * jobs:  # answers wait in this process, not in a queue
                    outcomes.append(_record(_outcome(*running.popleft()), state, report))
            while running:
                outcomes.append(_record(_outcome(*running.popleft()), state, report))
    if options.get("write", True) and any(o.status in KEEPS_STATE for o in outcomes):
        write_state(folder, state)
    return outcomes


def _fetched_ahead(
    feeds: list[Feed], fetch_one: Callable[[Feed], Fetched | FeedError]
) -> Iterator[Fetched | FeedError]:
    """Yield each feed's answer in order, fetching up to FETCHES_AHEAD of them at once.

    Feed servers are slow (a large WordPress feed takes seconds to make) and the network waits
    cost no CPU, so the next feeds are fetched while the earlier ones are converted.
    """
    with ThreadPoolExecutor(FETCHES_AHEAD, thread_name_prefix="feed-fetch") as fetcher:
        pending = deque(fetcher.submit(fetch_one, feed) for feed in feeds[:FETCHES_AHEAD])
        rest = iter(feeds[FETCHES_AHEAD:])
        while pending:
            answer = pending.popleft().result()
            following = next(rest, None)
            if following is not None:
                pending.append(fetcher.submit(fetch_one, following))
            yield answer


def _submit(pool: ProcessPoolExecutor, task: Callable, *args: Any) -> Future:
    """Return the future of `task`; once a worker died, one that holds why (never a raise)."""
    try:
        return pool.submit(task, *args)
    except Exception as exc:  # BrokenProcessPool: a worker was killed (out of memory, a signal)
        broken: Future = Future()
        broken.set_exception(exc)
        return broken


def _outcome(feed: Feed, job: Future) -> FeedOutcome:
    try:
        return job.result()
    except Exception as exc:  # the worker died (out of memory, killed)
        return FeedOutcome(feed.name, "failed", f"its sync process failed: {exc!r}")


def default_jobs() -> int:
    return max(1, min(2, os.cpu_count() or 1))


def curated_entries(curated: bytes, curated_path: str, limits: DataLimits | None) -> EntryCache:
    """Return an entry cache holding the verdicts of the curated file's entries.

    The curated file is validated once here rather than once for each feed; a file that does
    not split into entries (see entry_cache) leaves the cache empty, and each feed validates
    it whole as before.
    """
    entries = EntryCache(feed_entries=False)
    parse_bytes(curated, curated_path, limits or DEFAULT_LIMITS, {}, entries, processes=1)
    return entries


_inherited: dict[str, Any] = {}  # in a worker process: the options it was started with


def _adopt(options: dict[str, Any]) -> None:
    """Keep the options a worker inherits by fork (not pickled: the entry cache is large)."""
    _inherited["options"] = options


def _sync_one(feed, curated, curated_path, directory, locations, validators, options, answer):
    options = _inherited["options"] if options is None else options
    state = {feed.name: validators} if validators else {}
    outcome = sync_feed(
        feed, curated, curated_path, directory, locations, state, **options, answer=answer
    )
    outcome.validators = state.get(feed.name)
    return outcome


def _record(outcome: FeedOutcome, state: dict, report: Callable[[FeedOutcome], None]):
    if outcome.status in KEEPS_STATE and outcome.validators:
        state[outcome.name] = outcome.validators
    report(outcome)
    return outcome
