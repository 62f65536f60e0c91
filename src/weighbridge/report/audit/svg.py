"""Inline SVG charts (no scripts, no external resources): bars with interval whiskers, and points with
intervals around zero. Every label is escaped."""

from __future__ import annotations

from html import escape

from ...core.audit import Rate

ROW = 22
LABEL_W = 170
PLOT_W = 420
PAD = 10


def _axis(x0: float, y: float, width: float, ticks: list[tuple[float, str]]) -> list[str]:
    out = [f'<line x1="{x0}" y1="{y}" x2="{x0 + width}" y2="{y}" class="axis"/>']
    for frac, label in ticks:
        x = x0 + frac * width
        out.append(f'<line x1="{x:.1f}" y1="{y}" x2="{x:.1f}" y2="{y + 4}" class="axis"/>')
        out.append(f'<text x="{x:.1f}" y="{y + 16}" class="tick">{escape(label)}</text>')
    return out


def bar_chart(title: str, rows: list[tuple[str, Rate]]) -> str:
    """Horizontal bars (rate) with whiskers (95 % interval), 0–100 %."""
    height = PAD * 2 + ROW * len(rows) + 24
    width = LABEL_W + PLOT_W + 70
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}"><title>{escape(title)}</title>'
    ]
    for i, (label, r) in enumerate(rows):
        y = PAD + i * ROW
        x0 = LABEL_W
        parts.append(f'<text x="{LABEL_W - 6}" y="{y + 14}" class="label">{escape(label)}</text>')
        parts.append(
            f'<rect x="{x0}" y="{y + 3}" width="{r.rate * PLOT_W:.1f}" height="{ROW - 8}" class="bar"/>'
        )
        lo, hi = x0 + r.low * PLOT_W, x0 + r.high * PLOT_W
        mid = y + ROW / 2 - 1
        parts.append(f'<line x1="{lo:.1f}" y1="{mid}" x2="{hi:.1f}" y2="{mid}" class="whisker"/>')
        for x in (lo, hi):
            parts.append(f'<line x1="{x:.1f}" y1="{mid - 5}" x2="{x:.1f}" y2="{mid + 5}" class="whisker"/>')
        parts.append(f'<text x="{x0 + PLOT_W + 6}" y="{y + 14}" class="value">{100 * r.rate:.0f} %</text>')
    parts += _axis(
        LABEL_W,
        PAD + ROW * len(rows) + 2,
        PLOT_W,
        [(f, f"{int(f * 100)} %") for f in (0.0, 0.25, 0.5, 0.75, 1.0)],
    )
    parts.append("</svg>")
    return "".join(parts)


def interval_plot(title: str, rows: list[tuple[str, float, float, float]], span: float = 100.0) -> str:
    """Points with intervals on a symmetric axis around zero (``rows``: label, value, low, high in points)."""
    height = PAD * 2 + ROW * len(rows) + 24
    width = LABEL_W + PLOT_W + 70
    x0 = LABEL_W

    def x(v: float) -> float:
        return x0 + (max(-span, min(span, v)) + span) / (2 * span) * PLOT_W

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}"><title>{escape(title)}</title>',
        f'<line x1="{x(0):.1f}" y1="{PAD - 4}" x2="{x(0):.1f}" y2="{PAD + ROW * len(rows)}" class="zero"/>',
    ]
    for i, (label, value, low, high) in enumerate(rows):
        y = PAD + i * ROW + ROW / 2 - 1
        cls = "point high" if low > 0 else "point"
        parts.append(f'<text x="{LABEL_W - 6}" y="{y + 4}" class="label">{escape(label)}</text>')
        parts.append(f'<line x1="{x(low):.1f}" y1="{y}" x2="{x(high):.1f}" y2="{y}" class="whisker"/>')
        parts.append(f'<circle cx="{x(value):.1f}" cy="{y}" r="4.5" class="{cls}"/>')
        parts.append(f'<text x="{x0 + PLOT_W + 6}" y="{y + 4}" class="value">{value:+.0f}</text>')
    parts += _axis(
        LABEL_W,
        PAD + ROW * len(rows) + 2,
        PLOT_W,
        [(f, f"{(f * 2 - 1) * span:+.0f}") for f in (0.0, 0.25, 0.5, 0.75, 1.0)],
    )
    parts.append("</svg>")
    return "".join(parts)
