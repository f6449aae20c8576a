"""What every picture shares: a neutral card that reads in Discord's light and dark themes, one
font that draws every name (or a stand-in for what it cannot), and PNG bytes under the limit.

Figures are built with `matplotlib.figure.Figure` and the Agg canvas directly, never pyplot:
no global figure registry, nothing to close, nothing shown on a screen.
"""

from __future__ import annotations

import functools
import io
import threading
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final, cast

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, findfont
from matplotlib.ft2font import FT2Font
from PIL import Image

from bot.domain.pictures import ALT_TEXT_LIMIT, MAX_PICTURE_BYTES

FONT_FAMILY: Final = "DejaVu Sans"  # ships with matplotlib: Latin, Greek, Cyrillic, accents
DPI: Final = 100

# A light grey card with dark ink: it stands out on Discord's dark theme and does not glare on
# the light one, and every colour below keeps its contrast on it.
BACKGROUND: Final = "#eef1f5"
INK: Final = "#1d2633"
MUTED_INK: Final = "#56606e"
ACCENT: Final = "#2b6cb0"  # the bot's brand blue (commands/embeds.py BRAND_COLOUR)
LAND: Final = "#d3d8df"
LINE: Final = "#8795a8"

_RC: Final = {
    "font.family": FONT_FAMILY,
    "font.size": 14,
    "text.color": INK,
    "axes.edgecolor": MUTED_INK,
    "axes.labelcolor": INK,
    "xtick.color": MUTED_INK,
    "ytick.color": MUTED_INK,
    "svg.fonttype": "none",
}


# matplotlib's settings are global to a process: one picture at a time, for the thread analyser
# of the CLI and console (a worker process draws one at a time anyway).
_ONE_AT_A_TIME = threading.Lock()


@contextmanager
def drawing() -> Iterator[None]:
    """Our style for the figures made inside, whatever the process' matplotlib settings."""
    with _ONE_AT_A_TIME, matplotlib.rc_context(cast(Any, _RC)):
        yield


def new_figure(width_in: float, height_in: float) -> Figure:
    """An empty figure on the neutral card."""
    figure = Figure(figsize=(width_in, height_in), dpi=DPI, facecolor=BACKGROUND)
    FigureCanvasAgg(figure)
    return figure


def png_bytes(figure: Figure, limit: int = MAX_PICTURE_BYTES) -> bytes:
    """The figure as a 256-colour PNG: flat charts lose nothing visible and shrink threefold
    (octree quantising, no extra compression pass: both cost more time than they save bytes);
    ValueError if even that is over `limit`."""
    canvas = figure.canvas
    assert isinstance(canvas, FigureCanvasAgg)
    canvas.draw()
    rgba = canvas.buffer_rgba()
    image = Image.frombuffer("RGBA", canvas.get_width_height(), rgba, "raw", "RGBA", 0, 1)
    palette = image.convert("RGB").quantize(
        colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE
    )
    out = io.BytesIO()
    palette.save(out, format="PNG")
    data = out.getvalue()
    if len(data) > limit:
        raise ValueError(f"picture is {len(data)} bytes, over the {limit}-byte limit")
    return data


@functools.cache
def _font_characters() -> frozenset[int]:
    path = findfont(FontProperties(family=FONT_FAMILY), fallback_to_default=False)
    return frozenset(FT2Font(path).get_charmap())


def drawable(text: str, fallback: str) -> str:
    """The text with what the font cannot draw (a CJK name, an emoji) shown as '…', or
    `fallback` when too little would be left to read. Never passed to mathtext ('$' stays)."""
    characters = _font_characters()
    kept: list[str] = []
    missing = 0
    for char in unicodedata.normalize("NFC", " ".join(text.split())):
        if ord(char) in characters:
            kept.append(char)
        else:
            missing += 1
            if not kept or kept[-1] != "…":
                kept.append("…")
    cleaned = " ".join("".join(kept).split())
    readable = sum(1 for char in cleaned if char.isalnum())
    if not readable or missing > readable:
        return fallback
    return cleaned


def shorten(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a word with '…'."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    space = head.rfind(" ")
    if space > limit // 2:
        head = head[:space]
    return head.rstrip(" ,;:·-") + "…"


def alt_text(sentence: str, items: list[str], *, more: int = 0) -> str:
    """ "What it shows: a, b, c, and 4 more." within Discord's alt-text limit."""
    text = sentence
    shown: list[str] = []
    for index, item in enumerate(items):
        remaining = len(items) - index + more
        candidate = text + (": " if not shown else "; ") + item
        tail = f"; and {remaining - 1} more." if remaining > 1 else "."
        if len(candidate) + len(tail) > ALT_TEXT_LIMIT:
            break
        shown.append(item)
        text = candidate
    left = len(items) - len(shown) + more
    if left:
        text += f"; and {left} more." if shown else f" ({left} in all)."
    else:
        text += "."
    return shorten(text, ALT_TEXT_LIMIT)
