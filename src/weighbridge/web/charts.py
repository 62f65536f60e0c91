"""Inline SVG for the dashboard: a horizontal bar chart with interval whiskers, and the lineage graph.

Every piece of text that reaches the SVG goes through ``markupsafe.escape``; the output is ``Markup`` so the
templates embed it as is. No script, no external reference.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape


@dataclass(frozen=True)
class Bar:
    """One bar: a label, a value in 0..1 and an optional interval around it (also 0..1)."""

    label: str
    value: float
    low: float | None = None
    high: float | None = None
    note: str = ""  # shown after the percentage ("n=12")


def _clamp(x: float) -> float:
    return min(1.0, max(0.0, x))


def bar_chart(bars: Sequence[Bar], *, title: str, width: int = 560, row: int = 22) -> Markup:
    """Horizontal bars from 0 to 100 %, one row per bar, with a whisker for the interval when given."""
    label_w, value_w = 170, 110
    plot_w = width - label_w - value_w
    height = row * len(bars) + 34
    out = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    for tick in (0, 25, 50, 75, 100):
        x = label_w + plot_w * tick / 100
        out.append(
            f'<line class="grid" x1="{x:.1f}" y1="4" x2="{x:.1f}" y2="{height - 24}"/>'
            f'<text class="tick" x="{x:.1f}" y="{height - 8}" text-anchor="middle">{tick}%</text>'
        )
    for i, bar in enumerate(bars):
        y = 6 + i * row
        w = plot_w * _clamp(bar.value)
        out.append(
            f'<text class="label" x="{label_w - 6}" y="{y + row / 2 + 4:.1f}" text-anchor="end">'
            f"{escape(bar.label[:28])}</text>"
        )
        out.append(f'<rect class="bar" x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row - 8}"/>')
        if bar.low is not None and bar.high is not None:
            x1 = label_w + plot_w * _clamp(bar.low)
            x2 = label_w + plot_w * _clamp(bar.high)
            mid = y + row / 2 - 1
            out.append(f'<line class="whisker" x1="{x1:.1f}" y1="{mid:.1f}" x2="{x2:.1f}" y2="{mid:.1f}"/>')
        text = f"{bar.value * 100:.0f}%" + (f" {bar.note}" if bar.note else "")
        out.append(
            f'<text class="value" x="{label_w + plot_w + 6}" y="{y + row / 2 + 4:.1f}">{escape(text)}</text>'
        )
    out.append("</svg>")
    return Markup("".join(out))


@dataclass(frozen=True)
class LineageNode:
    name: str
    relation: str = ""  # how it relates to the model in the middle ("finetune", "quantized"…)
    href: str | None = None  # a dashboard link when the registry knows the model


def _node(x: float, y: float, w: float, node: LineageNode, css: str) -> str:
    label = node.name if len(node.name) <= 34 else node.name[:33] + "…"
    box = (
        f'<rect class="{css}" x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="30" rx="5"/>'
        f'<text x="{x + w / 2:.1f}" y="{y + 19:.1f}" text-anchor="middle">{escape(label)}</text>'
    )
    if node.href:
        return f'<a href="{escape(node.href)}"><title>{escape(node.name)}</title>{box}</a>'
    return f"<g><title>{escape(node.name)}</title>{box}</g>"


def lineage_graph(
    model: str, parents: Sequence[LineageNode], children: Sequence[LineageNode], *, width: int = 760
) -> Markup:
    """Three columns: what the model derives from, the model, what derives from it; edges carry the relation."""
    col_w = 220.0
    gap = (width - 3 * col_w) / 2
    rows = max(len(parents), len(children), 1)
    height = rows * 44 + 16
    xs = (0.0, col_w + gap, 2 * (col_w + gap))
    out = [
        f'<svg class="lineage" role="img" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>Lineage of {escape(model)}</title>'
    ]
    centre_y = height / 2 - 15
    for column, nodes, css in ((0, parents, "parent"), (2, children, "child")):
        top = (height - len(nodes) * 44) / 2 + 7
        for i, node in enumerate(nodes):
            y = top + i * 44
            if column == 0:
                x1, y1, x2, y2 = xs[0] + col_w, y + 15, xs[1], centre_y + 15
            else:
                x1, y1, x2, y2 = xs[1] + col_w, centre_y + 15, xs[2], y + 15
            out.append(f'<line class="edge" x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}"/>')
            if node.relation:
                out.append(
                    f'<text class="relation" x="{(x1 + x2) / 2:.1f}" y="{(y1 + y2) / 2 - 4:.1f}" '
                    f'text-anchor="middle">{escape(node.relation)}</text>'
                )
            out.append(_node(xs[column], y, col_w, node, css))
    out.append(_node(xs[1], centre_y, col_w, LineageNode(model), "self"))
    out.append("</svg>")
    return Markup("".join(out))
