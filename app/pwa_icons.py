"""Draws the installable app's icons (app/static/pwa/icons/*.png), committed to the repository.

Run again after changing the design: `python -m app.pwa_icons`. A green tile (the
portal's header colour) with a white speech bubble holding three lines: a
complaint, written. The maskable icon keeps the drawing inside the central 80 %
that every launcher shape leaves visible.
"""
from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

GREEN = (11, 107, 58, 255)
WHITE = (255, 255, 255, 255)
FOLDER = Path(__file__).parent / "static" / "pwa" / "icons"


def draw(size: int, *, maskable: bool) -> Image.Image:
    scale = 4  # drawn large, then reduced: smooth edges without an anti-aliasing library
    big = size * scale
    image = Image.new("RGBA", (big, big), GREEN if maskable else (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    if not maskable:
        pen.rounded_rectangle((0, 0, big - 1, big - 1), radius=big // 5, fill=GREEN)
    inset = big * (0.24 if maskable else 0.18)
    left, top, right, bottom = inset, inset, big - inset, big - inset * 1.25
    pen.rounded_rectangle((left, top, right, bottom), radius=big // 12, fill=WHITE)
    tail = (left + (right - left) * 0.22, bottom - 2), (left + (right - left) * 0.22, bottom + inset * 0.55), \
        (left + (right - left) * 0.45, bottom - 2)
    pen.polygon(tail, fill=WHITE)
    line = (bottom - top) / 7
    for row, length in enumerate((0.72, 0.72, 0.45)):
        y = top + line * (1.6 + 1.6 * row)
        pen.rounded_rectangle((left + line * 1.2, y, left + line * 1.2 + (right - left - line * 2.4) * length / 0.72,
                               y + line * 0.75), radius=line * 0.35, fill=GREEN)
    return image.resize((size, size), Image.LANCZOS)


def main() -> None:
    FOLDER.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        draw(size, maskable=False).save(FOLDER / f"icon-{size}.png", optimize=True)
    draw(512, maskable=True).save(FOLDER / "maskable-512.png", optimize=True)
    draw(180, maskable=True).convert("RGB").save(FOLDER / "apple-touch-icon.png", optimize=True)


if __name__ == "__main__":
    main()
