"""/relations as a picture: the asked country in the middle, the countries named with it around.

Each neighbour is a node labelled with its name and ISO code; the line to the middle is as wide
as the number of sentences naming both, and the strongest few carry that number. Thin grey lines
join neighbours named together in those sentences. The strongest neighbours sit at the top,
and the rest alternate right and left of the middle, top to bottom, so the ranking reads down
the picture and no label sits on another.
"""

from __future__ import annotations

import math
from typing import Final

import networkx as nx
from matplotlib.axes import Axes

from bot.domain.pictures import Picture
from bot.domain.stories import Relations
from bot.pictures.canvas import (
    ACCENT,
    BACKGROUND,
    INK,
    LINE,
    MUTED_INK,
    alt_text,
    drawable,
    drawing,
    new_figure,
    png_bytes,
    shorten,
)

MAX_NEIGHBOURS: Final = 30  # more would not be readable on a phone; the rest are counted
MAX_SIDE_EDGES: Final = 20  # lines between neighbours, strongest first
RING_WIDTH: Final = 1.0  # the ellipse the neighbours sit on (data units)
RING_Y_RADIUS: Final = 1.0
RING_HEIGHT: Final = 0.93  # the highest and lowest neighbour
LABEL_GAP: Final = 0.08
LABELLED_EDGES: Final = 5  # the strongest lines carry their count
NEIGHBOUR_COLOUR: Final = "#4a8c7f"
NAME_CHARS: Final = 22


def _label(name: str, code: str) -> str:
    return f"{shorten(drawable(name, code), NAME_CHARS)} ({code})"


def network_layout(codes: list[str]) -> dict[str, tuple[float, float]]:
    """Neighbour positions, strongest first in `codes`: alternately right and left of the
    middle, top to bottom, on an ellipse, evenly spaced in height so labels (written outwards,
    away from the middle) never sit on each other."""
    sides = (codes[0::2], codes[1::2])
    positions: dict[str, tuple[float, float]] = {}
    for direction, side in zip((1.0, -1.0), sides, strict=True):
        count = len(side)
        for index, code in enumerate(side):
            y = 0.0 if count == 1 else RING_HEIGHT * (1 - 2 * index / (count - 1))
            if count == 2:
                y *= 0.5
            x = direction * RING_WIDTH * math.sqrt(max(0.0, 1 - (y / RING_Y_RADIUS) ** 2))
            positions[code] = (x, y)
    return positions


def _draw_label(axes: Axes, x: float, y: float, text: str, size: float, strong: bool) -> None:
    """A label just outside its node, written away from the middle."""
    right = x >= 0
    axes.text(
        x + (LABEL_GAP if right else -LABEL_GAP),
        y,
        text,
        ha="left" if right else "right",
        va="center",
        fontsize=size,
        fontweight="bold" if strong else "normal",
        color=INK,
        parse_math=False,
        zorder=5,
    )


def relations_network(relations: Relations) -> Picture:
    """The network picture of one country's relations (at least one neighbour)."""
    if not relations.relations:
        raise ValueError("no relations to draw")
    shown = list(relations.relations[:MAX_NEIGHBOURS])
    hidden = len(relations.relations) - len(shown)
    strongest = shown[0].sentences
    graph = nx.Graph()
    graph.add_node(relations.code)
    for relation in shown:
        graph.add_edge(relations.code, relation.code, sentences=relation.sentences, spoke=True)
    shown_codes = {r.code for r in shown}
    side_pairs = [p for p in relations.pairs if p.first in shown_codes and p.second in shown_codes]
    for pair in side_pairs[:MAX_SIDE_EDGES]:
        graph.add_edge(pair.first, pair.second, sentences=pair.sentences, spoke=False)

    positions = network_layout([r.code for r in shown])
    positions[relations.code] = (0.0, 0.0)
    with drawing():
        figure = new_figure(12, 9)
        axes = figure.add_axes((0.0, 0.0, 1.0, 0.87))
        axes.set_axis_off()
        axes.set_xlim(-2.35, 2.35)
        axes.set_ylim(-1.05, 1.05)

        side_edges = [(a, b) for a, b, d in graph.edges(data=True) if not d["spoke"]]
        side_weights = [graph.edges[e]["sentences"] for e in side_edges]
        if side_edges:
            strongest_side = max(side_weights)
            nx.draw_networkx_edges(
                graph,
                positions,
                edgelist=side_edges,
                width=[0.6 + 2.4 * weight / strongest_side for weight in side_weights],
                edge_color="#b7c0cc",
                alpha=0.8,
                ax=axes,
            )
        spokes = [(relations.code, r.code) for r in shown]
        nx.draw_networkx_edges(
            graph,
            positions,
            edgelist=spokes,
            width=[1.2 + 10.8 * r.sentences / strongest for r in shown],
            edge_color=LINE,
            alpha=0.9,
            ax=axes,
        )
        sizes = [160 + 900 * r.sentences / strongest for r in shown]
        nx.draw_networkx_nodes(
            graph,
            positions,
            nodelist=[r.code for r in shown],
            node_size=sizes,
            node_color=NEIGHBOUR_COLOUR,
            edgecolors=BACKGROUND,
            linewidths=2,
            ax=axes,
        )
        nx.draw_networkx_nodes(
            graph,
            positions,
            nodelist=[relations.code],
            node_size=3600,
            node_color=ACCENT,
            edgecolors=BACKGROUND,
            linewidths=3,
            ax=axes,
        )
        axes.text(
            0,
            0,
            relations.code,
            ha="center",
            va="center",
            fontsize=22,
            fontweight="bold",
            color="white",
            parse_math=False,
            zorder=6,
        )
        for rank, relation in enumerate(shown):
            x, y = positions[relation.code]
            strong = rank < LABELLED_EDGES
            label = _label(relation.name, relation.code)
            _draw_label(axes, x, y, label, 16 if strong else 14, strong)
            if strong:
                axes.text(
                    x * 0.72,
                    y * 0.72,
                    str(relation.sentences),
                    ha="center",
                    va="center",
                    fontsize=14,
                    fontweight="bold",
                    color=INK,
                    parse_math=False,
                    zorder=6,
                    bbox={"boxstyle": "circle,pad=0.25", "facecolor": "white", "edgecolor": LINE},
                )

        name = drawable(relations.name, relations.code)
        figure.text(
            0.04,
            0.955,
            f"Who {name} ({relations.code}) is dealing with",
            fontsize=24,
            fontweight="bold",
            color=INK,
            parse_math=False,
        )
        days = relations.window.days
        span = "the last day" if days == 1 else f"the last {days} days"
        subtitle = f"Countries named in the same sentence, {span} · line width = sentences" + (
            f" · {hidden} more not shown" if hidden else ""
        )
        figure.text(0.04, 0.92, subtitle, fontsize=14, color=MUTED_INK, parse_math=False)
        png = png_bytes(figure)

    items = [
        f"{r.name} ({r.code}) {r.sentences} {'sentence' if r.sentences == 1 else 'sentences'}"
        for r in shown
    ]
    description = alt_text(
        f"Network of the countries named with {relations.name} ({relations.code}) in {span}, "
        "line width by sentences naming both",
        items,
        more=hidden,
    )
    return Picture(png, f"relations-{relations.code.lower()}.png", description)
