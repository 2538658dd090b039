"""The trend chart: counts per period drawn as an SVG bar chart on the server (no JavaScript)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from html import escape

# Colours with at least 3:1 contrast against white (WCAG 1.4.11); each series also has its own fill pattern.
PALETTE = ["#0b5cad", "#b35900", "#2b7a4b", "#b03060", "#6a4fc4", "#7a5c10", "#00777a", "#5f5f5f"]
MAX_SERIES = len(PALETTE)
OTHERS = "その他"
UNNAMED = "記録"
FONT = 14  # user units; the chart is drawn for a phone's width and scaled down a little by CSS on wide screens
WIDTH, PLOT_HEIGHT = 400, 150


def complete(data: dict[str, Counter], max_series: int = MAX_SERIES) -> dict[str, Counter]:
    """Return the counts with every period from the first to the last (a period without hits counts zero) and at
    most max_series series, the smallest ones summed as その他."""
    if not data:
        return {}
    totals: Counter = Counter()
    for counts in data.values():
        totals.update(counts)
    keep = {name for name, _ in totals.most_common(max_series if len(totals) <= max_series else max_series - 1)}
    grouped: dict[str, Counter] = {}
    for when, counts in data.items():
        grouped[when] = Counter()
        for name, count in counts.items():
            grouped[when][name if name in keep else OTHERS] += count
    return {when: grouped.get(when, Counter()) for when in every_period(min(data), max(data))}


def every_period(first: str, last: str) -> list[str]:
    """Return every year ("2011") or month ("2011-08") from first to last inclusive."""
    if len(first) == 4:
        return [str(year) for year in range(int(first), int(last) + 1)]
    (y0, m0), (y1, m1) = (map(int, first.split("-")), map(int, last.split("-")))
    return [f"{n // 12:04d}-{n % 12 + 1:02d}" for n in range(y0 * 12 + m0 - 1, y1 * 12 + m1)]


def period_label(period: str) -> str:
    """Return a period in Japanese: 2014年, 2014年5月."""
    if len(period) == 4:
        return f"{period}年"
    year, month = period.split("-")
    return f"{year}年{int(month)}月"


def series_label(name: str) -> str:
    """Return the shown name of a series (utterances without a role are records)."""
    return name or UNNAMED


def series_names(data: dict[str, Counter]) -> list[str]:
    """Return the series, largest first, その他 last."""
    totals: Counter = Counter()
    for counts in data.values():
        totals.update(counts)
    return sorted(totals, key=lambda name: (name == OTHERS, -totals[name], name))


def rows(data: dict[str, Counter], link_for: Callable[[str], str]) -> list[dict]:
    """Return the chart's numbers for its table: period, label, total, link (None without hits), series counts."""
    names = series_names(data)
    split = len(names) > 1 or bool(names and names[0])
    return [
        {
            "period": when,
            "label": period_label(when),
            "total": sum(counts.values()),
            "url": link_for(when) if sum(counts.values()) else None,
            "parts": [(series_label(n), counts[n]) for n in names if counts.get(n)] if split else [],
        }
        for when, counts in data.items()
    ]


def nice_ticks(top: int) -> list[int]:
    """Return 2 to 6 evenly spaced round tick values from 0 to at least top (steps of 1, 2 or 5 times 10^k)."""
    raw = max(1.0, top / 4)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(s * magnitude for s in (1, 2, 5, 10) if s * magnitude >= raw)
    return list(range(0, math.ceil(max(top, 1) / step) * step + 1, step))


def text_width(text: str, size: float = FONT) -> float:
    """Estimate the drawn width of text: full width for Japanese, about 0.6 em for digits and Latin letters."""
    return sum(size if ord(ch) > 0x2000 else size * 0.6 for ch in text)


def _pattern(index: int, colour: str) -> str:
    """Return the fill pattern of the index-th series: solid, stripes, dots, hatching … in its colour."""
    marks = [
        "",
        '<rect width="2.5" height="6" fill="#fff"/>',
        '<circle cx="3" cy="3" r="1.5" fill="#fff"/>',
        '<rect width="6" height="2" fill="#fff"/>',
        '<rect width="6" height="1.5" fill="#fff"/><rect width="1.5" height="6" fill="#fff"/>',
        '<rect width="2.5" height="6" fill="#fff"/>',
        '<rect width="2" height="6" fill="#fff"/>',
        '<rect width="3" height="3" fill="#fff"/><rect x="3" y="3" width="3" height="3" fill="#fff"/>',
    ][index % MAX_SERIES]
    turn = {1: ' patternTransform="rotate(45)"', 5: ' patternTransform="rotate(-45)"'}.get(index % MAX_SERIES, "")
    return (
        f'<pattern id="trend-p{index}" width="6" height="6" patternUnits="userSpaceOnUse"{turn}>'
        f'<rect width="6" height="6" fill="{colour}"/>{marks}</pattern>'
    )


