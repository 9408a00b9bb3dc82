"""Draw the finder's home-screen icons once (static/icon-*.png, favicon.ico): a warm house with
a lightning bolt — a warm place with power — white on the pages' dark blue.

    .venv/bin/python tools/make_icons.py

The PNGs are committed; run this again only to change the drawing. The maskable icon keeps
everything inside the central 80 % circle that phones may crop to; the "any" icons fill more.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

STATIC = Path(__file__).resolve().parents[1] / "src" / "nezlam" / "web" / "static"
BLUE, WHITE, AMBER = "#1d3557", "#ffffff", "#f4a261"
DRAW_AT = 1024  # drawn large, scaled down: smooth edges without anti-aliasing by hand


def icon(scale: float) -> Image.Image:
    """The drawing on a full square; `scale` is the house's share of the side."""
    side = DRAW_AT
    image = Image.new("RGB", (side, side), BLUE)
    draw = ImageDraw.Draw(image)
    s, c = side * scale, side / 2

    def at(x: float, y: float) -> tuple[float, float]:  # -0.5..0.5 of the house's box
        return (c + x * s, c + y * s)

    draw.polygon([at(-0.5, -0.02), at(0, -0.5), at(0.5, -0.02)], fill=WHITE)  # the roof
    draw.rectangle([at(-0.38, -0.04), at(0.38, 0.5)], fill=WHITE)  # the walls
    bolt = [at(0.06, -0.2), at(-0.16, 0.14), at(-0.01, 0.14), at(-0.07, 0.42), at(0.16, 0.06),
            at(0.01, 0.06), at(0.08, -0.2)]  # fmt: skip
    draw.polygon(bolt, fill=AMBER)
    return image


def main() -> None:
    full, safe = icon(0.7), icon(0.56)  # 0.56: the house's corners stay inside the 80 % circle
    for size in (192, 512):
        full.resize((size, size), Image.LANCZOS).save(STATIC / f"icon-{size}.png", optimize=True)
    safe.resize((512, 512), Image.LANCZOS).save(STATIC / "icon-maskable-512.png", optimize=True)
    full.resize((48, 48), Image.LANCZOS).save(
        STATIC / "favicon.ico", sizes=[(16, 16), (32, 32), (48, 48)]
    )


if __name__ == "__main__":
    main()
