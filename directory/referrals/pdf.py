"""The referral sheet drawn straight into a PDF, from the same data as its HTML page.

Why not the HTML through WeasyPrint, as before: a five-listing sheet cost 384 ms of CPU there,
and the same HTML with no stylesheet at all still 184 ms (bench figures in the README), against
the 90 ms a sheet may cost to serve 20 a second on 2 cores. Drawn here with ReportLab, a sheet
costs a tenth of that. The browser's Print still prints the HTML page (templates/sheet.html,
static/sheet.css); this module follows the same design: page 1 a summary (title, the share code,
"call me first", the help lines, the goals, a table of every place), then each place's details in
two columns, every page with the help lines and its number at the foot.

A small layout of our own: each part is a `Block` that knows its height at a width and draws
itself at a point; blocks are stacked on pages (none split unless taller than a whole page), then
drawn once the number of pages is known. Nothing is fetched and nothing is written but the PDF.
"""

from __future__ import annotations

import functools
import io
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

import segno
from reportlab.lib.colors import HexColor, black, white
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph

from directory.referrals.wording import SheetWords

PAPERS = {"letter": LETTER, "a4": A4}
MARGINS = {"top": 10 * mm, "side": 11 * mm, "bottom": 14 * mm}  # fits Letter and A4 alike
COLUMN_GAP = 6 * mm
QR_ERROR_LEVEL = "m"  # survives a crease or a smudge on a printed sheet
QR_BORDER = 2  # quiet modules around a code; the page's white margin does the rest
INK, GREY, RULE, WARN = HexColor("#111111"), HexColor("#333333"), HexColor("#999999"), "#8a3b00"
DIMENSION_COLOURS = {
    "health": HexColor("#0b5c8c"),
    "home": HexColor("#8a4600"),
    "purpose": HexColor("#5b2a86"),
    "community": HexColor("#1d6b2f"),
}
# Debian's fonts-dejavu-core: Latin with every accent, Greek, Cyrillic, Hebrew and Arabic
# letters, arrows and many symbols. A character no font here has is drawn as an empty box.
FONT_FOLDERS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu")
FONT_FILES = {
    "Sheet": "DejaVuSans.ttf",
    "Sheet-Bold": "DejaVuSans-Bold.ttf",
    "Sheet-Mono": "DejaVuSansMono-Bold.ttf",
}
FALLBACK_FACES = {  # PDF's own: every reader has them
    "Sheet": "Helvetica",
    "Sheet-Bold": "Helvetica-Bold",
    "Sheet-Mono": "Courier-Bold",
}


# Fonts and text styles, registered once per process.


@functools.cache
def fonts() -> None:
    """Register the sheet's fonts with ReportLab (reading a font costs about 40 ms)."""
    paths = {
        name: next((Path(d) / file for d in FONT_FOLDERS if (Path(d) / file).is_file()), None)
        for name, file in FONT_FILES.items()
    }
    if all(paths.values()):
        for name, path in paths.items():
            pdfmetrics.registerFont(TTFont(name, str(path)))
    else:
        # A sheet must still come out: PDF's own fonts (Latin letters with Western accents;
        # other scripts print as boxes), and the operator is told how to mend it.
        logging.getLogger(__name__).warning(
            "the DejaVu fonts are not in %s: sheet PDFs use PDF's built-in fonts, which lack"
            " many scripts (Debian: apt-get install fonts-dejavu-core)",
            ", ".join(FONT_FOLDERS),
        )
        for name, face in FALLBACK_FACES.items():
            pdfmetrics.registerFont(pdfmetrics.Font(name, face, "WinAnsiEncoding"))
        pdfmetrics.registerFontFamily("Sheet-Mono", normal="Sheet-Mono", bold="Sheet-Mono")
    pdfmetrics.registerFontFamily("Sheet", normal="Sheet", bold="Sheet-Bold")


def style(size: float, bold: bool = False, colour=INK, leading: float = 1.22, **kw):
    return ParagraphStyle(
        f"s{size}{bold}",
        fontName="Sheet-Bold" if bold else "Sheet",
        fontSize=size,
        leading=size * leading,
        textColor=colour,
        bulletFontName="Sheet",
        splitLongWords=1,  # a 200-letter word breaks rather than running off the page
        **kw,
    )


