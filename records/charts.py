"""Small server-side SVG charts: horizontal bars (grouped or stacked), columns (grouped or stacked) and lines.

One module draws every chart of the app: the help center's insights, the record-quality page and the improvement
reports (HTML and WeasyPrint PDF). A chart is a plain SVG string (markupsafe.Markup, ready for a template) with a
viewBox, so it scales with its box down to a 390 px phone; text stays text (selectable, any installed Chinese font).
Legends go below the plot, in rows that wrap, never over a bar. Every text is escaped here; callers pass plain
strings already translated, and a formatter for the values in the page's language (`number_format`,
`percent_format`). Nothing here loads anything or runs JavaScript.

Text widths are estimated (CJK characters one em, others 0.62 em, a little wider than DejaVu's and the system
fonts' average) so labels and legends are laid out without measuring fonts; too long a label is cut with "…" and
keeps its full text in a tooltip (<title>).
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from babel.numbers import format_decimal, format_percent
from markupsafe import Markup, escape

#: The viewBox width. Near a phone's width, so that 12-13-unit text stays 11-12 px on a 390 px screen.
WIDTH = 400
FONT_SIZE = 13
SMALL_SIZE = 12
PAD = 8
#: Height of the plot of column and line charts.
PLOT_HEIGHT = 150
LEGEND_SWATCH = 10
LEGEND_ROW = 18
#: A label column never takes more than this share of the width.
LABEL_SHARE = 0.4
FONT_FAMILY = (
    "system-ui, -apple-system, 'Segoe UI', 'Noto Sans CJK SC', 'WenQuanYi Zen Hei', "
    "'Microsoft YaHei', 'PingFang SC', 'DejaVu Sans', sans-serif"
)
#: Colour-blind-safe (Okabe-Ito) order: blue, orange, green, vermillion, purple, sky, yellow.
PALETTE = ("#0072b2", "#e69f00", "#009e73", "#d55e00", "#cc79a7", "#56b4e9", "#f0e442")
GREY = "#adb5bd"
ALERT = "#d55e00"
AXIS = "#6c757d"
GRID = "#e9ecef"
TEXT = "#212529"

Formatter = Callable[[float], str]


@dataclass(frozen=True)
class Series:
    """One named row of values (None: no value), drawn in `colour` (default: the palette's next), or one colour per
    value in `colours` (to flag some bars)."""

    label: str
    values: Sequence[float | None]
    colour: str | None = None
    colours: Sequence[str] | None = None
    dashed: bool = False


# ----- formatting --------------------------------------------------------------------------------------------------


def number_format(locale: str, digits: int = 0) -> Formatter:
    """Numbers as the page's language writes them (grouping, decimal point)."""
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return lambda value: format_decimal(value, format=pattern, locale=_babel_locale(locale))


def percent_format(locale: str, digits: int = 0) -> Formatter:
    """Fractions (0.25) as percentages in the page's language."""
    pattern = "#,##0" + ("." + "0" * digits if digits else "") + "%"
    return lambda value: format_percent(value, format=pattern, locale=_babel_locale(locale))


def _babel_locale(locale: str) -> str:
    return "zh_Hans_CN" if str(locale).lower().startswith("zh") else "en"


def text_width(text: str, size: float = FONT_SIZE) -> float:
    """The estimated width of `text` at `size`: wide (CJK) characters one em, the rest 0.62 em."""
    return sum(size if unicodedata.east_asian_width(char) in "WF" else 0.62 * size for char in text)


def fit(text: str, width: float, size: float = FONT_SIZE) -> str:
    """`text`, cut with "…" so that it fits `width`."""
    if text_width(text, size) <= width:
        return text
    while text and text_width(text + "…", size) > width:
        text = text[:-1]
    return text + "…"


def _n(value: float) -> str:
    """A coordinate, short."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _text(
    x: float,
    y: float,
    content: str,
    *,
    size: float = FONT_SIZE,
    anchor: str = "start",
    fill: str = TEXT,
    css: str = "",
    full: str | None = None,
) -> str:
    # y is the baseline: dominant-baseline is not read by every renderer (WeasyPrint), a baseline is.
    title = f"<title>{escape(full)}</title>" if full and full != content else ""
    klass = f' class="{css}"' if css else ""
    return (
        f'<text{klass} x="{_n(x)}" y="{_n(y)}" font-size="{size:g}" text-anchor="{anchor}" fill="{fill}">'
        f"{title}{escape(content)}</text>"
    )


def _rect(x: float, y: float, width: float, height: float, fill: str, *, css: str = "", tip: str = "") -> str:
    klass = f' class="{css}"' if css else ""
    title = f"<title>{escape(tip)}</title>" if tip else ""
    return (
        f'<rect{klass} x="{_n(x)}" y="{_n(y)}" width="{_n(max(width, 0))}" height="{_n(height)}" fill="{fill}">'
        f"{title}</rect>"
    )


def nice_ticks(low: float, high: float, count: int = 4, *, whole: bool = False) -> list[float]:
    """Round tick values from `low` (or below) to `high` (or above), about `count` steps; `whole`: steps of at least
    1 (an axis of counts has no 0.5 records)."""
    if high <= low:
        high = low + 1
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    # 2.5 only where it stays a round label (25, 250, 0.25 = 25 %), never 2.5 records.
    steps = (1, 2, 5, 10) if magnitude == 1 or magnitude < 0.1 else (1, 2, 2.5, 5, 10)
    step = next(m * magnitude for m in steps if m * magnitude >= raw)
    if whole:
        step = max(step, 1)
    first = math.floor(low / step) * step
    ticks = [first]
    while ticks[-1] < high - 1e-9:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def _colour(series: Series, index: int) -> str:
    return series.colour or PALETTE[index % len(PALETTE)]


def _legend(series: Sequence[Series], top: float) -> tuple[list[str], float]:
    """The legend's items in rows from `top` down, wrapping at the chart's width; returns the elements and the
    height used. Nothing else is drawn below `top`, so the legend can overlap nothing."""
    if len(series) < 2:
        return [], 0.0
    parts = ['<g class="legend">']
    x, row = PAD, 0
    for index, item in enumerate(series):
        label = fit(item.label, WIDTH - 2 * PAD - LEGEND_SWATCH - 4, SMALL_SIZE)
        width = LEGEND_SWATCH + 4 + text_width(label, SMALL_SIZE) + 14
        if x > PAD and x + width > WIDTH - PAD:
            x, row = PAD, row + 1
        y = top + row * LEGEND_ROW
        colour = _colour(item, index)
        if item.dashed:
            middle = y + LEGEND_SWATCH / 2
            parts.append(
                f'<line class="legend-swatch" x1="{_n(x)}" y1="{_n(middle)}" x2="{_n(x + LEGEND_SWATCH)}" '
                f'y2="{_n(middle)}" stroke="{colour}" stroke-width="2" stroke-dasharray="3 2"/>'
            )
        else:
            parts.append(_rect(x, y, LEGEND_SWATCH, LEGEND_SWATCH, colour, css="legend-swatch"))
        parts.append(
            _text(
                x + LEGEND_SWATCH + 4,
                y + LEGEND_SWATCH - 1,
                label,
                size=SMALL_SIZE,
                css="legend-label",
                full=item.label,
            )
        )
        x += width
    parts.append("</g>")
    return parts, (row + 1) * LEGEND_ROW


def _svg(title: str, height: float, body: list[str]) -> Markup:
    height = math.ceil(height)
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" role="img" aria-label="{escape(title)}" '
        f'font-family="{escape(FONT_FAMILY)}"><title>{escape(title)}</title>{"".join(body)}</svg>'
    )


def _whole(series: Sequence[Series]) -> bool:
    """Whether every value is a whole number (counts), so the axis should step by whole numbers too."""
    return all(float(value).is_integer() for item in series for value in item.values if value is not None)


def _has_values(series: Sequence[Series]) -> bool:
    return any(value for item in series for value in item.values if value is not None)


# ----- horizontal bars ---------------------------------------------------------------------------------------------


def bar_chart(
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    value_format: Formatter = str,
    stacked: bool = False,
    max_value: float | None = None,
    reference: tuple[float, str] | None = None,
    tick_format: Formatter | None = None,
) -> Markup | None:
    """One row per category with its label on the left: a bar per series side by side (grouped), or the series'
    parts end to end (stacked), the value (stacked: the total) after each bar. `reference` draws a dotted line at a
    value (an alert threshold) and names it in the legend. None when there is nothing to draw."""
    if not categories or not _has_values(series):
        return None
    count = len(categories)
    totals = [sum(item.values[row] or 0 for item in series) for row in range(count)]
    if stacked:
        shown = [value_format(total) for total in totals]
        largest = max(totals)
    else:
        shown = [
            value_format(item.values[row]) for item in series for row in range(count) if item.values[row] is not None
        ]
        largest = max(value or 0 for item in series for value in item.values)
    top_value = max_value if max_value is not None else largest
    if reference is not None:
        top_value = max(top_value, reference[0])
    top_value = top_value or 1
    ticks = [
        tick for tick in nice_ticks(0, top_value, 4, whole=_whole(series)) if max_value is None or tick <= max_value
    ]
    if max_value is None:
        top_value = ticks[-1]
    label_width = min(max(text_width(label) for label in categories), WIDTH * LABEL_SHARE)
    value_width = max(text_width(text, SMALL_SIZE) for text in shown) + 4
    x0 = PAD + label_width + 6
    x1 = WIDTH - PAD - value_width
    span = x1 - x0
    bar = 14 if stacked else (12 if len(series) == 1 else 9)
    row_height = (bar if stacked else bar * len(series)) + 8
    y0 = PAD
    body: list[str] = []
    for tick in ticks:  # gridlines first, under the bars
        x = x0 + span * tick / top_value
        body.append(
            f'<line x1="{_n(x)}" y1="{_n(y0)}" x2="{_n(x)}" y2="{_n(y0 + row_height * count)}" stroke="{GRID}"/>'
        )
    for row, category in enumerate(categories):
        top = y0 + row * row_height + 4
        label_y = top + (row_height - 8) / 2 + FONT_SIZE * 0.35
        body.append(_text(x0 - 6, label_y, fit(category, label_width), anchor="end", full=category))
        if stacked:
            x = x0
            for index, item in enumerate(series):
                value = item.values[row] or 0
                width = span * value / top_value
                if width > 0:
                    tip = f"{category} · {item.label}: {value_format(value)}"
                    body.append(_rect(x, top, width, bar, _point_colour(item, index, row), css="bar", tip=tip))
                x += width
            body.append(_text(x + 3, top + bar / 2 + SMALL_SIZE * 0.35, shown[row], size=SMALL_SIZE, css="value"))
        else:
            for index, item in enumerate(series):
                value = item.values[row]
                y = top + index * bar
                if value is None:
                    continue
                width = span * value / top_value
                tip = (
                    f"{category} · {item.label}: {value_format(value)}"
                    if len(series) > 1
                    else f"{category}: {value_format(value)}"
                )
                body.append(_rect(x0, y, width, bar - 1, _point_colour(item, index, row), css="bar", tip=tip))
                body.append(
                    _text(
                        x0 + width + 3,
                        y + (bar - 1) / 2 + SMALL_SIZE * 0.35,
                        value_format(value),
                        size=SMALL_SIZE,
                        css="value",
                    )
                )
    plot_bottom = y0 + row_height * count
    body.append(f'<line x1="{_n(x0)}" y1="{_n(y0)}" x2="{_n(x0)}" y2="{_n(plot_bottom)}" stroke="{AXIS}"/>')
    legend_series = list(series)
    if reference is not None:
        x = x0 + span * reference[0] / top_value
        body.append(
            f'<line class="reference" x1="{_n(x)}" y1="{_n(y0)}" x2="{_n(x)}" y2="{_n(plot_bottom)}" '
            f'stroke="{ALERT}" stroke-width="1.5" stroke-dasharray="3 2"/>'
        )
        legend_series.append(Series(reference[1], [], colour=ALERT, dashed=True))
    axis_y = plot_bottom + 4 + SMALL_SIZE
    for tick in ticks:
        x = x0 + span * tick / top_value
        body.append(
            _text(
                x, axis_y, (tick_format or value_format)(tick), size=SMALL_SIZE, anchor="middle", fill=AXIS, css="tick"
            )
        )
    legend, legend_height = _legend(legend_series, axis_y + 10)
    body += legend
    return _svg(title, axis_y + 10 + legend_height + (0 if legend_height else -4), body)


def _point_colour(item: Series, index: int, point: int) -> str:
    if item.colours is not None and point < len(item.colours) and item.colours[point]:
        return item.colours[point]
    return _colour(item, index)


# ----- columns and lines over a sequence (days, weeks) -------------------------------------------------------------


def _x_axis(categories: Sequence[str], x0: float, step: float, y: float) -> list[str]:
    """Category labels under the plot, every k-th one when they would run into each other."""
    widest = max(text_width(label, SMALL_SIZE) for label in categories) + 6
    every = max(1, math.ceil(widest / step))
    parts = []
    for index, label in enumerate(categories):
        if index % every == 0:
            x = x0 + step * (index + 0.5)
            parts.append(_text(x, y, label, size=SMALL_SIZE, anchor="middle", fill=AXIS, css="tick"))
    return parts


def _y_axis(
    ticks: Sequence[float], low: float, high: float, x0: float, x1: float, top: float, value_format: Formatter
) -> tuple[list[str], Callable[[float], float]]:
    def y_of(value: float) -> float:
        return top + PLOT_HEIGHT * (1 - (value - low) / (high - low))

    parts = []
    for tick in ticks:
        y = y_of(tick)
        parts.append(f'<line x1="{_n(x0)}" y1="{_n(y)}" x2="{_n(x1)}" y2="{_n(y)}" stroke="{GRID}"/>')
        parts.append(
            _text(
                x0 - 4, y + SMALL_SIZE * 0.35, value_format(tick), size=SMALL_SIZE, anchor="end", fill=AXIS, css="tick"
            )
        )
    return parts, y_of


def _frame(categories: Sequence[str], ticks: Sequence[float], value_format: Formatter) -> tuple[float, float, float]:
    tick_width = max(text_width(value_format(tick), SMALL_SIZE) for tick in ticks)
    x0 = PAD + tick_width + 6
    x1 = WIDTH - PAD
    return x0, x1, (x1 - x0) / len(categories)


def column_chart(
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    value_format: Formatter = str,
    stacked: bool = True,
    tick_format: Formatter | None = None,
) -> Markup | None:
    """A column per category (a day, a week): the series stacked, or side by side. None when all is empty."""
    if not categories or not _has_values(series):
        return None
    count = len(categories)
    if stacked:
        largest = max(sum(item.values[i] or 0 for item in series) for i in range(count))
    else:
        largest = max(value or 0 for item in series for value in item.values)
    ticks = nice_ticks(0, largest or 1, 4, whole=_whole(series))
    x0, x1, step = _frame(categories, ticks, tick_format or value_format)
    top = PAD + 4
    body, y_of = _y_axis(ticks, 0, ticks[-1], x0, x1, top, tick_format or value_format)
    width = step * 0.7 if stacked else step * 0.8 / len(series)
    for index_c, category in enumerate(categories):
        left = x0 + step * index_c + step * (0.15 if stacked else 0.1)
        base = 0.0
        for index, item in enumerate(series):
            value = item.values[index_c]
            if value is None:
                continue
            if stacked:
                y_top, y_bottom = y_of(base + value), y_of(base)
                base += value
                x = left
            else:
                y_top, y_bottom = y_of(value), y_of(0)
                x = left + index * width
            if y_bottom - y_top > 0:
                tip = f"{category} · {item.label}: {value_format(value)}"
                body.append(
                    _rect(x, y_top, width, y_bottom - y_top, _point_colour(item, index, index_c), css="bar", tip=tip)
                )
    bottom = top + PLOT_HEIGHT
    body.append(f'<line x1="{_n(x0)}" y1="{_n(bottom)}" x2="{_n(x1)}" y2="{_n(bottom)}" stroke="{AXIS}"/>')
    axis_y = bottom + 4 + SMALL_SIZE
    body += _x_axis(categories, x0, step, axis_y)
    legend, legend_height = _legend(series, axis_y + 10)
    body += legend
    return _svg(title, axis_y + 10 + legend_height + (0 if legend_height else -4), body)


def line_chart(
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    value_format: Formatter = str,
    low: float | None = None,
    high: float | None = None,
    tick_format: Formatter | None = None,
) -> Markup | None:
    """A line per series over the categories (a gap where a value is None), a dot on each value; the y axis from
    `low` to `high` when given (a 1-5 rating, 0-100 score), else from the data. None when all is empty."""
    values = [value for item in series for value in item.values[: len(categories)] if value is not None]
    if not categories or not values:
        return None
    bottom_value = low if low is not None else min(0.0, min(values))
    top_value = high if high is not None else max(values)
    ticks = nice_ticks(bottom_value, top_value, 4, whole=_whole(series))
    if low is not None:
        ticks = [tick for tick in ticks if tick >= low]
    if high is not None:
        ticks = [tick for tick in ticks if tick <= high]
    first, last = (low if low is not None else ticks[0]), (high if high is not None else ticks[-1])
    x0, x1, step = _frame(categories, ticks, tick_format or value_format)
    top = PAD + 4
    body, y_of = _y_axis(ticks, first, last, x0, x1, top, tick_format or value_format)
    dots: list[str] = []  # drawn after every line, so no line covers a dot
    for index, item in enumerate(series):
        colour = _colour(item, index)
        dash = ' stroke-dasharray="4 3"' if item.dashed else ""
        runs: list[list[str]] = [[]]
        for position, value in enumerate(item.values[: len(categories)]):
            if value is None:
                runs.append([])
                continue
            x, y = x0 + step * (position + 0.5), y_of(value)
            runs[-1].append(f"{_n(x)},{_n(y)}")
            tip = f"{categories[position]} · {item.label}: {value_format(value)}"
            dots.append(
                f'<circle class="point" cx="{_n(x)}" cy="{_n(y)}" r="2.5" fill="{colour}">'
                f"<title>{escape(tip)}</title></circle>"
            )
        for run in runs:
            if len(run) > 1:
                body.append(
                    f'<polyline class="line" points="{" ".join(run)}" fill="none" stroke="{colour}" '
                    f'stroke-width="2"{dash}/>'
                )
    body += dots
    bottom = top + PLOT_HEIGHT
    body.append(f'<line x1="{_n(x0)}" y1="{_n(bottom)}" x2="{_n(x1)}" y2="{_n(bottom)}" stroke="{AXIS}"/>')
    axis_y = bottom + 4 + SMALL_SIZE
    body += _x_axis(categories, x0, step, axis_y)
    legend, legend_height = _legend(series, axis_y + 10)
    body += legend
    return _svg(title, axis_y + 10 + legend_height + (0 if legend_height else -4), body)
