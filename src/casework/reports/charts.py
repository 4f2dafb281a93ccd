"""Charts drawn on the server as inline SVG: no JavaScript, no CDN, readable when printed."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

PALETTE = ("#1d70b8", "#00703c", "#f47738", "#d4351c", "#4c2c92", "#505a5f")
RAG_COLOURS = {"red": "#d4351c", "amber": "#f47738", "green": "#00703c"}
RATING_COLOURS = {
    "Outstanding": "#4c2c92",
    "Good": "#00703c",
    "Requires improvement": "#f47738",
    "Inadequate": "#d4351c",
}


def bar_chart(
    bars: Sequence[tuple[str, float]], *, title: str, colours: dict[str, str] | None = None
) -> Markup:
    """Horizontal bars, one per (label, value), value printed at the end of each bar."""
    row, label_width, bar_width = 26, 230, 320
    top = max((v for _, v in bars), default=0) or 1
    height = row * len(bars) + 8
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" width="{label_width + bar_width + 60}"'
        f' height="{height}" viewBox="0 0 {label_width + bar_width + 60} {height}"'
        ' xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for i, (label, value) in enumerate(bars):
        y = 4 + i * row
        width = round(bar_width * value / top, 1)
        colour = (colours or {}).get(label, PALETTE[i % len(PALETTE)] if colours is None else PALETTE[0])
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 16}" text-anchor="end" font-size="13">'
            f"{escape(label)}</text>"
            f'<rect x="{label_width}" y="{y + 3}" width="{width}" height="{row - 8}" fill="{colour}"/>'
            f'<text x="{label_width + width + 6}" y="{y + 16}" font-size="13">{_number(value)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def column_chart(columns: Sequence[tuple[str, float]], *, title: str) -> Markup:
    """Vertical columns (e.g. visits per month), labels below, values above."""
    width, gap, plot_height = 40, 10, 160
    top = max((v for _, v in columns), default=0) or 1
    total_width = len(columns) * (width + gap) + gap
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" width="{total_width}"'
        f' height="{plot_height + 50}" viewBox="0 0 {total_width} {plot_height + 50}"'
        ' xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for i, (label, value) in enumerate(columns):
        x = gap + i * (width + gap)
        h = round(plot_height * value / top, 1)
        y = 20 + plot_height - h
        parts.append(
            f'<rect x="{x}" y="{y}" width="{width}" height="{h}" fill="{PALETTE[0]}"/>'
            f'<text x="{x + width / 2}" y="{y - 4}" text-anchor="middle" font-size="12">'
            f"{_number(value)}</text>"
            f'<text x="{x + width / 2}" y="{plot_height + 38}" text-anchor="middle" font-size="11">'
            f"{escape(label)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def stacked_bar(
    segments: Sequence[tuple[str, float]], *, title: str, colours: dict[str, str]
) -> Markup:
    """One 100% bar split into segments (e.g. the CQC rating profile), with a legend."""
    total = sum(v for _, v in segments) or 1
    bar_width, x = 560, 0.0
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" width="{bar_width}" height="64"'
        f' viewBox="0 0 {bar_width} 64" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for label, value in segments:
        w = round(bar_width * value / total, 1)
        parts.append(f'<rect x="{x}" y="0" width="{w}" height="28" fill="{colours.get(label, PALETTE[5])}"/>')
        x += w
    legend_x = 0
    for label, value in segments:
        parts.append(
            f'<rect x="{legend_x}" y="40" width="12" height="12" fill="{colours.get(label, PALETTE[5])}"/>'
            f'<text x="{legend_x + 16}" y="51" font-size="12">{escape(label)} ({_number(value)})</text>'
        )
        legend_x += 140
    parts.append("</svg>")
    return Markup("".join(parts))


def _number(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