BODY = style(10, leading=1.18)
SMALL = style(8.5, colour=GREY)
NOTE = style(10.5, leading=1.18)


# Blocks: something with a height at a width that draws itself with its top-left at (x, y).


class Block:
    height: float = 0.0

    def draw(self, canvas: Canvas, x: float, y: float) -> None:
        raise NotImplementedError

    def split(self, room: float) -> tuple[Block | None, Block | None]:
        """Return what fits in room and the rest; by default nothing fits (kept whole)."""
        return None, self


class AroundParagraph(Paragraph):
    """A paragraph whose first lines are narrower (beside a QR code), as CSS's float does."""

    narrow: tuple[int, float] = (0, 0.0)  # how many lines, and how wide

    def breakLines(self, width):  # noqa: N802  # why: ReportLab's name
        lines, narrow = self.narrow
        if lines and isinstance(width, list):
            width = [narrow] * lines + [width[-1]]
        return super().breakLines(width)


class Text(Block):
    """A paragraph: ReportLab's mini-markup, every piece of data escaped by `markup`."""

    def __init__(
        self,
        markup: str,
        para_style: ParagraphStyle,
        width: float,
        space: float = 0,
        narrow: tuple[int, float] = (0, 0.0),
    ):
        self.paragraph = (
            AroundParagraph(markup, para_style) if narrow[0] else Paragraph(markup, para_style)
        )
        if narrow[0]:
            self.paragraph.narrow = narrow
        self.width, self.space = width, space
        self.height = self.paragraph.wrap(width, 1e6)[1] + space

    @classmethod
    def of(cls, paragraph: Paragraph, width: float) -> Text:
        made = cls.__new__(cls)
        made.paragraph, made.width, made.space = paragraph, width, 0
        made.height = paragraph.wrap(width, 1e6)[1]
        return made

    def draw(self, canvas, x, y):
        self.paragraph.drawOn(canvas, x, y - self.height)

    def split(self, room):
        parts = self.paragraph.split(self.width, room - self.space)
        if len(parts) < 2:
            return None, self
        return Text.of(parts[0], self.width), Text.of(parts[1], self.width)


class Space(Block):
    def __init__(self, height: float):
        self.height = height

    def draw(self, canvas, x, y):
        pass


class Drawing(Block):
    """A fixed-size drawing: fn(canvas, x, y_top)."""

    def __init__(self, fn: Callable[[Canvas, float, float], None], height: float):
        self.fn, self.height = fn, height

    def draw(self, canvas, x, y):
        self.fn(canvas, x, y)


class Stack(Block):
    """Blocks one under the other; splits between them (or inside a paragraph)."""

    def __init__(self, blocks: Sequence[Block]):
        self.blocks = [b for b in blocks if b is not None]
        self.height = sum(b.height for b in self.blocks)

    def draw(self, canvas, x, y):
        for block in self.blocks:
            block.draw(canvas, x, y)
            y -= block.height

    def split(self, room):
        used = 0.0
        for n, block in enumerate(self.blocks):
            if used + block.height > room:
                first, rest = block.split(room - used)
                head = self.blocks[:n] + ([first] if first else [])
                tail = ([rest] if rest else []) + self.blocks[n + 1 :]
                return (Stack(head) if head else None), Stack(tail)
            used += block.height
        return self, None


class Row(Block):
    """Blocks side by side at x offsets; as tall as the tallest."""

    def __init__(self, cells: Sequence[tuple[float, Block]], rule: float = 0, colour=RULE):
        self.cells, self.rule, self.colour = list(cells), rule, colour
        self.height = max((b.height for _, b in self.cells), default=0)

    def draw(self, canvas, x, y):
        for dx, block in self.cells:
            block.draw(canvas, x + dx, y)


class Ruled(Block):
    """A block with a rule under it (the table's rows, the details' items)."""

    def __init__(self, inner: Block, width: float, weight: float = 0.5, colour=RULE):
        self.inner, self.width, self.weight, self.colour = inner, width, weight, colour
        self.height = inner.height

    def draw(self, canvas, x, y):
        self.inner.draw(canvas, x, y)
        canvas.setStrokeColor(self.colour)
        canvas.setLineWidth(self.weight)
        bottom = y - self.height + self.weight / 2
        canvas.line(x, bottom, x + self.width, bottom)


