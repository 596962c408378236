"""Draw the web client's app icons (web/static/icons/*.png) with Pillow: a white speech bubble on blue.

The PNGs are committed; run `python web/make_icons.py` again only to change them. The manifest
(web/static/manifest.webmanifest) names them: 192 and 512 px icons, a "maskable" one whose drawing keeps
inside the central 80 % safe zone (phones cut it to a circle or a squircle), and Apple's 180 px touch icon.
"""
from pathlib import Path

from PIL import Image, ImageDraw

BLUE = (36, 89, 214, 255)
WHITE = (255, 255, 255, 255)
OUT = Path(__file__).resolve().parent / "static" / "icons"
SCALE = 4  # drawn this much larger, then scaled down: smooth edges


def draw(size, maskable=False, rounded=True):
    """One icon of `size` px: full-bleed blue when maskable, else a rounded square on transparency."""
    big = size * SCALE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    if maskable or not rounded:
        pen.rectangle((0, 0, big, big), fill=BLUE)
    else:
        pen.rounded_rectangle((0, 0, big - 1, big - 1), radius=big // 5, fill=BLUE)
    inset = 0.24 if maskable else 0.18  # the bubble's margin (a maskable icon keeps to the safe zone)
    left, top, right, bottom = big * inset, big * (inset + 0.04), big * (1 - inset), big * (1 - inset - 0.12)
    pen.rounded_rectangle((left, top, right, bottom), radius=(bottom - top) * 0.3, fill=WHITE)
    tail_x = left + (right - left) * 0.25
    pen.polygon([(tail_x, bottom - 2), (tail_x + big * 0.11, bottom - 2), (tail_x - big * 0.03, bottom + big * 0.1)],
                fill=WHITE)
    radius = big * 0.035
    middle = (top + bottom) / 2
    for step in (-1, 0, 1):
        x = (left + right) / 2 + step * big * 0.12
        pen.ellipse((x - radius, middle - radius, x + radius, middle + radius), fill=BLUE)
    return image.resize((size, size), Image.LANCZOS)


def main():
    """Write every icon the manifest and index.html name."""
    OUT.mkdir(parents=True, exist_ok=True)
    draw(192).save(OUT / "icon-192.png", optimize=True)
    draw(512).save(OUT / "icon-512.png", optimize=True)
    draw(512, maskable=True).save(OUT / "icon-maskable-512.png", optimize=True)
    draw(180, rounded=False).save(OUT / "apple-touch-icon.png", optimize=True)


if __name__ == "__main__":
    main()
