"""What every picture test checks of a PNG: it decodes, has its size, and is not blank."""

from __future__ import annotations

import io

from PIL import Image

from bot.domain.pictures import MAX_PICTURE_BYTES, Picture


def looks_drawn(picture: Picture, *, width: int, height: int | None = None) -> Image.Image:
    """Decode the PNG and check what a viewer would: its size, under the byte limit, with ink
    (dark text) and colour on the card, not one flat colour."""
    assert len(picture.png) < MAX_PICTURE_BYTES
    image = Image.open(io.BytesIO(picture.png))
    image.load()
    assert image.format == "PNG"
    assert image.width == width
    if height is not None:
        assert image.height == height
    rgb = image.convert("RGB")
    colours = rgb.getcolors(maxcolors=1 << 20)
    assert colours is not None
    total = rgb.width * rgb.height
    background = max(colours)[0]
    assert background / total < 0.98, "the picture is (almost) one flat colour"
    dark = sum(count for count, (r, g, b) in colours if r + g + b < 200)
    assert dark / total > 0.002, "no dark ink: no text or lines were drawn"
    return rgb