class Boxed(Block):
    """A rounded box drawn around a stack, with padding."""

    def __init__(self, inner: Block, width: float, weight: float, pad: tuple[float, float]):
        self.inner, self.width, self.weight, self.pad = inner, width, weight, pad
        self.height = inner.height + 2 * pad[0]

    def draw(self, canvas, x, y):
        canvas.setStrokeColor(INK)
        canvas.setLineWidth(self.weight)
        canvas.roundRect(x, y - self.height, self.width, self.height, 2 * mm, stroke=1, fill=0)
        self.inner.draw(canvas, x + self.pad[1], y - self.pad[0])


class Barred(Block):
    """A stack with a coloured bar down its left side (a goal)."""

    def __init__(self, inner: Block, colour):
        self.inner, self.colour = inner, colour
        self.height = inner.height + 1 * mm

    def draw(self, canvas, x, y):
        canvas.setFillColor(self.colour)
        canvas.rect(x, y - self.height, 1.2 * mm, self.height, stroke=0, fill=1)
        self.inner.draw(canvas, x + 3.7 * mm, y - 0.5 * mm)


class Marked(Block):
    """Outline entries and a named destination where a heading is drawn."""

    def __init__(self, inner: Block, title: str, level: int, key: str):
        self.inner, self.title, self.level, self.key = inner, title, level, key
        self.height = inner.height

    def draw(self, canvas, x, y):
        canvas.bookmarkHorizontal(self.key, x, y)
        canvas.addOutlineEntry(" ".join(self.title.split())[:200], self.key, self.level)
        self.inner.draw(canvas, x, y)

    def split(self, room):
        first, rest = self.inner.split(room)
        return (Marked(first, self.title, self.level, self.key) if first else None), rest


# Drawings: QR codes and the dimensions' marks.


@functools.lru_cache(maxsize=512)
def qr_runs(data: str) -> tuple[int, tuple[tuple[int, int, int], ...]]:
    """Return a QR code's size in modules and its dark runs (row, first column, length)."""
    # Kept: encoding takes a few milliseconds (mask scoring); an address is on many sheets.
    matrix = segno.make(data, error=QR_ERROR_LEVEL, micro=False).matrix
    runs = []
    for r, row in enumerate(matrix):
        c = 0
        while c < len(row):
            if row[c]:
                start = c
                while c < len(row) and row[c]:
                    c += 1
                runs.append((r, start, c - start))
            c += 1
    return len(matrix), tuple(runs)


def qr_code(data: str, size: float) -> Drawing:
    modules, runs = qr_runs(data)
    unit = size / (modules + 2 * QR_BORDER)

    def draw(canvas, x, y):
        canvas.setFillColor(white)
        canvas.rect(x, y - size, size, size, stroke=0, fill=1)
        path = canvas.beginPath()
        for r, c, n in runs:
            path.rect(x + (c + QR_BORDER) * unit, y - (r + QR_BORDER + 1) * unit, n * unit, unit)
        canvas.setFillColor(black)
        canvas.drawPath(path, stroke=0, fill=1)

    return Drawing(draw, size)


def mark(dimension: str, size: float) -> Drawing:
    """Draw a dimension's mark (the same shapes as templates/_marks.html, in a 24-unit box)."""

    def draw(canvas, x, y):
        k = size / 24
        canvas.saveState()
        canvas.translate(x, y)
        canvas.scale(k, -k)  # SVG's y grows downwards
        canvas.setStrokeColor(DIMENSION_COLOURS.get(dimension, INK))
        canvas.setLineWidth(2.2)
        canvas.setLineJoin(1)
        canvas.setLineCap(1)
        p = canvas.beginPath()
        if dimension == "health":
            points = [(9, 3), (15, 3), (15, 9), (21, 9), (21, 15), (15, 15), (15, 21), (9, 21),
                      (9, 15), (3, 15), (3, 9), (9, 9)]  # fmt: skip
            p.moveTo(*points[0])
            for point in points[1:]:
                p.lineTo(*point)
            p.close()
        elif dimension == "home":
            for line in ([(3, 11.5), (12, 4), (21, 11.5)], [(5.5, 9.5), (5.5, 20), (18.5, 20),
                         (18.5, 9.5)], [(10, 20), (10, 15), (14, 15), (14, 20)]):  # fmt: skip
                p.moveTo(*line[0])
                for point in line[1:]:
                    p.lineTo(*point)
        elif dimension == "purpose":
            p.moveTo(5, 21)
            p.lineTo(5, 3.5)
            p.moveTo(5, 4)
            for point in ((18, 4), (15, 8.5), (18, 13), (5, 13)):
                p.lineTo(*point)
        else:
            p.circle(8, 8, 3)
            p.circle(16.5, 9, 2.5)
            p.moveTo(2.5, 20)
            p.curveTo(2.5, 16.4, 4.9, 14, 8, 14)
            p.curveTo(11.1, 14, 13.5, 16.4, 13.5, 20)
            p.moveTo(14, 14.6)
            p.curveTo(14.8, 14.2, 15.6, 14, 16.5, 14)
            p.curveTo(19.2, 14, 21.3, 16.1, 21.3, 19.4)
        canvas.drawPath(p, stroke=1, fill=0)
        canvas.restoreState()

    return Drawing(draw, size)


