"""Small charts drawn on the server as SVG (no scripts, no CDN): horizontal stacked bars with a legend.

Each chart is ``role=img`` with a title for screen readers, each segment has a ``<title>`` with its count,
and the page shows the same numbers as a table beside it (the chart is never the only place a number is).
"""

from __future__ import annotations

from html import escape

Series = list[tuple[str, str, str]]  # (key, label, colour)

STATUS_SERIES: Series = [("approved", "godkjent", "#1f6f3f"), ("pending", "til gjennomgang", "#8a6d00"),
                         ("rejected", "avvist", "#a32020")]
PLATFORM_SERIES: Series = [("facebook", "Facebook", "#1d4f91"), ("instagram", "Instagram", "#8e2b6e"),
                           ("x", "X", "#333333"), ("tiktok", "TikTok", "#007a78"),
                           ("linkedin", "LinkedIn", "#0a5c8f"), ("youtube", "YouTube", "#a31f1f")]
COMPLETENESS_SERIES: Series = [("complete", "fullstendig", "#1f6f3f"), ("incomplete", "mangler kommentarer", "#a32020"),
                               ("unknown", "ukjent", "#5a5a5a")]
SINGLE_SERIES: Series = [("count", "antall", "#0b4f8a")]
# Kept for callers of the first version.
COLOURS = {key: colour for key, _, colour in STATUS_SERIES}
LABELS = {key: label for key, label, _ in STATUS_SERIES}


def stacked_bars(title: str, bars: list[tuple[str, dict[str, int]]], *, series: Series | None = None,
                 chart_id: str = "chart", width: int = 560, bar_height: int = 22) -> str:
    """Horizontal stacked bars, one per label, segments in the order of ``series``."""
    series = series if series is not None else STATUS_SERIES
    label_width = 150
    top = 8
    legend_rows = -(-len(series) // 4)
    height = top + len(bars) * (bar_height + 8) + 12 + legend_rows * 20
    biggest = max((sum(v.values()) for _, v in bars), default=0) or 1
    scale = (width - label_width - 50) / biggest
    safe_id = "".join(c for c in chart_id if c.isalnum() or c == "-") or "chart"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="{safe_id}-title" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" class="chart">',
        f'<title id="{safe_id}-title">{escape(title)}</title>',
    ]
    for row, (label, values) in enumerate(bars):
        y = top + row * (bar_height + 8)
        parts.append(f'<text x="0" y="{y + bar_height - 6}" font-size="13">{escape(label)}</text>')
        x = float(label_width)
        for key, name, colour in series:
            count = values.get(key, 0)
            if not count:
                continue
            w = count * scale
            parts.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_height}" '
                         f'fill="{colour}"><title>{escape(label)}, {escape(name)}: {count}</title></rect>')
            x += w
        parts.append(f'<text x="{x + 6:.1f}" y="{y + bar_height - 6}" font-size="13">{sum(values.values())}</text>')
    legend_top = top + len(bars) * (bar_height + 8) + 12
    for n, (_, name, colour) in enumerate(series):
        x = float(label_width + (n % 4) * 100)
        y = legend_top + (n // 4) * 20
        parts.append(f'<rect x="{x}" y="{y}" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{x + 14}" y="{y + 10}" font-size="12">{escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)
