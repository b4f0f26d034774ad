"""A line chart as SVG text: first byte against memory, one line per series.

Written by hand (about sixty lines) rather than with matplotlib: the chart is one kind of plot,
and the dev venv would otherwise pull numpy, matplotlib and their locks for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT = 880, 420
LEFT, RIGHT, TOP, BOTTOM = 70, 330, 40, 60
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b")
DASHES = ("", "6,4")


@dataclass(frozen=True, slots=True)
class Series:
    label: str
    points: Sequence[tuple[float, float]]  # (memory MB, seconds)
    dashed: bool = False


def line_chart(
    title: str, series: Sequence[Series], *, x_label: str, y_label: str, x_ticks: Sequence[float]
) -> str:
    y_max = max((y for s in series for _, y in s.points), default=1.0) * 1.1 or 1.0
    x_min, x_max = min(x_ticks), max(x_ticks)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(value: float) -> float:
        return LEFT + (value - x_min) / (x_max - x_min) * plot_w

    def y(value: float) -> float:
        return TOP + plot_h - value / y_max * plot_h

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        'font-family="sans-serif" font-size="12">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
        f'<text x="{LEFT}" y="22" font-size="14">{escape(title)}</text>',
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{LEFT + plot_w}" y2="{TOP + plot_h}" '
        'stroke="black"/>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" stroke="black"/>',
        f'<text x="{LEFT + plot_w / 2}" y="{HEIGHT - 15}" text-anchor="middle">'
        f"{escape(x_label)}</text>",
        f'<text x="18" y="{TOP + plot_h / 2}" text-anchor="middle" '
        f'transform="rotate(-90 18 {TOP + plot_h / 2})">{escape(y_label)}</text>',
    ]
    for tick in x_ticks:
        out.append(
            f'<text x="{x(tick):.1f}" y="{TOP + plot_h + 18}" text-anchor="middle">{tick:g}</text>'
        )
    steps = 5
    for i in range(steps + 1):
        value = y_max * i / steps
        out.append(
            f'<line x1="{LEFT}" y1="{y(value):.1f}" x2="{LEFT + plot_w}" y2="{y(value):.1f}" '
            'stroke="#ddd"/>'
            f'<text x="{LEFT - 6}" y="{y(value) + 4:.1f}" text-anchor="end">{value:.1f}</text>'
        )
    for index, line in enumerate(series):
        colour = COLOURS[index // 2 % len(COLOURS)]
        dash = f' stroke-dasharray="{DASHES[1]}"' if line.dashed else ""
        path = " ".join(f"{x(px):.1f},{y(py):.1f}" for px, py in line.points)
        out.append(
            f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>'
        )
        out += [
            f'<circle cx="{x(px):.1f}" cy="{y(py):.1f}" r="3" fill="{colour}"/>'
            for px, py in line.points
        ]
        legend_y = TOP + 10 + index * 20
        out.append(
            f'<line x1="{WIDTH - RIGHT + 15}" y1="{legend_y}" x2="{WIDTH - RIGHT + 40}" '
            f'y2="{legend_y}" stroke="{colour}" stroke-width="2"{dash}/>'
            f'<text x="{WIDTH - RIGHT + 45}" y="{legend_y + 4}">{escape(line.label)}</text>'
        )
    out.append("</svg>")
    return "\n".join(out) + "\n"