def with_mark(dimension: str, markup: str, para_style: ParagraphStyle, width: float) -> Row:
    """A heading with its dimension's mark before it."""
    size = para_style.fontSize * 1.1
    text = Text(markup, para_style, width - size - 1.5 * mm)
    offset = (para_style.leading - size) / 2
    drawn = mark(dimension, size)
    return Row([(0, Stack([Space(offset), drawn])), (size + 1.5 * mm, text)])


# Pages: blocks placed top to bottom, drawn once the number of pages is known.


@dataclass
class Pages:
    size: tuple[float, float]
    pages: list[list[tuple[Block, float, float]]] = field(default_factory=lambda: [[]])

    def __post_init__(self):
        self.left = MARGINS["side"]
        self.width = self.size[0] - 2 * MARGINS["side"]
        self.top = self.size[1] - MARGINS["top"]
        self.bottom = MARGINS["bottom"]
        self.y = self.top

    @property
    def room(self) -> float:
        return self.y - self.bottom

    def new_page(self) -> None:
        self.pages.append([])
        self.y = self.top

    def put(self, block: Block, x: float | None = None) -> None:
        self.pages[-1].append((block, self.left if x is None else x, self.y))
        self.y -= block.height

    def place(self, block: Block) -> None:
        """Place block whole, on a new page if it does not fit here; split only if it is
        taller than a whole page."""
        while block is not None:
            if block.height <= self.room:
                self.put(block)
                return
            if self.y < self.top and block.height <= self.top - self.bottom:
                self.new_page()
                continue
            first, block = block.split(self.room)
            if first is None:
                if self.y < self.top:
                    self.new_page()
                    continue
                self.put(block)  # cannot be split: drawn as far as the page goes
                return
            self.put(first)
            self.new_page()

    def columns(self, blocks: Sequence[Block], gap: float = COLUMN_GAP) -> None:
        """Fill two columns from here down, then two on each new page, left column first
        (a column is filled before the next: balancing them means laying out again)."""
        width = (self.width - gap) / 2
        column, start, lowest = 0, self.y, self.y

        def next_column() -> None:
            nonlocal column, start, lowest
            if column == 0:
                column, lowest, self.y = 1, self.y, start
            else:
                self.new_page()
                column, start, lowest = 0, self.top, self.top

        for block in blocks:
            while block is not None:
                x = self.left + column * (width + gap)
                room = self.y - self.bottom
                if block.height <= room:
                    self.pages[-1].append((block, x, self.y))
                    self.y -= block.height
                    break
                empty = self.y == start == self.top
                if not empty and block.height <= self.top - self.bottom:
                    next_column()
                    continue
                first, rest = block.split(room)
                if first is None:
                    if not empty:
                        next_column()
                        continue
                    first, rest = block, None  # cannot be split: drawn as far as it goes
                self.pages[-1].append((first, x, self.y))
                self.y -= first.height
                block = rest
                if rest is not None:
                    next_column()
        self.y = min(self.y, lowest)

    def draw(self, canvas: Canvas, footer: Callable[[Canvas, int, int], None]) -> None:
        for number, placed in enumerate(self.pages, 1):
            for block, x, y in placed:
                block.draw(canvas, x, y)
            footer(canvas, number, len(self.pages))
            canvas.showPage()


def markup(text: str | None) -> str:
    """Escape data for ReportLab's paragraph markup (it reads <, > and & as tags)."""
    return escape(text or "").replace("\n", "<br/>")


