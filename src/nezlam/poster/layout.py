"""The poster's layout, top to bottom: the header, the rows of points (as many as fit, their
services on two lines where room is left), and the footer."""

from __future__ import annotations

import io
from typing import Any, NamedTuple

from nezlam.poster.page import MARGIN, PAGE_W, Line, Page, Span, qr_png
from nezlam.poster.point_lines import Context, point_lines
from nezlam.poster.words import TEXT, moment_words, point_url


class Row(NamedTuple):
    lines: list[Line]
    png: bytes
    side: float  # the QR image, quiet zone included (mm)
    height: float


NUMBER_W, QR_GAP = 11.0, 3.0


def _plan_rows(
    page: Page, features: list[dict[str, Any]], ctx: Context, service_lines: int
) -> list[Row]:
    rows = []
    for feature in features:
        png, side = qr_png(point_url(ctx.base_url, str(feature["id"])))
        width = PAGE_W - 2 * MARGIN - NUMBER_W - side - QR_GAP
        lines = point_lines(page, feature, ctx, width, service_lines)
        rows.append(Row(lines, png, side, max(sum(map(page.height, lines)) + 3, side)))
    return rows


def _fitting_rows(
    page: Page, features: list[dict[str, Any]], ctx: Context, room: float
) -> list[Row]:
    """Every point, its services on one line, and on two where room is left, nearest first;
    if even that is too tall, only the nearest points that fit: type is never shrunk."""
    narrow = _plan_rows(page, features, ctx, service_lines=1)
    wide = _plan_rows(page, features, ctx, service_lines=2)
    left = room - sum(row.height for row in narrow)
    if left < 0:
        kept: list[Row] = []
        for row in narrow:
            if sum(r.height for r in kept) + row.height > room:
                break
            kept.append(row)
        return kept
    rows = list(narrow)
    for i, (short, tall) in enumerate(zip(narrow, wide, strict=True)):
        if tall.height - short.height <= left:
            rows[i], left = tall, left - (tall.height - short.height)
    return rows


def draw_points(page: Page, features: list[dict[str, Any]], ctx: Context, bottom: float) -> int:
    """Rows of points from the cursor down to `bottom`; returns how many fitted."""
    rows = _fitting_rows(page, features, ctx, bottom - page.y)
    spare = (bottom - page.y - sum(row.height for row in rows)) / max(len(rows), 1)
    padding = min(spare, 4.0)  # spread a little leftover room between the rows
    separators = []
    for number, row in enumerate(rows, start=1):
        if number > 1:
            separators.append(page.y)
        top = page.y
        page.y = top + 1.5 + padding / 2
        page.draw([Span(str(number), 22, bold=True)], MARGIN)
        page.y = top + 1.5 + padding / 2
        for line in row.lines:
            page.draw(line, MARGIN + NUMBER_W)
        x = PAGE_W - MARGIN - row.side + 2  # the quiet zone may reach into the margin
        page.pdf.image(io.BytesIO(row.png), x=x, y=top + padding / 2, w=row.side, h=row.side)
        page.y = top + row.height + padding
    page.pdf.set_line_width(0.3)
    for y in separators:  # drawn after the codes, whose white quiet zones would hide them
        page.pdf.line(MARGIN, y, PAGE_W - MARGIN, y)
    return len(rows)


def draw_header(page: Page, ctx: Context, place_label: str | None, demo: bool) -> None:
    t, o = TEXT[ctx.lang], TEXT[ctx.other]
    if demo:
        _demo_box(page, ctx)
    page.draw([Span(t["title"], 26, bold=True)], MARGIN)
    page.draw([Span(o["title"], 14)], MARGIN)
    page.y += 2
    where = f"{ctx.lat:.5f}, {ctx.lon:.5f}"
    place = (
        [
            Span(t["near"].format(place=place_label), 14, bold=True),
            Span(f"   ({where})", 9, optional=True),
        ]
        if place_label
        else [Span(t["near"].format(place=where), 14, bold=True)]
    )
    page.draw(page.fit(place, PAGE_W - 2 * MARGIN), MARGIN)
    when = moment_words(ctx.generated_at, ctx.timezone)
    page.draw(
        [Span(t["as_of"].format(when=when), 12), Span("   " + o["as_of"].format(when=when), 9.5)],
        MARGIN,
    )
    page.y += 2
    page.rule(0.8)
    page.y += 1.5


def _demo_box(page: Page, ctx: Context) -> None:
    """A framed mark at the top right, on the title's line: no point on the page is real."""
    label = Span(f"{TEXT[ctx.lang]['demo']} · {TEXT[ctx.other]['demo']}", 13, bold=True)
    width, height = page.width(label) + 6, page.height([label]) + 3
    page.pdf.set_line_width(0.8)
    page.pdf.rect(PAGE_W - MARGIN - width, page.y, width, height)
    top = page.y
    page.y += 1.5
    page.draw([label], 0, align_right=PAGE_W - MARGIN - 3)
    page.y = top


def footer_lines(page: Page, ctx: Context, demo: bool) -> list[Line]:
    t, o = TEXT[ctx.lang], TEXT[ctx.other]
    width = PAGE_W - 2 * MARGIN
    lines = [
        *page.wrap(t["footer"].split(), " ", Span("", 14, bold=True), width, 2),
        page.fit([Span(o["footer"], 11)], width),
        page.fit(
            [
                Span(t["all_points"].format(url=ctx.base_url.rstrip("/")), 10),
                Span(" · " + o["all_points"].format(url="").rstrip(": "), 9, optional=True),
            ],
            width,
        ),
    ]
    if demo:
        lines.append(
            page.fit(
                [
                    Span(f"{t['demo']}: {t['demo_detail']}", 11, bold=True),
                    Span(f" · {o['demo']}: {o['demo_detail']}", 9, optional=True),
                ],
                width,
            )
        )
    return lines


def draw_none_found(page: Page, ctx: Context) -> None:
    page.y += 10
    page.draw([Span(TEXT[ctx.lang]["none"], 18, bold=True)], MARGIN)
    page.draw([Span(TEXT[ctx.other]["none"], 12)], MARGIN)


def draw_footer(page: Page, footer: list[Line], top: float) -> None:
    """The footer's lines under a rule at `top` (mm from the top of the page)."""
    page.y = top
    page.rule(0.8)
    page.y += 2
    for line in footer:
        page.draw(line, MARGIN)
