"""The browser tab's icon, drawn here and served by the app itself. (A Material icon name as the page icon makes
every visitor's browser fetch it from fonts.gstatic.com: a request to another host on every page.)"""

from __future__ import annotations

from PIL import Image, ImageDraw


def favicon() -> Image.Image:
    """A teal disc with a white plus: 64 x 64 pixels."""
    image = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((2, 2, 62, 62), fill=(0, 121, 107, 255))
    draw.rectangle((27, 14, 37, 50), fill=(255, 255, 255, 255))
    draw.rectangle((14, 27, 50, 37), fill=(255, 255, 255, 255))
    return image