def bold(text: str | None) -> str:
    return f"<b>{markup(text)}</b>"


def colour_of(dimension: str) -> str:
    return DIMENSION_COLOURS.get(dimension, INK).hexval().replace("0x", "#")


# The sheet.


def sheet_pdf(sheet: dict, words: SheetWords, title: str) -> bytes:
    """Return the PDF of a sheet context (render.sheet_context's: items carry their `url`)."""
    fonts()
    paper = PAPERS.get(sheet.get("paper", "letter"), LETTER)
    pages = Pages(paper)
    t = words.text
    head(pages, sheet, t)
    first_boxes(pages, sheet, t)
    goals = [g for g in sheet["groups"] if g["goal"]]
    if goals:
        goal_grid(pages, goals, t)
    listed = [g for g in sheet["groups"] if g["items"]]
    if listed:
        glance(pages, sheet, listed, t)
        details(pages, listed, t)
    if sheet.get("missing"):
        count = len(sheet["missing"])
        hint = words.plural(
            "%(count)s listing on the list is no longer in the directory and was left off.",
            "%(count)s listings on the list are no longer in the directory and were left off.",
            count,
        )
        pages.place(Text(markup(hint), SMALL, pages.width, space=2 * mm))
    out = io.BytesIO()
    canvas = Canvas(
        out,
        pagesize=paper,
        lang=sheet["language"],
        pageCompression=1,
        initialFontName="Sheet",
        initialFontSize=10,
    )
    canvas.setTitle(title)
    canvas.setCreator(sheet.get("directory_name") or "")
    canvas.showOutline()
    pages.draw(canvas, footer_for(sheet, words))
    canvas.save()
    return out.getvalue()


def footer_for(sheet: dict, words: SheetWords) -> Callable[[Canvas, int, int], None]:
    """Return what draws each page's foot: the help lines, and "Page 1 of 3"."""
    from directory.referrals.render import help_line  # the browser's Print says the same

    help_text = help_line(sheet, words)
    fit = SMALL.clone("foot", textColor=INK)

    def draw(canvas, number, count):
        width, _ = canvas._pagesize
        page = words.text("Page %(page)s of %(pages)s", page=number, pages=count)
        y = MARGINS["bottom"] / 2 - 1 * mm
        right = Paragraph(markup(page), fit)
        page_width = pdfmetrics.stringWidth(page, "Sheet", fit.fontSize) + 1
        room = width - 2 * MARGINS["side"] - page_width - 4 * mm
        left = Paragraph(markup(help_text), fit)
        h = left.wrap(room, 1e6)[1]
        left.drawOn(canvas, MARGINS["side"], y + fit.leading - h)
        right.wrap(page_width, 1e6)
        right.drawOn(canvas, width - MARGINS["side"] - page_width, y)

    return draw


def head(pages: Pages, sheet: dict, t) -> None:
    width = pages.width
    side = 84 * mm if sheet.get("share_url") else 0
    name = sheet["participant"]
    h1 = t("%(name)s's recovery resources", name=name) if name else t("My recovery resources")
    date = sheet["date_text"]
    if sheet.get("origin"):
        date += " · " + t("Distances from %(place)s", place=sheet["origin"])
    title_width = width - side - (4 * mm if side else 0)
    title = Stack([
        Marked(Text(bold(h1), style(19, True, leading=1.15), title_width), h1, 0, "title"),
        Text(markup(date), style(10.5, colour=GREY), title_width, space=1 * mm),
    ])  # fmt: skip
    cells: list[tuple[float, Block]] = [(0, title)]
    if side:
        code = 24 * mm
        text_width = side - code - 2 * mm
        on_phone = t("This list on your phone")
        text = Stack([
            Marked(Text(bold(on_phone), style(10.5, True), text_width), on_phone, 1, "phone"),
            Text(markup(t("Scan the code, or type:")), style(9.5), text_width),
            Text(address_lines(sheet["share_url"], text_width), style(9.5, True), text_width),
            Text(markup(t("It shows which places are on the list, and nothing about you.")),
                 SMALL, text_width),
        ])  # fmt: skip
        box = Row([(0, qr_code(sheet["share_url"], code)), (code + 2 * mm, text)])
        cells.append((width - side, Stack([Space(2 * mm), box])))
    pages.place(Row(cells))


