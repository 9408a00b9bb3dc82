"""The drawing surface: an A4 page of lines of type laid on a shared baseline, the poster's
font, and its QR codes. Units on the page are millimetres; font sizes are points."""

from __future__ import annotations

import importlib
import io
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import segno
from fpdf import FPDF

PAGE_W, PAGE_H, MARGIN = 210.0, 297.0, 11.0
QR_SYMBOL_MM = 26.0  # the code itself, without its quiet zone: scannable from arm's length
QR_QUIET_MODULES = 4  # the white border the QR standard asks for
PT = 25.4 / 72  # millimetres per point
LEADING = 1.2

# FiraGO: a legible sans with full Ukrainian Cyrillic and "≈", under the SIL Open Font License.
FONT_FAMILY = "FiraGO"
FONT_MODULES = {"": "FiraGO_Regular", "B": "FiraGO_Bold"}
# Type sizes (points): large enough to read on a door from a step away.
NAME_PT, KEY_PT, BODY_PT, SMALL_PT = 16.0, 14.0, 12.5, 10.0


class Span(NamedTuple):
    text: str
    size: float  # points
    bold: bool = False
    optional: bool = False  # dropped first when the line is too long


Line = list[Span]


class Page:
    """An FPDF page with a cursor `y` and lines of spans laid on a shared baseline."""

    def __init__(self, fonts: Path) -> None:
        pdf = FPDF(orientation="portrait", unit="mm", format="A4")
        pdf.set_auto_page_break(False)
        pdf.set_margins(MARGIN, MARGIN, MARGIN)
        for style, module in FONT_MODULES.items():
            path = fonts / f"{module}.ttf"
            path.write_bytes(font_bytes(style))
            pdf.add_font(FONT_FAMILY, style, path)
        pdf.add_page()
        self.pdf, self.y = pdf, MARGIN

    def width(self, span: Span) -> float:
        self.pdf.set_font(FONT_FAMILY, "B" if span.bold else "", span.size)
        return self.pdf.get_string_width(span.text)

    @staticmethod
    def height(line: Line) -> float:
        return max((s.size for s in line), default=0) * PT * LEADING

    def fit(self, line: Line, width: float) -> Line:
        """Drop optional spans from the end, then cut the last span with "…", until it fits."""
        line = list(line)
        while sum(self.width(s) for s in line) > width and any(s.optional for s in line):
            line.pop(max(i for i, s in enumerate(line) if s.optional))
        while line and sum(self.width(s) for s in line) > width and len(line[-1].text) > 1:
            last = line[-1]
            line[-1] = last._replace(text=last.text[:-2].rstrip() + "…")
        return line

    def wrap(
        self,
        words: list[str],
        sep: str,
        span: Span,
        width: float,
        max_lines: int,
        more: str | None = None,
    ) -> list[Line]:
        """Greedy lines of `words` joined by `sep`. What overflows `max_lines` is cut with "…",
        or counted with `more` ("та ще {n}") so no label is cut in half."""

        def fits(parts: list[str]) -> bool:
            return self.width(span._replace(text=sep.join(parts))) <= width

        lines: list[list[str]] = []
        rest: list[str] = []
        for i, word in enumerate(words):
            if lines and fits([*lines[-1], word]):
                lines[-1].append(word)
            elif len(lines) < max_lines:
                lines.append([word])
            else:
                rest = words[i:]
                break
        if rest and more:
            last = lines[-1]
            while len(last) > 1 and not fits([*last, more.format(n=len(rest))]):
                rest.insert(0, last.pop())
            last.append(more.format(n=len(rest)))
        elif rest:
            lines[-1] += rest
        return [self.fit([span._replace(text=sep.join(line))], width) for line in lines]

    def draw(self, line: Line, x: float, align_right: float | None = None) -> None:
        baseline = self.y + max((s.size for s in line), default=0) * PT * 0.95
        if align_right is not None:
            x = align_right - sum(self.width(s) for s in line)
        for span in line:
            self.pdf.set_font(FONT_FAMILY, "B" if span.bold else "", span.size)
            self.pdf.text(x, baseline, span.text)
            x += self.pdf.get_string_width(span.text)
        self.y += self.height(line)

    def rule(self, thickness: float) -> None:
        self.pdf.set_line_width(thickness)
        self.pdf.line(MARGIN, self.y, PAGE_W - MARGIN, self.y)


@lru_cache(maxsize=2)
def font_bytes(style: str) -> bytes:
    """The TrueType file of one style, from the pymupdf-fonts package (fonts kept in modules)."""
    module = importlib.import_module(f"pymupdf_fonts.{FONT_MODULES[style]}")
    return bytes(module.fontbuffer)


def qr_png(url: str) -> tuple[bytes, float]:
    """A PNG of the code with its quiet zone, and its side in mm so the symbol is QR_SYMBOL_MM."""
    code = segno.make_qr(url, error="m")
    modules = code.symbol_size(scale=1, border=0)[0]
    out = io.BytesIO()
    code.save(out, kind="png", scale=10, border=QR_QUIET_MODULES)
    return out.getvalue(), QR_SYMBOL_MM * (modules + 2 * QR_QUIET_MODULES) / modules
