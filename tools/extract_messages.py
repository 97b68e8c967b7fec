"""Write directory/translations/messages.pot: every text shown to people, from code and templates.

`pybabel extract` with our keywords (babel.cfg), then one clean-up: Babel's Python extractor
also picks up strings near a keyword that is not a call of it (`text[:40]`, a `_` loop
variable, `_(variable)`), so a Python message is kept only where a keyword call opens with it
as a string literal. Run by `make translations`.
"""

from __future__ import annotations

import io
import subprocess
import sys
import tokenize
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
POT = ROOT / "directory" / "translations" / "messages.pot"
# name -> argument holding the message
KEYWORDS = {"_": 1, "N_": 1, "gettext": 1, "ngettext": 1, "pgettext": 2, "text": 1,
            "plural": 1, "t": 1, "tn": 1, "validation_message": 1}  # fmt: skip
BABEL_KEYWORDS = ["_", "N_", "gettext", "ngettext:1,2", "pgettext:1c,2", "text", "plural:1,2",
                  "t", "tn:1,2", "validation_message"]  # fmt: skip


@cache
def literal_calls(path: Path) -> frozenset[int]:
    """Return the lines where a keyword call's message argument is a string literal."""
    tokens = [
        t for t in tokenize.generate_tokens(io.StringIO(path.read_text("utf-8")).readline)
        if t.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT, tokenize.INDENT,
                          tokenize.DEDENT)
    ]  # fmt: skip
    lines = set()
    for i, tok in enumerate(tokens[:-2]):
        if tok.type != tokenize.NAME or tok.string not in KEYWORDS:
            continue
        if i and tokens[i - 1].string == "def":
            continue
        if tokens[i + 1].string != "(":
            continue
        j = i + 2
        for _skip in range(KEYWORDS[tok.string] - 1):  # pgettext: the context comes first
            if tokens[j].type != tokenize.STRING or tokens[j + 1].string != ",":
                break
            j += 2
        if tokens[j].type == tokenize.STRING:
            lines.add(tokens[j].start[0])
    return frozenset(lines)


def main() -> int:
    command = [
        sys.executable,
        "-m",
        "babel.messages.frontend",
        "extract",
        "-F",
        "babel.cfg",
        "--sort-output",
        "--omit-header",
        "--project=recovery-directory",
        "-o",
        str(POT),
    ]
    command += [f"-k{k}" for k in BABEL_KEYWORDS] + ["."]
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    with POT.open("rb") as f:
        catalog = read_po(f)
    for message in list(catalog):
        if not message.id:
            continue
        python = [(f, n) for f, n in message.locations if f.endswith(".py")]
        others = [loc for loc in message.locations if not loc[0].endswith(".py")]
        kept = [(f, n) for f, n in python if n in literal_calls(ROOT / f)]
        if not kept and not others:
            catalog.delete(message.id, message.context)
    with POT.open("wb") as f:
        write_po(f, catalog, no_location=True, omit_header=True, sort_output=True, width=100)
    print(f"{POT.relative_to(ROOT)}: {sum(1 for m in catalog if m.id)} messages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