def address_lines(url: str, width: float) -> str:
    """Break the address to type at its hyphens only, never inside a code."""
    mono = style(9.5, True).clone("mono", fontName="Sheet-Mono")
    pieces = [p + "-" for p in url.split("-")]
    pieces[-1] = pieces[-1][:-1]
    lines, line = [], ""
    for piece in pieces:
        if line and pdfmetrics.stringWidth(line + piece, mono.fontName, mono.fontSize) > width:
            lines.append(line)
            line = ""
        line += piece
    lines.append(line)
    return f'<font name="Sheet-Mono">{"<br/>".join(markup(x) for x in lines)}</font>'


def first_boxes(pages: Pages, sheet: dict, t) -> None:
    """ "Call me first" (when the specialist gave a name or contact) beside the help lines."""
    boxes: list[tuple[float, float, Callable[[float], list[Block]]]] = []  # share, border, make
    if sheet.get("specialist") or sheet.get("contact"):

        def call_me(width: float) -> list[Block]:
            heading = t("When things get tough, call me first")
            made: list[Block] = [Marked(Text(bold(heading), style(11, True), width), heading, 1,
                                        "call-me")]  # fmt: skip
            if sheet.get("specialist"):
                made.append(Text(bold(sheet["specialist"]), style(13, True), width))
            if sheet.get("contact"):
                made.append(Text(markup(sheet["contact"]), style(11.5), width))
            return made

        boxes.append((1.0, 2, call_me))

    def help_now(width: float) -> list[Block]:
        heading = t("Help right now, any time")
        made: list[Block] = [Marked(Text(bold(heading), style(11, True), width), heading, 1,
                                    "help-now")]  # fmt: skip
        bullet = style(10, leftIndent=4 * mm, bulletIndent=0)
        made += [Text(line, bullet, width, space=0.6 * mm) for line in crisis_lines(sheet, t)]
        return made

    boxes.append((1.25, 1.2, help_now))
    gap = 3 * mm
    room = pages.width - gap * (len(boxes) - 1)
    share = sum(b[0] for b in boxes)
    cells, x = [], 0.0
    for part, border, make in boxes:
        box_width = room * part / share
        content = Stack(make(box_width - 6 * mm))
        cells.append((x, Boxed(content, box_width, border, (2 * mm, 3 * mm))))
        x += box_width + gap
    tallest = max(b.height for _, b in cells)
    for _, box in cells:  # side by side, equally tall
        box.height = tallest
    pages.place(Stack([Space(3 * mm), Row(cells)]))


def crisis_lines(sheet: dict, t) -> list[str]:
    """Return the help box's lines, as the HTML sheet words them."""
    lines = []
    for line in sheet["crisis_lines"]:
        phone, text = line.get("phone"), line.get("text")
        how = ""
        if phone and text and phone == text:
            how = ": " + t("call or text %(number)s", number=phone)
        else:
            if phone:
                how = ": " + t("call %(number)s", number=phone)
            if text:
                how += ", " + t("text %(number)s", number=text)
        notes = f". {line['notes']}" if line.get("notes") else ""
        lines.append(f"<bullet>•</bullet>{bold(line.get('name'))}{markup(how + notes)}")
    if not sheet.get("has_911"):
        how = ": " + t("call %(number)s", number="911")
        lines.append(f"<bullet>•</bullet>{bold(t('Emergency or overdose'))}{markup(how)}")
    return lines


def section_title(text: str, key: str, width: float, above: float = 5 * mm) -> Block:
    para = style(10, True, GREY)
    return Marked(Text(bold(text.upper()), para, width, space=above), text, 1, key)


def goal_grid(pages: Pages, goals: list[dict], t) -> None:
    gap = 4 * mm
    width = (pages.width - gap) / 2
    blocks = []
    for group in goals:
        dim = group["dimension"]
        inner = width - 3.7 * mm
        heading = with_mark(dim, f'<font color="{colour_of(dim)}">{bold(group["title"])}</font>',
                            style(11, True), inner)  # fmt: skip
        blocks.append(Barred(Stack([
            Marked(heading, group["title"], 2, f"goal-{dim}"),
            Space(0.5 * mm),
            Text(markup(group["goal"]), style(10.5), inner),
        ]), DIMENSION_COLOURS.get(dim, INK)))  # fmt: skip
    rows = []
    for n in range(0, len(blocks), 2):
        pair = blocks[n : n + 2]
        cells = [(i * (width + gap), b) for i, b in enumerate(pair)]
        rows.append(Stack([Space(2.5 * mm if n else 0), Row(cells)]))
    title = section_title(t("My goals"), "goals", pages.width)
    pages.place(Stack([title, Space(1.5 * mm), rows[0]]))
    for row in rows[1:]:
        pages.place(row)


