"""The catalogs: complete, current, compiled, and the core speaking the language in force."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from directory.core import translation, vocabulary
from directory.core.schedule import Schedule
from tests.conftest import ROOT

CATALOGS = ROOT / "directory" / "translations"
PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[sdf]")


def _po(code: str):
    with (CATALOGS / code / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f)


def _key(value):
    return tuple(value) if isinstance(value, list | tuple) else value


def _ids(catalog) -> set:
    return {m.id for m in catalog if m.id}


def test_the_template_is_what_the_code_and_templates_mark_now(tmp_path):
    """messages.pot is current: extracting again finds the same messages (`make translations`)."""
    copy = tmp_path / "checkout"
    for name in ("directory", "templates", "tools"):
        shutil.copytree(ROOT / name, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(ROOT / "babel.cfg", copy / "babel.cfg")
    subprocess.run([sys.executable, str(copy / "tools" / "extract_messages.py")], check=True,
                   capture_output=True)  # fmt: skip
    with (copy / "directory" / "translations" / "messages.pot").open("rb") as f:
        fresh = _ids(read_po(f))
    with (CATALOGS / "messages.pot").open("rb") as f:
        shipped = _ids(read_po(f))
    assert fresh == shipped, "run `make translations`: " + repr(
        sorted(fresh ^ shipped, key=str)[:5]
    )


@pytest.mark.parametrize("code", [c for c in translation.available() if c != "en"])
def test_every_message_has_a_translation_with_the_same_placeholders(code):
    with (CATALOGS / "messages.pot").open("rb") as f:
        wanted = _ids(read_po(f))
    catalog = _po(code)
    assert wanted <= _ids(catalog), f"untranslated: {sorted(wanted - _ids(catalog), key=str)[:5]}"
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"{code}: empty translation of {ids[0]!r}"
        assert "fuzzy" not in message.flags, f"{code}: fuzzy {ids[0]!r}"
        names = set(PLACEHOLDER.findall(ids[-1]))
        for text in strings:
            assert set(PLACEHOLDER.findall(text)) <= names | {"count", "num"}, (ids[0], text)
            assert names - {"count", "num"} <= set(PLACEHOLDER.findall(text)), (ids[0], text)


@pytest.mark.parametrize("code", [c for c in translation.available() if c != "en"])
def test_the_compiled_catalog_is_the_source_compiled(code):
    """The .mo the app reads (and the wheel carries) says what the .po says: `make` rebuilt it."""
    with (CATALOGS / code / "LC_MESSAGES" / "messages.mo").open("rb") as f:
        compiled = {_key(m.id): _key(m.string) for m in read_mo(f) if m.id}
    source = {_key(m.id): _key(m.string) for m in _po(code) if m.id}
    assert compiled == source


def test_outside_any_request_the_core_speaks_english():
    assert translation.code() == "en"
    assert vocabulary.category_label("food") == "Food"
    assert translation.clock(19 * 60) == "7:00 pm"


def test_spanish_words_times_and_dates_come_from_the_catalog_and_babel():
    with translation.speaking("es"):
        assert translation.code() == "es"
        assert vocabulary.category_label("food") == "Comida"
        assert vocabulary.type_name("AA", "S") == "Español"  # the Meeting Guide spec's own name
        assert vocabulary.type_name("AA", "W") == "Mujeres"
        assert translation.clock(19 * 60) == "7:00\u202fp.m."
        assert translation.long_date(date(2026, 12, 8)) == "martes, 8 de diciembre de 2026"
        hours = Schedule.from_items([{"days": "weekdays", "start": "08:00", "end": "17:00"}], "UTC")
        assert hours.describe() == ["De lunes a viernes, de 8:00\u202fa.m. a 5:00\u202fp.m."]
        two = Schedule.from_items([{"days": ["mon", "wed"], "start": "19:00", "end": "20:00"}],
                                  "UTC")  # fmt: skip
        assert two.describe()[0].startswith("Los lunes y los miércoles, de 7:00")
    assert vocabulary.category_label("food") == "Food"  # the block is over


def test_plain_words_times_in_spanish():
    from directory.core.availability import checked  # noqa: PLC0415

    with translation.speaking("es"):
        assert checked(date(2026, 11, 1), date(2026, 11, 22), 365)["text"] == (
            "Revisado hace 3 semanas"
        )
        assert checked(date(2026, 11, 21), date(2026, 11, 22), 365)["text"] == "Revisado ayer"
        day = datetime(2026, 12, 8, 19, 0, tzinfo=ZoneInfo("America/Los_Angeles"))
        assert translation.weekday_month_day(day) == "mar, 8 de dic"


def test_an_unknown_language_is_english():
    assert translation.language("zz").code == "en"
    with translation.speaking("zz"):
        assert vocabulary.category_label("food") == "Food"