def _legend(names: list[str], fills: dict[str, str], top: float) -> tuple[list[str], float]:
    """Lay out the legend in rows from top; return its SVG parts and the y where it ends."""
    parts, x, y = [], 0.0, top
    for name in names:
        label = series_label(name)
        label = label if len(label) <= 12 else label[:11] + "…"
        item = 22 + text_width(label) + 14
        if x and x + item > WIDTH:
            x, y = 0.0, y + FONT + 8
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="16" height="{FONT}" fill="{fills[name]}" stroke="#1b1b1b" '
            f'stroke-width=".5"/><text x="{x + 21:.1f}" y="{y + FONT - 2:.1f}">{escape(label)}</text>'
        )
        x += item
    return parts, y + FONT + 10


def _x_labels(periods: list[str], step: float) -> dict[int, str]:
    """Choose which periods get a label under the axis so that labels never overlap: {index: label}."""
    if not periods:
        return {}
    months = len(periods[0]) == 7
    every = max(1, math.ceil((text_width(periods[0]) + 8) / step))
    if months and every > 1:
        years = math.ceil(max(1, math.ceil((text_width("2000") + 8) / step)) / 12)
        first = int(periods[0][:4])
        return {i: p[:4] for i, p in enumerate(periods) if p.endswith("-01") and (int(p[:4]) - first) % years == 0} or {
            0: periods[0]
        }
    return {i: p for i, p in enumerate(periods) if i % every == 0}


def svg_bar_chart(data: dict[str, Counter], link_for: Callable[[str], str], title: str) -> str:
    """Render counts per period as an SVG bar chart stacked by series, with a y axis of round ticks, an x axis of
    periods, a legend, a fill pattern per series, and a keyboard-reachable link on every bar with hits."""
    periods = list(data)
    names = series_names(data)
    split = len(names) > 1 or bool(names and names[0])
    index = {name: i for i, name in enumerate(name for name in names if name != OTHERS)}
    if OTHERS in names:
        index[OTHERS] = MAX_SERIES - 1
    fills = {name: f"url(#trend-p{i})" if i else PALETTE[0] for name, i in index.items()}
    ticks = nice_ticks(max((sum(c.values()) for c in data.values()), default=0))
    legend, plot_top = _legend(names, fills, 2) if split else ([], 0.0)
    plot_top += FONT + 8  # room for the y axis title
    left = max(text_width(str(ticks[-1])) + 12, text_width("件数") * 0.75)
    right = WIDTH - 12
    base = plot_top + PLOT_HEIGHT
    height = base + FONT * 2 + 16
    step = (right - left) / max(1, len(periods))
    bar = max(1.0, min(48.0, step * 0.7))
    scale = PLOT_HEIGHT / ticks[-1]
    axes = [
        f'<text x="0" y="{plot_top - 10:.1f}">件数</text>',
        f'<text x="{(left + right) / 2:.1f}" y="{height - 4:.1f}" text-anchor="middle">'
        f"{'年' if len(periods[0]) == 4 else '月'}</text>"
        if periods
        else "",
    ]
    for value in ticks:
        y = base - value * scale
        stroke = "#ddd" if value else "#5f5f5f"  # grid lines, and the x axis at zero
        axes.append(
            f'<line x1="{left:.1f}" y1="{y:.1f}" x2="{right:.1f}" y2="{y:.1f}" stroke="{stroke}"/>'
            f'<text x="{left - 6:.1f}" y="{y + FONT * 0.35:.1f}" text-anchor="end">{value}</text>'
        )
    labels = _x_labels(periods, step)
    bars = []
    for i, when in enumerate(periods):
        counts = data[when]
        centre = left + step * (i + 0.5)
        if i in labels or step >= 6:
            axes.append(
                f'<line x1="{centre:.1f}" y1="{base:.1f}" x2="{centre:.1f}" y2="{base + 4:.1f}" stroke="#5f5f5f"/>'
            )
        if i in labels:
            axes.append(
                f'<text x="{centre:.1f}" y="{base + FONT + 6:.1f}" text-anchor="middle">{escape(labels[i])}</text>'
            )
        total = sum(counts.values())
        if not total:
            continue
        said = f"{period_label(when)} {total}件"
        if split:
            said += "（" + "、".join(f"{series_label(n)} {counts[n]}件" for n in names if counts.get(n)) + "）"
        segments, y = [], base
        for name in names:
            if counts.get(name):
                h = counts[name] * scale
                y -= h
                segments.append(
                    f'<rect x="{centre - bar / 2:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                    f'fill="{fills[name]}" stroke="#fff" stroke-width=".5"/>'
                )
        bars.append(
            f'<a href="{escape(link_for(when))}"><title>{escape(said)}</title>'
            f'<rect class="target" x="{left + step * i:.1f}" y="{plot_top:.1f}" width="{step:.1f}" '
            f'height="{PLOT_HEIGHT:.1f}" fill="#fff" fill-opacity="0"/>{"".join(segments)}</a>'
        )
    patterns = "".join(_pattern(i, PALETTE[i]) for i in sorted(set(index.values())) if i)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="group" aria-label="{escape(title)}（棒グラフ）" '
        f'viewBox="0 0 {WIDTH} {height:.0f}" width="100%" class="trend" font-size="{FONT}" '
        f'font-family="Noto Sans CJK JP, sans-serif" fill="#1b1b1b">'
        f"<title>{escape(title)}</title><defs>{patterns}</defs>"
        f'<g aria-hidden="true">{"".join(legend)}{"".join(axes)}</g>'
        f'<g class="bars">{"".join(bars)}</g></svg>'
    )
