"""An import's entries put into the resource file: what the file refuses is left out, alone.

Every importer (Meeting Guide, BMLT, HSDS) ends here. The entries go into the document
(datafile.editing, which keeps a maintainer's formatting), and the result is validated by the
same rules as the file itself (datafile.load). An error in an imported entry used to stop the
whole import; now that entry is left out, reported with the validator's reason as a record
skipped, and the others go in. Errors in the file's own entries still stop it: they are the
maintainer's to fix, not the feed's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from directory.datafile import editing
from directory.datafile.load import Problem, validate_text
from directory.formats.common import ImportResult, RecordProblem

# Each pass leaves out every entry the validator refused; a second pass is rarely needed (an
# entry refused only once another is gone), a third never seen. Past it, what is left is said.
MAX_PASSES = 3


@dataclass
class Outcome:
    """What putting an import into the document did, and what the validator said of it."""

    changes: editing.Changes
    problems: list[Problem] = field(default_factory=list)  # errors and warnings of the result

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


def put_into(
    doc: editing.Document,
    result: ImportResult,
    owned_keys: frozenset[str],
    prune: Callable[[dict[str, Any]], bool] | None = None,
    path: str = "resources.yaml",
) -> Outcome:
    """Sync `result`'s entries into `doc` and validate; leave out the entries that fail.

    The entries left out are moved from `result.records` to `result.problems` (skipped, with
    the validator's messages). `prune` never removes an entry whose new version was refused:
    the file keeps the version it had. On return `doc.text` is the validated text.
    """
    start = doc.text
    refused: set[str] = set()
    keep = None if prune is None else (lambda e: prune(e) and str(e.get("id")) not in refused)
    for _ in range(MAX_PASSES):
        doc.text = start
        changes = editing.sync_resources(doc, result.records, owned_keys, keep)
        problems = list(validate_text(doc.text, path))
        ours = {str(r["id"]) for r in result.records}
        by_entry: dict[str, list[Problem]] = {}
        for problem in problems:
            if problem.severity == "error" and problem.resource_id in ours:
                by_entry.setdefault(problem.resource_id, []).append(problem)
        if not by_entry:
            return Outcome(changes, problems)
        for rid, errors in by_entry.items():
            index, key, key_name = result.origins.get(rid, (0, rid, "id"))
            said = "; ".join(f"{p.field}: {p.message}" if p.field else p.message for p in errors)
            result.problems.append(
                RecordProblem(
                    index, key, f"refused by the file's validation: {said}", "skipped", key_name
                )  # fmt: skip
            )
        refused |= set(by_entry)
        result.records = [r for r in result.records if str(r["id"]) not in refused]
    return Outcome(changes, problems)