GLANCE_COLUMNS = (0.32, 0.25, 0.265, 0.165)


def glance(pages: Pages, sheet: dict, groups: list[dict], t) -> None:
    width = pages.width
    xs, widths, x = [], [], 0.0
    for share in GLANCE_COLUMNS:
        xs.append(x)
        widths.append(width * share - 2 * mm)
        x += width * share
    widths[-1] += 2 * mm  # the last column has no padding after it
    cell = style(10)

    def row(cells: list[str], para=cell, weight=0.5, colour=RULE, pad=0.9 * mm) -> Block:
        texts = [Text(c, para, w) for c, w in zip(cells[:-1], widths, strict=False)]
        # The phone column does not wrap a number: a long one runs into the margin.
        phone = Paragraph(cells[-1], para)
        natural = max(phone.minWidth() + 1, widths[-1]) if cells[-1] else widths[-1]
        texts.append(Text.of(phone, min(natural, widths[-1] + MARGINS["side"] - 2 * mm)))
        inner = Stack([Space(pad), Row(list(zip(xs, texts, strict=True))), Space(pad)])
        return Ruled(inner, width, weight, colour)

    head_style = style(8.5, True, GREY)
    header = row([markup(x.upper()) for x in (t("What"), t("When next"), t("Where"), t("Phone"))],
                 head_style, 1, INK)  # fmt: skip
    title = section_title(t("At a glance"), "glance", width)
    first = True
    for group in groups:
        dim = group["dimension"]
        colour = DIMENSION_COLOURS.get(dim, INK)
        heading = with_mark(
            dim,
            f'<font color="{colour_of(dim)}">{bold(group["title"])}</font> '
            f'<font size="8.5" color="#333333">{markup(group["description"])}</font>',
            style(11),
            width,
        )
        group_row = Ruled(Stack([Space(2.2 * mm), heading, Space(0.9 * mm)]), width, 1.2, colour)
        rows = []
        for item in group["items"]:
            name = f'<font size="10.5"><b>{markup(item["name"])}</b></font><br/>'
            what = f'{name}<font size="8.5" color="#333333">{markup(item["kind"])}</font>'
            when = bold(item["when"]) if item.get("status") else markup(item["when"])
            where = markup(item["where"])
            if item.get("distance_text"):
                where += f' <font color="#333333">· {markup(item["distance_text"])}</font>'
            phone = glance_phone(item, t)
            rows.append(row([what, when, where, phone]))
        lead = [title, Space(1.5 * mm), header] if first else []
        for n, r in enumerate(rows):
            block = Stack([*lead, group_row, r]) if n == 0 else r
            before = len(pages.pages)
            pages.place(block)
            if len(pages.pages) > before and not (first and n == 0):  # the header again on top
                pages.pages[-1].pop()
                pages.y = pages.top
                pages.place(Stack([header, block]))
        first = False
    foot = t("Times and places can change: call ahead when you can. Made with %(directory)s; "
             "this sheet is yours, and nothing written on it was saved.",
             directory=sheet["directory_name"])  # fmt: skip
    pages.place(Text(markup(foot), SMALL, width, space=1 * mm))


def glance_phone(item: dict, t) -> str:
    if item.get("phone"):
        phone = item["phone"]
    elif item.get("text"):
        phone = t("text %(number)s", number=item["text"])
    elif item.get("online") and item["online"].get("phone"):
        phone = item["online"]["phone"]
    else:
        phone = ""
    found = bold(phone)
    if (item.get("checked") or {}).get("stale"):
        stale = markup(t("not checked lately: call first"))
        found += f'<br/><font size="8.5" color="#333333">{stale}</font>'
    return found


