"""The plan of what a person typed: concepts, synonyms, corrections and prefixes.

A person's text is never parsed as query syntax. It is cut into words (quotes, brackets, `AND`,
`*`, `:` and emoji are just not words), capped, matched against the synonym table
(`synonyms.yaml`), corrected by one edit when a long word is unknown, and the last word is also
read as a prefix for type-ahead. The result is a `QueryPlan`: a list of concepts, each a set of
alternative term sequences with a weight (terms as `text.py` makes them). `scoring.py` scores a
plan against the index.
"""

from __future__ import annotations

import functools
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources as package_files

import yaml

from directory.search.engine import LANGUAGE_FIELDS
from directory.search.text import raw_words, stem, stem_as, terms_as, terms_of

# Words people add to a search that say nothing about what they want.
QUERY_STOP_WORDS = frozenset(
    {"near", "me", "my", "i", "need", "needs", "find", "where", "around", "nearby", "close",
     "looking", "get", "some", "any", "please", "what", "how", "who", "there"}
)  # fmt: skip
MAX_QUERY_CHARS = 500  # the web layer caps input at 2,000; only the start of it can matter
MAX_QUERY_WORDS = 12  # longer text is noise for a directory search; keeps the query cheap
MAX_SYNONYM_WORDS = 4  # longest phrase looked up in the synonym table
FUZZY_MIN_LENGTH = 5  # one edit of tolerance for words this long or longer, none below
PREFIX_MIN_LENGTH = 3  # the last word is also read as a prefix when it is at least this long
MAX_PREFIX_TERMS = 40  # a prefix expands to at most this many index terms

# Weights of the ways a concept can match, relative to the word exactly as typed.
EXACT_WEIGHT = 1.0
SYNONYM_WEIGHT = 0.8
FUZZY_WEIGHT = 0.6
PREFIX_WEIGHT = 0.5
# The words stemmed as another language's (they meet that language's own field): nearly as good
# as the words as typed, below them so that an English word's own meaning comes first.
LANGUAGE_STEM_WEIGHT = 0.9
STEM_MIN_LENGTH = 4  # shorter words of another language are matched only as written

_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


