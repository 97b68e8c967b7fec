"""Why a result matched: a short passage of its text with the matching words marked.

A `Snippet` is plain text plus the character spans of the matching words. `Snippet.html()` gives
the same passage as safe HTML (everything escaped, matches in `<mark>`), ready for a template's
`|safe`; the JSON API can send the text and spans as they are.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from html import escape

from directory.core.model import Resource
from directory.search.documents import keywords_text
from directory.search.engine import LANGUAGE_FIELDS
from directory.search.text import TOKEN_RE, term_of_word, term_of_word_as

SNIPPET_CHARS = 180  # about two lines of a result card
LEAD_CHARS = 50  # context kept before the first match
ELLIPSIS = "…"


@dataclass(frozen=True)
class Snippet:
    text: str
    spans: tuple[tuple[int, int], ...] = ()  # [start, end) character offsets into text
    language: str = "en"  # the language the text is in

    def html(self) -> str:
        """Return the passage as escaped HTML with the matching words in <mark>."""
        out, at = [], 0
        for start, end in self.spans:
            out.append(escape(self.text[at:start]))
            out.append(f"<mark>{escape(self.text[start:end])}</mark>")
            at = end
        out.append(escape(self.text[at:]))
        return "".join(out)


def _matches(text: str, terms: frozenset[str]) -> list[tuple[int, int]]:
    """Return the spans of the words whose index term is one of terms (as the analyzer reads,
    in English or in another language's field)."""
    return [m.span() for m in TOKEN_RE.finditer(text) if _matched(m.group(0), terms)]


def _matched(word: str, terms: frozenset[str]) -> bool:
    if term_of_word(word) in terms:
        return True
    return any(term_of_word_as(language, word) in terms for language in LANGUAGE_FIELDS)


def _window(text: str, spans: list[tuple[int, int]], language: str) -> Snippet:
    """Cut a passage of about SNIPPET_CHARS around the first match, on word boundaries."""
    if len(text) <= SNIPPET_CHARS:
        return Snippet(text, tuple(spans), language)
    first = spans[0][0] if spans else 0
    start = max(0, first - LEAD_CHARS)
    if start:
        space = text.rfind(" ", 0, start)
        start = space + 1 if space >= 0 else start
    end = min(len(text), start + SNIPPET_CHARS)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > first else end
    prefix = ELLIPSIS if start else ""
    suffix = ELLIPSIS if end < len(text) else ""
    shift = len(prefix) - start
    kept = tuple((s + shift, e + shift) for s, e in spans if s >= start and e <= end)
    return Snippet(prefix + text[start:end] + suffix, kept, language)


def make_snippet(
    r: Resource, terms: Iterable[str], keywords: str | None = None, language: str = "en"
) -> Snippet | None:
    """Return the passage of a resource that shows why it matched, or its description.

    Texts in `language` come first (a listing's Spanish description on a Spanish page), then
    the file's own text and labels, then its other translations.
    """
    description, description_language = r.text_in("description", language)
    description = " ".join((description or "").split())
    wanted = frozenset(terms)
    if wanted:
        name, name_language = r.text_in("name", language)
        tried = [
            (description, description_language),
            (keywords if keywords is not None else keywords_text(r), "en"),
            (name, name_language),
            (" ".join((r.description or "").split()), r.text_language),
            (r.name, r.text_language),
        ]
        for other, translated in r.translations.items():
            tried += [(" ".join((translated.get(f) or "").split()), other)
                      for f in ("description", "name")]  # fmt: skip
        for text, text_language in dict.fromkeys(tried):
            spans = _matches(text, wanted) if text else []
            if spans:
                return _window(text, spans, text_language)
    return _window(description, [], description_language) if description else None
