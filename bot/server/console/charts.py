"""Charts drawn as SVG on the server: no script, no library, readable without JavaScript.

Colours come from the console's stylesheet through classes (series-0, series-1 …), so the page
keeps a strict content-security policy.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 220
LEFT, BOTTOM, TOP = 40, 28, 12


def _nice(top: float) -> float:
    """A round upper bound for an axis."""
    if top <= 0:
        return 1.0
    step = 10 ** (len(str(int(top))) - 1)
    return float(((int(top) // step) + 1) * step)


def stacked_bars(
    name: str, labels: Sequence[str], series: Sequence[tuple[str, Sequence[float]]],
    title: str,
) -> Markup:
    """One bar a label, the series stacked; every bar part carries its numbers as data."""
    totals = [sum(values[index] for _, values in series) for index in range(len(labels))]
    top = _nice(max(totals, default=0))
    plot_width, plot_height = WIDTH - LEFT - 8, HEIGHT - BOTTOM - TOP
    slot = plot_width / max(len(labels), 1)
    bar = max(min(slot * 0.7, 40), 2)
    parts = [
        f'<svg class="chart" data-chart="{escape(name)}" viewBox="0 0 {WIDTH} {HEIGHT}"'
        f' role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>',
        f'<line class="axis" x1="{LEFT}" y1="{TOP + plot_height}" x2="{WIDTH - 8}"'
        f' y2="{TOP + plot_height}"/>',
        f'<text class="tick" x="{LEFT - 4}" y="{TOP + 4}" text-anchor="end">{top:g}</text>',
        f'<text class="tick" x="{LEFT - 4}" y="{TOP + plot_height}" text-anchor="end">0</text>',
    ]
    every = max(1, len(labels) // 8)  # at most about eight labels under the axis
    for index, label in enumerate(labels):
        x = LEFT + index * slot + (slot - bar) / 2
        base = float(TOP + plot_height)
        for number, (series_name, values) in enumerate(series):
            value = values[index]
            if value <= 0:
                continue
            height = plot_height * value / top
            base -= height
            parts.append(
                f'<rect class="bar series-{number % 6}" x="{x:.1f}" y="{base:.1f}"'
                f' width="{bar:.1f}" height="{height:.1f}" data-label="{escape(label)}"'
                f' data-series="{escape(series_name)}" data-value="{value:g}">'
                f"<title>{escape(label)} · {escape(series_name)}: {value:g}</title></rect>"
            )
        if index % every == 0:
            parts.append(
                f'<text class="tick" x="{x + bar / 2:.1f}" y="{HEIGHT - 10}"'
                f' text-anchor="middle">{escape(label[5:] if len(label) == 10 else label)}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def legend(names: Sequence[str]) -> Markup:
    """The colour key of a chart's series."""
    items = "".join(
        f'<li><span class="swatch series-{number % 6}"></span>{escape(name)}</li>'
        for number, name in enumerate(names)
    )
    return Markup(f'<ul class="legend">{items}</ul>')
