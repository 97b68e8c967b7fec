"""Words into index terms, the same way for documents and queries, in plain Python.

Text is normalised (NFKC, lower case, accents dropped), cut into words (`TOKEN_RE`: "a.a." stays
one word, hyphens split), stop words and one-letter words are dropped, and each word is stemmed
with Snowball's English stemmer. Text known to be in another language (a Spanish listing, or a
listing's Spanish translations) is also analysed the same way with that language's stemmer and
stop words (`analyze_as`), into a field of its own. The search engine indexes exactly the terms
these return, so a query planned here always meets the index's own terms.
"""

from __future__ import annotations

import functools
import re
import threading
import unicodedata
from collections.abc import Iterable

import snowballstemmer

# Words dropped from documents and queries alike. "no" and "not" are kept out of the list on
# purpose where they carry meaning ("no cost"); these never do.
STOP_WORDS = frozenset(
    {"a", "an", "and", "are", "as", "at", "be", "by", "can", "for", "from", "have", "if", "in",
     "is", "it", "may", "not", "of", "on", "or", "tbd", "that", "the", "this", "to", "us", "we",
     "when", "will", "with", "yet", "you", "your"}
)  # fmt: skip
# Other languages' words that never carry meaning in a listing: articles, prepositions,
# conjunctions ("sin", without, is kept: "sin costo").
OTHER_STOP_WORDS = {
    "es": frozenset(
        {"al", "como", "con", "de", "del", "el", "en", "es", "la", "las", "le", "les", "lo",
         "los", "para", "por", "que", "se", "su", "sus", "un", "una", "unas", "unos", "y"}
    ),
}  # fmt: skip
MIN_WORD_SIZE = 2  # shorter words are dropped
TOKEN_RE = re.compile(r"\w+(\.?\w+)*")
# Letters that are not a base letter plus accents, written as people type them without accents.
_LETTERS = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "ß": "ss", "đ": "d", "ł": "l", "ı": "i"})

_english = snowballstemmer.stemmer("english")
_stem_lock = threading.Lock()  # a Snowball stemmer object is not thread-safe


_stemmers: dict[str, snowballstemmer.stemmer] = {}
# Snowball's names of its stemmers for the languages listings are written in; another code is
# named by Babel (its locale data takes a third of a second to read, at every start).
SNOWBALL_NAMES = {"ca": "catalan", "de": "german", "en": "english", "es": "spanish",
                  "fr": "french", "it": "italian", "nl": "dutch", "pt": "portuguese",
                  "ru": "russian"}  # fmt: skip


@functools.lru_cache(maxsize=20_000)
def stem_as(language: str, word: str) -> str:
    """Return a folded word's stem in another language ("es": "reuniones" -> "reunion").

    Snowball names its stemmers in English ("spanish"), which Babel gives for a code.
    """
    with _stem_lock:
        if language not in _stemmers:
            name = SNOWBALL_NAMES.get(language) or _english_name(language)
            _stemmers[language] = snowballstemmer.stemmer(name)
        return _stemmers[language].stemWord(word)


def _english_name(language: str) -> str:
    from babel import Locale  # noqa: PLC0415  # why: only for a language SNOWBALL_NAMES lacks

    return Locale.parse(language).english_name.lower()


@functools.lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Return the stem of a folded word (cached; thread-safe)."""
    with _stem_lock:
        return _english.stemWord(word)


def fold(text: str) -> str:
    """Return text as words are read from it: NFKC, lower case, accents removed."""
    # Lone surrogates cannot be encoded for the index: drop them rather than fail.
    text = text.encode("utf-8", "ignore").decode("utf-8")
    text = unicodedata.normalize("NFKC", text).lower()
    if text.isascii():
        return text
    text = unicodedata.normalize("NFKD", text.translate(_LETTERS))
    return unicodedata.normalize("NFC", "".join(c for c in text if not unicodedata.combining(c)))


def raw_words(text: str) -> list[str]:
    """Return the folded words of a text, unstemmed, stop words included."""
    return [m.group(0) for m in TOKEN_RE.finditer(fold(text))]


def terms_of(words: Iterable[str]) -> tuple[str, ...]:
    """Return the index terms of folded words."""
    return tuple(stem(w) for w in words if len(w) >= MIN_WORD_SIZE and w not in STOP_WORDS)


@functools.lru_cache(maxsize=100_000)
def term_of_word(word: str) -> str | None:
    """Return the index term of one word as found in a text, or None for a stop word."""
    terms = terms_of((fold(word),))
    return terms[0] if len(terms) == 1 else None


def analyze(text: str) -> tuple[str, ...]:
    """Return the index terms of a text."""
    return terms_of(raw_words(text))


def terms_as(language: str, words: Iterable[str]) -> tuple[str, ...]:
    """Return the index terms of folded words of a text in another language ("es")."""
    stop_words = OTHER_STOP_WORDS.get(language, frozenset())
    return tuple(
        stem_as(language, w) for w in words if len(w) >= MIN_WORD_SIZE and w not in stop_words
    )


def analyze_as(language: str, text: str) -> tuple[str, ...]:
    """Return the index terms of a text in another language, for that language's field."""
    return terms_as(language, raw_words(text))


@functools.lru_cache(maxsize=100_000)
def term_of_word_as(language: str, word: str) -> str | None:
    """Return the term of one word of a text in another language, or None for a stop word."""
    terms = terms_as(language, (fold(word),))
    return terms[0] if len(terms) == 1 else None
