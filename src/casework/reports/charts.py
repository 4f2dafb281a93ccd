"""Charts drawn on the server as inline SVG: no JavaScript, no CDN, readable when printed."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

# Colours mean one thing, in the report and on the dashboard alike (the dashboard's charts take
# theirs from here). Red, amber and green are RAG ratings and nothing else. Every other category
# takes the next colour of PALETTE: blues and purples from the Okabe-Ito and Tol schemes, told
# apart by lightness as well as hue (colour-blind safe), none of them read as red, amber or green.
RAG_COLOURS = {"red": "#d4351c", "amber": "#f47738", "green": "#00703c"}
PALETTE = ("#0072b2", "#aa3377", "#56b4e9", "#4c2c92", "#505a5f", "#cc79a7", "#0b0c0c")
# CQC's ratings are an order, not a RAG: dark to light, the one to worry about in wine.
RATING_COLOURS = {
    "Outstanding": "#4c2c92",
    "Good": "#0072b2",
    "Requires improvement": "#56b4e9",
    "Inadequate": "#aa3377",
    "Not rated": "#b1b4b6",
}


def colour_of(name: str, index: int) -> str:
    """The colour of a category called ``name``: its RAG or rating colour, else the palette's
    ``index``-th."""
    return RAG_COLOURS.get(name.lower()) or RATING_COLOURS.get(name) or PALETTE[index % len(PALETTE)]


LEGEND_ROW = 18  # px between legend lines (12 px text)


def bar_chart(
    bars: Sequence[tuple[str, float]], *, title: str, colours: dict[str, str] | None = None
) -> Markup:
    """Horizontal bars, one per (label, value), value printed at the end of each bar: all in one
    colour (they are named beside them), unless ``colours`` names a colour per label."""
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
        colour = (colours or {}).get(label, PALETTE[0])
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
    """One 100% bar split into segments (e.g. the CQC rating profile), with a legend of one
    entry per line: however long a label, and however narrow the page (the drawing scales as a
    whole), no two legend entries can overlap."""
    total = sum(v for _, v in segments) or 1
    bar_width, x = 560, 0.0
    height = 40 + LEGEND_ROW * len(segments)
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" width="{bar_width}" height="{height}"'
        f' viewBox="0 0 {bar_width} {height}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for label, value in segments:
        w = round(bar_width * value / total, 1)
        parts.append(f'<rect x="{x}" y="0" width="{w}" height="28" fill="{colours.get(label, PALETTE[5])}"/>')
        x += w
    for i, (label, value) in enumerate(segments):
        y = 38 + i * LEGEND_ROW
        parts.append(
            f'<rect x="0" y="{y}" width="12" height="12" fill="{colours.get(label, PALETTE[5])}"/>'
            f'<text x="16" y="{y + 11}" font-size="12">{escape(label)} ({_number(value)})</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _number(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