def details(pages: Pages, groups: list[dict], t) -> None:
    width = (pages.width - COLUMN_GAP) / 2
    blocks: list[Block] = []
    for n, group in enumerate(groups):
        dim = group["dimension"]
        colour = DIMENSION_COLOURS.get(dim, INK)
        heading = with_mark(dim, bold(group["title"]), style(13, True), width)
        lead: list[Block] = [Space(3 * mm)]
        if n == 0:
            lead.append(section_title(t("Before you go"), "details", width, above=4 * mm))
            lead.append(Space(1.5 * mm))
        lead.append(Marked(Ruled(Stack([heading, Space(0.8 * mm)]), width, 1.5, colour),
                           group["title"], 2, f"details-{dim}"))  # fmt: skip
        for m, item in enumerate(group["items"]):
            block = item_block(item, width, t)
            blocks.append(Stack([*lead, block]) if m == 0 else block)
    pages.y -= 2 * mm
    pages.columns(blocks)


def item_block(item: dict, width: float, t) -> Block:
    """One place's details: name and kind, what it is, where the door is, times, the note; its
    QR code at the top right, the lines beside it narrower than those below it."""
    code = 19 * mm
    beside = width - code - 2 * mm
    kind = markup(item["kind"]) + (f" · {markup(item['types'])}" if item.get("types") else "")
    lines: list[tuple[str, ParagraphStyle]] = [
        (f'{bold(item["name"])} <font size="9" color="#333333">{kind}</font>', style(11.5))
    ]

    def add(text: str, label: str | None = None) -> None:
        lines.append(((f"<b>{markup(label)}</b> " if label else "") + markup(text), BODY))

    if item.get("summary"):
        add(item["summary"])
    if item.get("status"):
        lines.append((f'<font color="{WARN}"><b>{markup(item["status"])}</b></font>', BODY))
    if item.get("place") or item.get("place_notes"):
        joined = ". " if item.get("place") and item.get("place_notes") else ""
        add((item.get("place") or "") + joined + (item.get("place_notes") or ""), t("Where:"))
    if item.get("times"):
        zone = item.get("zone")
        add("; ".join(item["times"]),
            t("Next 7 days (%(zone)s):", zone=zone) if zone else t("Next 7 days:"))  # fmt: skip
    if item.get("hours") and item.get("hours_notes"):
        add(item["hours_notes"], t("Hours:"))
    if item.get("text") and item.get("phone"):
        add(item["text"], t("Text:"))
    online = item.get("online")
    if online:
        parts = [online["url"]] if online.get("url") else []
        if online.get("phone"):
            parts.append(t("by phone %(number)s", number=online["phone"]))
        if online.get("notes"):
            parts.append(online["notes"])
        add(" · ".join(parts), t("Join online:"))
    blocks: list[Block] = []
    height = 1.5 * mm  # the first line's top, level with the code's
    clear = height + code + 0.5 * mm  # lines above this are beside the code
    if item.get("note"):
        note = f"<b>{markup(t('Note:'))}</b> {markup(item['note'])}"
        lines.append((note, NOTE))
    for text, para in lines:
        indent = 3 * mm if para is NOTE else 0
        if para is NOTE:
            height += 0.8 * mm
        beside_lines = max(0, math.ceil((clear - height) / para.leading - 0.01))
        block = Text(text, para, width - indent, narrow=(beside_lines, beside - indent))
        blocks.append(Note(block) if para is NOTE else block)
        height += block.height
    return Marked(
        Ruled(WithCode(Stack([Space(1.5 * mm), *blocks]), qr_code(item["url"], code), clear,
                       width), width),
        item["name"], 3, f"sheet-{item['id']}",
    )  # fmt: skip


class WithCode(Block):
    """A place's lines with its QR code at the top right, the lines beside it narrower."""

    def __init__(self, inner: Block, code: Drawing, clear: float, width: float):
        self.inner, self.code, self.width = inner, code, width
        self.height = max(inner.height, clear) + 1.6 * mm

    def draw(self, canvas, x, y):
        self.inner.draw(canvas, x, y)
        self.code.draw(canvas, x + self.width - self.code.height, y - 1.5 * mm)


class Note(Block):
    """The specialist's note, with a bar down its left side."""

    def __init__(self, text: Text):
        self.text = text
        self.height = text.height + 0.8 * mm

    def draw(self, canvas, x, y):
        canvas.setFillColor(HexColor("#444444"))
        canvas.rect(x, y - self.height, 1 * mm, self.height - 0.8 * mm, stroke=0, fill=1)
        self.text.draw(canvas, x + 3 * mm, y - 0.8 * mm)
