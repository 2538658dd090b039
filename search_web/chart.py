"""The trend chart: counts per period drawn as an SVG bar chart on the server (no JavaScript)."""

from __future__ import annotations

from collections import Counter
from html import escape


def svg_bar_chart(data: dict[str, Counter], link_for, title: str, width: int = 720, height: int = 240) -> str:
    """Render counts per period as an accessible SVG bar chart (stacked by series), each bar a link."""
    periods = list(data)
    series = sorted({name for counts in data.values() for name in counts})
    palette = ["#0b5cad", "#e07b00", "#2e8b57", "#b03060", "#6a5acd", "#8b6914", "#008b8b", "#777777"]
    colour = {name: palette[i % len(palette)] for i, name in enumerate(series)}
    top = max((sum(c.values()) for c in data.values()), default=0) or 1
    left, bottom, plot_h = 40, 30, height - 60
    bar_w = max(4, min(48, (width - left - 10) // max(1, len(periods)) - 4))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" '
        f'viewBox="0 0 {width} {height}" width="100%" class="trend">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - 5}" y2="{height - bottom}" stroke="#999"/>',
        f'<text x="{left - 6}" y="{height - bottom - plot_h + 4}" text-anchor="end" font-size="11">{top}</text>',
    ]
    for i, period in enumerate(periods):
        x = left + 4 + i * (bar_w + 4)
        y = height - bottom
        total = sum(data[period].values())
        parts.append(f'<a href="{escape(link_for(period))}"><g class="bar"><title>{escape(period)}: {total}件</title>')
        for name in series:
            count = data[period].get(name, 0)
            if not count:
                continue
            h = count / top * plot_h
            y -= h  # type: ignore[assignment]  # bars stack in fractional pixels
            parts.append(f'<rect x="{x}" y="{y:.1f}" width="{bar_w}" height="{h:.1f}" fill="{colour[name]}"/>')
        parts.append("</g></a>")
        if len(periods) <= 24 or i % max(1, len(periods) // 12) == 0:
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{height - bottom + 14}" text-anchor="middle" '
                f'font-size="10">{escape(period)}</text>'
            )
    if len(series) > 1 or (series and series[0]):
        x = left
        for name in series[:8]:
            label = name[:14]
            parts.append(
                f'<rect x="{x}" y="4" width="10" height="10" fill="{colour[name]}"/>'
                f'<text x="{x + 14}" y="13" font-size="10">{escape(label)}</text>'
            )
            x += 24 + 11 * len(label)
    parts.append("</svg>")
    return "".join(parts)
