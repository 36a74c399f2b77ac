"""Inline SVG charts drawn by our own code (the page loads nothing from anywhere)."""

from __future__ import annotations

from collections.abc import Callable
import math
from html import escape

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 44, 56
DURATION_STEPS = (60, 300, 900, 1800, 3600, 4 * 3600, 12 * 3600, 86400, 3 * 86400, 7 * 86400, 30 * 86400)
PALETTE = ("#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#4b5563")


def _frame(chart_id: str, title: str, body: str) -> str:
    return (f'<svg class="chart" id="{chart_id}" role="img" aria-label="{escape(title)}" viewBox="0 0 {WIDTH} {HEIGHT}" '
            f'width="{WIDTH}" height="{HEIGHT}" xmlns="http://www.w3.org/2000/svg">'
            f'<text x="{LEFT}" y="18" class="title">{escape(title)}</text>{body}</svg>')


def _empty(chart_id: str, title: str) -> str:
    return _frame(chart_id, title, f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" class="empty">'
                                   'nothing in this period</text>')


def count_axis(value: float) -> float:
    """A top for counts whose four grid steps are whole numbers."""
    return float(max(4, math.ceil(value / 4) * 4)) if value <= 40 else _nice_max(value)


def duration_axis(value: float) -> float:
    """A top for durations at a round duration (1m, 5m, 15m, 1h...)."""
    return float(next((step for step in DURATION_STEPS if step >= value), _nice_max(value)))


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    step = 10 ** (len(str(int(value))) - 1)
    for multiple in (1, 2, 2.5, 5, 10):
        if multiple * step >= value:
            return multiple * step
    return 10 * step


def _axes(top_value: float, fmt: Callable[[float], str]) -> str:
    plot_h = HEIGHT - TOP - BOTTOM
    parts = []
    for i in range(5):
        value = top_value * i / 4
        y = HEIGHT - BOTTOM - plot_h * i / 4
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
                     f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" class="tick">{escape(fmt(value))}</text>')
    return "".join(parts)


def bars(chart_id: str, title: str, labels: list[str], values: list[float], fmt: Callable[[float], str] = str,
         color: str = PALETTE[0], axis: Callable[[float], float] = count_axis) -> str:
    if not values or not any(values):
        return _empty(chart_id, title)
    top = axis(max(values))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = min(plot_w / len(values), 90)
    parts = [_axes(top, fmt)]
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        h = plot_h * value / top
        x = LEFT + i * slot + slot * 0.15
        parts.append(f'<rect class="mark" x="{x:.1f}" y="{HEIGHT - BOTTOM - h:.1f}" width="{slot * 0.7:.1f}" '
                     f'height="{h:.1f}" fill="{color}"><title>{escape(label)}: {escape(fmt(value))}</title></rect>')
        parts.append(f'<text x="{x + slot * 0.35:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" '
                     f'class="tick">{escape(label)}</text>')
        if value:
            parts.append(f'<text x="{x + slot * 0.35:.1f}" y="{HEIGHT - BOTTOM - h - 4:.1f}" text-anchor="middle" '
                         f'class="value">{escape(fmt(value))}</text>')
    return _frame(chart_id, title, "".join(parts))


def lines(chart_id: str, title: str, xs: list[str], series: dict[str, list[float | None]],
          fmt: Callable[[float], str] = str, axis: Callable[[float], float] = duration_axis) -> str:
    values = [v for points in series.values() for v in points if v is not None]
    if not values:
        return _empty(chart_id, title)
    top = axis(max(values))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(1, len(xs) - 1) if len(xs) > 1 else 0
    x_at = (lambda i: LEFT + i * step) if len(xs) > 1 else (lambda i: LEFT + plot_w / 2)
    parts = [_axes(top, fmt)]
    label_every = max(1, len(xs) // 8)
    for i, x in enumerate(xs):
        if i % label_every == 0:
            parts.append(f'<text x="{x_at(i):.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" '
                         f'class="tick">{escape(x[5:])}</text>')
    for n, (name, points) in enumerate(sorted(series.items())):
        color = PALETTE[n % len(PALETTE)]
        coords = [(x_at(i), HEIGHT - BOTTOM - plot_h * v / top, v) for i, v in enumerate(points) if v is not None]
        if len(coords) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in coords)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        parts += [f'<circle class="mark" cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{color}"><title>{escape(name)}: '
                  f'{escape(fmt(v))}</title></circle>' for x, y, v in coords]
        legend_x = LEFT + (n % 4) * 140
        legend_y = HEIGHT - 18 + (n // 4) * 14
        parts.append(f'<rect x="{legend_x}" y="{legend_y - 9}" width="10" height="10" fill="{color}"/>'
                     f'<text x="{legend_x + 14}" y="{legend_y}" class="tick">{escape(name)}</text>')
    return _frame(chart_id, title, "".join(parts))
