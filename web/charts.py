"""Small charts drawn on the server as SVG (no scripts, no CDN): stacked bars with a text table beside them."""

from __future__ import annotations

from html import escape

COLOURS = {"pending": "#8a6d00", "approved": "#1f6f3f", "rejected": "#a32020"}
LABELS = {"pending": "til gjennomgang", "approved": "godkjent", "rejected": "avvist"}


def stacked_bars(title: str, bars: list[tuple[str, dict[str, int]]], *, width: int = 560, bar_height: int = 22) -> str:
    """Horizontal stacked bars, one per label; ``role=img`` with a title for screen readers."""
    label_width = 150
    top = 8
    height = top + len(bars) * (bar_height + 8) + 30
    biggest = max((sum(v.values()) for _, v in bars), default=0) or 1
    scale = (width - label_width - 50) / biggest
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="chart-title" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" class="chart">',
        f'<title id="chart-title">{escape(title)}</title>',
    ]
    for row, (label, values) in enumerate(bars):
        y = top + row * (bar_height + 8)
        parts.append(f'<text x="0" y="{y + bar_height - 6}" font-size="13">{escape(label)}</text>')
        x = float(label_width)
        for status in ("approved", "pending", "rejected"):
            count = values.get(status, 0)
            if not count:
                continue
            w = count * scale
            parts.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_height}" '
                         f'fill="{COLOURS[status]}"><title>{escape(LABELS[status])}: {count}</title></rect>')
            x += w
        parts.append(f'<text x="{x + 6:.1f}" y="{y + bar_height - 6}" font-size="13">{sum(values.values())}</text>')
    legend_y = height - 10
    x = float(label_width)
    for status in ("approved", "pending", "rejected"):
        parts.append(f'<rect x="{x}" y="{legend_y - 10}" width="10" height="10" fill="{COLOURS[status]}"/>')
        parts.append(f'<text x="{x + 14}" y="{legend_y}" font-size="12">{escape(LABELS[status])}</text>')
        x += 130
    parts.append("</svg>")
    return "".join(parts)