def edits1(word: str) -> set[str]:
    """Return every string one edit (delete, transpose, replace, insert) away from word."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = [a + b[1:] for a, b in splits if b]
    transposes = [a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1]
    replaces = [a + c + b[1:] for a, b in splits if b for c in _ALPHABET]
    inserts = [a + c + b for a, b in splits for c in _ALPHABET]
    return set(deletes + transposes + replaces + inserts)


# --- the synonym table ------------------------------------------------------------------------


@dataclass(frozen=True)
class Synonyms:
    """Phrases (tuples of folded words) -> the phrases a search for them also finds."""

    table: dict[tuple[str, ...], tuple[tuple[str, ...], ...]]
    intents: dict[tuple[str, ...], tuple[str, ...]] = field(default_factory=dict)
    # Another language's phrases by their stems in it ("reuniones" finds "reunion"), and the
    # words of a search that say nothing about what is wanted ("necesito", "de").
    stemmed: dict[tuple[str, ...], tuple[str, ...]] = field(default_factory=dict)
    stop_words: frozenset[str] = QUERY_STOP_WORDS
    # A phrase of another language -> its English words: the same words, matched as if typed.
    translated: dict[tuple[str, ...], tuple[tuple[str, ...], ...]] = field(default_factory=dict)

    @functools.cached_property
    def single_words(self) -> frozenset[str]:
        """Return the one-word keys, for typo correction."""
        return frozenset(k[0] for k in self.table if len(k) == 1)

    def key_of(self, words: Sequence[str]) -> tuple[str, ...] | None:
        """Return the table's phrase for words: as typed, else by another language's stems."""
        words = tuple(words)
        if words in self.table:
            return words
        for language, by_stem in self._stem_tables.items():
            key = by_stem.get(tuple(stem_as(language, w) for w in words))
            if key is not None:
                return key
        return None

    @functools.cached_property
    def _stem_tables(self) -> dict[str, dict[tuple[str, ...], tuple[str, ...]]]:
        tables: dict[str, dict[tuple[str, ...], tuple[str, ...]]] = {}
        for (language, *stems), key in self.stemmed.items():
            tables.setdefault(language, {}).setdefault(tuple(stems), key)
        return tables

    def lookup(self, words: Sequence[str]) -> tuple[tuple[str, ...], ...] | None:
        """Return the alternatives for a phrase, or None when it is not in the table."""
        key = self.key_of(words)
        return self.table.get(key) if key is not None else None

    def intents_of(self, words: Sequence[str]) -> tuple[str, ...]:
        """Return the categories a phrase asks for (its table phrase's)."""
        key = self.key_of(words)
        return self.intents.get(key if key is not None else tuple(words), ())


def parse_synonyms(data: dict, *languages: tuple[str, dict]) -> Synonyms:
    """Build the synonym table from the parsed YAML mapping, then other languages' files.

    A language's file (`synonyms.<code>.yaml`) has the same sections, and `translations`:
    a word in that language finds what its English words find, their synonyms included
    ("metadona" finds what "methadone" finds), and asks for their categories; `ignore` lists
    words a search in that language adds that say nothing. Its phrases are also matched by
    their stems in that language, so plurals and verb forms need no listing.
    """
    table: dict[tuple[str, ...], list[tuple[str, ...]]] = {}

    def add(key: tuple[str, ...], targets: Iterable[tuple[str, ...]]) -> None:
        if not key:
            return
        bucket = table.setdefault(key, [key])
        for target in targets:
            if target and target not in bucket:
                bucket.append(target)

    for canonical, aliases in (data.get("same") or {}).items():
        group = [tuple(raw_words(str(canonical)))]
        group += [tuple(raw_words(str(alias))) for alias in aliases or ()]
        for member in group:
            add(member, group)
    for word, targets in (data.get("also") or {}).items():
        add(tuple(raw_words(str(word))), [tuple(raw_words(str(t))) for t in targets or ()])
    for word, target in (data.get("misspellings") or {}).items():
        key, fixed = tuple(raw_words(str(word))), tuple(raw_words(str(target)))
        # A misspelling finds what its correction finds, including the correction's synonyms.
        add(key, [fixed, *table.get(fixed, ())])
    intents = {
        tuple(raw_words(str(phrase))): tuple(str(c) for c in categories or ())
        for phrase, categories in (data.get("categories") or {}).items()
    }
    stemmed: dict[tuple[str, ...], tuple[str, ...]] = {}
    translated: dict[tuple[str, ...], tuple[tuple[str, ...], ...]] = {}
    stop_words = set(QUERY_STOP_WORDS)
    for language, other in languages:
        english = {k: list(v) for k, v in table.items()}
        own: list[tuple[str, ...]] = []
        for word, targets in (other.get("translations") or {}).items():
            key = tuple(raw_words(str(word)))
            targets = targets if isinstance(targets, list) else [targets]
            found: list[tuple[str, ...]] = []
            categories: dict[str, None] = {}
            for target in targets:
                phrase = tuple(raw_words(str(target)))
                found += [phrase, *english.get(phrase, ())]
                translated[key] = (*translated.get(key, ()), phrase)
                categories.update(dict.fromkeys(intents.get(phrase, ())))
            add(key, found)
            if categories:
                intents.setdefault(key, tuple(categories))
            own.append(key)
        for word, targets in (other.get("also") or {}).items():
            key = tuple(raw_words(str(word)))
            add(key, [tuple(raw_words(str(t))) for t in targets or ()])
            own.append(key)
        for word, target in (other.get("misspellings") or {}).items():
            key, fixed = tuple(raw_words(str(word))), tuple(raw_words(str(target)))
            add(key, [fixed, *table.get(fixed, ())])
        for phrase, categories in (other.get("categories") or {}).items():
            intents[tuple(raw_words(str(phrase)))] = tuple(str(c) for c in categories or ())
        stop_words |= {w for text in other.get("ignore") or () for w in raw_words(str(text))}
        for key in own:
            if all(len(w) >= STEM_MIN_LENGTH or len(key) > 1 for w in key):
                stemmed.setdefault((language, *(stem_as(language, w) for w in key)), key)
    return Synonyms(
        {k: tuple(v) for k, v in table.items()}, intents, stemmed, frozenset(stop_words),
        translated,
    )  # fmt: skip


def read_synonym_file(text: str) -> dict:
    """Return a synonym file's mapping, every scalar as a string (YAML 1.1's `no` stays "no")."""
    return yaml.load(text, Loader=getattr(yaml, "CBaseLoader", yaml.BaseLoader)) or {}


@functools.cache
def load_synonyms() -> Synonyms:
    """Load `synonyms.yaml` and every language's `synonyms.<code>.yaml` shipped with the package.

    Read with libyaml, every scalar as text (what `parse_synonyms` makes of each anyway):
    ruamel.yaml took most of a second of every start; tests/search/test_query.py checks both read
    the same.
    """
    folder = package_files.files(__package__)

    def read(name: str) -> dict:
        return read_synonym_file(folder.joinpath(name).read_text(encoding="utf-8"))

    others = sorted(p.name for p in folder.iterdir()
                    if p.name.startswith("synonyms.") and p.name.count(".") == 2)  # fmt: skip
    return parse_synonyms(read("synonyms.yaml"), *((n.split(".")[1], read(n)) for n in others))


# --- the plan of a query ----------------------------------------------------------------------


@dataclass(frozen=True)
class Alternative:
    """One way a concept matches: every term of `terms` in the document, with a weight."""

    terms: tuple[str, ...]
    weight: float


@dataclass(frozen=True)
class Concept:
    """One thing the person asked for (a word or a known phrase) and how it may match."""

    words: tuple[str, ...]
    alternatives: tuple[Alternative, ...]
    categories: tuple[str, ...] = ()  # kinds of help the words ask for (ranked higher)


@dataclass(frozen=True)
class QueryPlan:
    concepts: tuple[Concept, ...]

    @property
    def terms(self) -> frozenset[str]:
        """Return every index term the plan can match, for highlighting."""
        return frozenset(t for c in self.concepts for a in c.alternatives for t in a.terms)

    def __bool__(self) -> bool:
        return bool(self.concepts)


class Vocabulary:
    """The index terms of one index generation, for typo correction and prefixes."""

    def __init__(self, terms: Iterable[str]):
        self.sorted = sorted(set(terms))
        self.set = frozenset(self.sorted)

    def __contains__(self, term: str) -> bool:
        return term in self.set

    def with_prefix(self, prefix: str, limit: int) -> list[str]:
        """Return up to limit terms that start with prefix."""
        out = []
        i = bisect_left(self.sorted, prefix)
        while i < len(self.sorted) and self.sorted[i].startswith(prefix) and len(out) < limit:
            out.append(self.sorted[i])
            i += 1
        return out


def plan_query(q: str, vocabulary: Vocabulary, synonyms: Synonyms | None = None) -> QueryPlan:
    """Turn what a person typed into concepts to match; never raises on any text."""
    synonyms = synonyms or load_synonyms()
    text = q[:MAX_QUERY_CHARS] if isinstance(q, str) else ""
    words = raw_words(text)[:MAX_QUERY_WORDS]
    # Type-ahead: the last word is still being typed unless the text ends in a space.
    last_is_partial = bool(words) and not text[-1:].isspace() and len(words) < MAX_QUERY_WORDS
    groups = _group_phrases(words, synonyms)
    meaningful = [g for g in groups if not (len(g) == 1 and g[0] in synonyms.stop_words)]
    groups = meaningful or groups
    concepts = []
    for i, group in enumerate(groups):
        partial = last_is_partial and i == len(groups) - 1 and group[-1] == words[-1]
        concept = _concept(group, vocabulary, synonyms, partial)
        if concept.alternatives:
            concepts.append(concept)
    return QueryPlan(tuple(concepts))


def _group_phrases(words: list[str], synonyms: Synonyms) -> list[tuple[str, ...]]:
    """Cut words into phrases found in the synonym table (longest first) and single words."""
    out, i = [], 0
    while i < len(words):
        for size in range(min(MAX_SYNONYM_WORDS, len(words) - i), 0, -1):
            phrase = tuple(words[i : i + size])
            if size == 1 or synonyms.key_of(phrase) is not None:
                out.append(phrase)
                i += size
                break
    return out


def _concept(
    words: tuple[str, ...], vocabulary: Vocabulary, synonyms: Synonyms, partial: bool
) -> Concept:
    """Return the alternatives for one word or phrase."""
    alternatives: dict[tuple[str, ...], float] = {}

    def offer(terms: tuple[str, ...], weight: float) -> None:
        if terms and alternatives.get(terms, 0.0) < weight:
            alternatives[terms] = weight

    exact = terms_of(words)
    offer(exact, EXACT_WEIGHT)
    for language in LANGUAGE_FIELDS if exact else ():  # English stop words stay dropped
        offer(terms_as(language, words), LANGUAGE_STEM_WEIGHT)
    categories = dict.fromkeys(synonyms.intents_of(words))
    key = synonyms.key_of(words)
    for phrase in synonyms.translated.get(key, ()) if key else ():
        offer(terms_of(phrase), EXACT_WEIGHT)  # the English words it means, as if typed
    for phrase in synonyms.lookup(words) or ():
        if phrase != words:
            offer(terms_of(phrase), SYNONYM_WEIGHT)
        categories.update(dict.fromkeys(synonyms.intents.get(phrase, ())))
    if len(words) == 1:
        word = words[0]
        known = synonyms.key_of(words) is not None or all(t in vocabulary for t in terms_of(words))
        if not known and len(word) >= FUZZY_MIN_LENGTH:
            _offer_corrections(word, vocabulary, synonyms, offer)
        if partial and len(word) >= PREFIX_MIN_LENGTH:
            for term in _prefix_terms(word, vocabulary):
                offer((term,), PREFIX_WEIGHT)
    return Concept(
        words, tuple(Alternative(t, w) for t, w in alternatives.items()), tuple(categories)
    )


def _offer_corrections(word: str, vocabulary: Vocabulary, synonyms: Synonyms, offer) -> None:
    """Offer index terms and synonym words one edit away from an unknown word."""
    near_words = edits1(word)
    for candidate in sorted(near_words & synonyms.single_words):
        for phrase in synonyms.lookup((candidate,)) or ():
            offer(terms_of(phrase), FUZZY_WEIGHT * SYNONYM_WEIGHT)
        offer(terms_of((candidate,)), FUZZY_WEIGHT)
    # The index holds stems, so compare stems ("alchoholics" -> "alchohol", one edit from
    # "alcohol"; "methodone" -> "methodon", one edit from "methadon").
    for term in sorted(edits1(stem(word)) & vocabulary.set):
        offer((term,), FUZZY_WEIGHT)


def _prefix_terms(word: str, vocabulary: Vocabulary) -> list[str]:
    """Return index terms a partly typed word may become."""
    terms = vocabulary.with_prefix(word, MAX_PREFIX_TERMS)
    # Stems are often shorter than the word being typed ("meetin" -> "meet").
    for size in range(max(PREFIX_MIN_LENGTH, len(word) - 3), len(word)):
        if word[:size] in vocabulary and word[:size] not in terms:
            terms.append(word[:size])
    return terms
