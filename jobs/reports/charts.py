"""The report's charts as inline SVG strings (matplotlib, Agg; no CDN, no JavaScript), labelled in zh or en.

Each chart draws on its own matplotlib Figure (never pyplot, whose global state is not safe across threads) and
passes the font to every text element instead of changing rcParams per chart. Chinese labels are measured with the
"WenQuanYi Zen Hei" font (DejaVu Sans when it is missing: nothing fails, the layout is a little off).
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display; set before any backend is imported
# Text stays text in the SVG: a tenth of the size of glyph outlines, fast for WeasyPrint, selectable on screen;
# browsers and WeasyPrint fall back to any installed Chinese font. Set once for the process, never per chart.
matplotlib.rcParams["svg.fonttype"] = "none"

from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.font_manager import FontProperties, findfont  # noqa: E402

CHINESE_FONT = "WenQuanYi Zen Hei"
#: The weight the font registers with ("medium").
CHINESE_WEIGHT = 500
FALLBACK_FONT = "DejaVu Sans"
#: Inches; 7.5 fills an A4 page's text width in the PDF and scales down on screens.
WIDTH = 7.5
CURRENT_COLOUR, PREVIOUS_COLOUR, ALERT_COLOUR = "#0d6efd", "#adb5bd", "#dc3545"
SERIES_COLOURS = ("#0d6efd", "#198754", "#fd7e14", "#6f42c1")


@lru_cache(maxsize=1)
def has_chinese_font() -> bool:
    try:
        findfont(FontProperties(family=CHINESE_FONT, weight=CHINESE_WEIGHT), fallback_to_default=False)
    except ValueError:
        return False
    return True


def _font(lang: str, size: float = 9) -> FontProperties:
    # One family per chart (WenQuanYi has Latin letters too): a list would make matplotlib look each family up in
    # the other's weight and log a substitution for every text.
    if lang == "zh" and has_chinese_font():
        return FontProperties(family=CHINESE_FONT, weight=CHINESE_WEIGHT, size=size)
    return FontProperties(family=FALLBACK_FONT, size=size)


def _label(name: dict[str, str] | str | None, lang: str) -> str:
    if isinstance(name, dict):
        return name.get(lang) or name.get("en") or ""
    return name or ""


def _figure(height: float) -> tuple[Figure, Any]:
    figure = Figure(figsize=(WIDTH, height), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    return figure, axes


_ID = re.compile(r'(\bid="|url\(#|href="#)([^")]+)')


def _svg(figure: Figure, title: str, name: str) -> str:
    buffer = io.StringIO()
    with warnings.catch_warnings():
        # A glyph missing from the fallback font is drawn as a box; that is the fallback, not an error.
        warnings.filterwarnings("ignore", message="Glyph .* missing from font", category=UserWarning)
        figure.tight_layout()
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Title": title})
    text = buffer.getvalue()
    # Inline in HTML: no XML prolog or DOCTYPE; a role and title for screen readers.
    svg = text[text.index("<svg") :]
    # matplotlib numbers its elements the same in every chart (line2d_1, ...); one page holds several charts.
    svg = _ID.sub(lambda match: f"{match[1]}{name}-{match[2]}", svg)
    return svg.replace("<svg ", f'<svg role="img" aria-label="{_attribute(title)}" ', 1)


def _attribute(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")


def _style_ticks(axes: Any, lang: str) -> None:
    for label in (*axes.get_xticklabels(), *axes.get_yticklabels()):
        label.set_fontproperties(_font(lang, 8))


def paired_bars(
    name: str, rows: Sequence[dict[str, Any]], lang: str, title: str, labels: tuple[str, str], *, limit: int = 12
) -> str | None:
    """Horizontal bars, this period against the previous, for rows with name/current/previous."""
    rows = [row for row in rows if row.get("current") or row.get("previous")][:limit]
    if not rows:
        return None
    figure, axes = _figure(0.6 + 0.32 * len(rows))
    positions = range(len(rows))
    height = 0.38
    axes.barh(
        [p + height / 2 for p in positions],
        [row["previous"] or 0 for row in rows],
        height,
        color=PREVIOUS_COLOUR,
        label=labels[1],
    )
    axes.barh(
        [p - height / 2 for p in positions],
        [row["current"] or 0 for row in rows],
        height,
        color=CURRENT_COLOUR,
        label=labels[0],
    )
    axes.set_yticks(list(positions), [_label(row["name"], lang) for row in rows])
    axes.invert_yaxis()
    axes.set_title(title, fontproperties=_font(lang, 10), loc="left")
    axes.legend(prop=_font(lang, 8), frameon=False, loc="lower right")
    _style_ticks(axes, lang)
    return _svg(figure, title, name)


def satisfaction_trend(
    name: str, trend: Sequence[dict[str, Any]], lang: str, title: str, series: dict[str, str]
) -> str | None:
    """Mean satisfaction and its sub-scores per trend step; the previous period's overall mean dashed."""
    current = [step for step in trend if step["which"] == "current"]
    previous = [step for step in trend if step["which"] == "previous"]
    if not any(step["overall"] is not None for step in current + previous):
        return None
    figure, axes = _figure(2.8)
    positions = list(range(len(current)))
    for colour, key in zip(SERIES_COLOURS, ("overall", "efficiency", "resolution", "attitude"), strict=True):
        axes.plot(positions, [step[key] for step in current], color=colour, marker="o", label=series[key])
    # Step n of the previous period against step n of this one (the same weekday, or the same days of the month).
    values = [step["overall"] for step in previous[: len(current)]]
    axes.plot(
        positions[: len(values)], values, linestyle="--", color=PREVIOUS_COLOUR, marker="o", label=series["previous"]
    )
    axes.set_xticks(positions, [step["label"] for step in current])
    axes.set_ylim(1, 5)
    axes.set_title(title, fontproperties=_font(lang, 10), loc="left")
    axes.legend(prop=_font(lang, 8), frameon=False, ncol=3, loc="lower left")
    axes.grid(axis="y", color="#e9ecef")
    _style_ticks(axes, lang)
    return _svg(figure, title, name)


def fill_rates(name: str, rows: Sequence[dict[str, Any]], lang: str, title: str, alert_below: float) -> str | None:
    """Each template field's fill rate, fields under the alert line in red."""
    rows = [row for row in rows if row["applicable"]]
    if not rows:
        return None
    figure, axes = _figure(0.6 + 0.28 * len(rows))
    values = [(row["rate"]["current"] or 0) * 100 for row in rows]
    colours = [ALERT_COLOUR if row["alert"] else CURRENT_COLOUR for row in rows]
    axes.barh(range(len(rows)), values, color=colours)
    axes.axvline(alert_below * 100, color=ALERT_COLOUR, linestyle=":", linewidth=1)
    axes.set_yticks(range(len(rows)), [_label(row["name"], lang) for row in rows])
    axes.set_xlim(0, 100)
    axes.invert_yaxis()
    axes.set_title(title, fontproperties=_font(lang, 10), loc="left")
    _style_ticks(axes, lang)
    return _svg(figure, title, name)


def charts(figures: dict[str, Any], lang: str, text: dict[str, str]) -> dict[str, str | None]:
    """Every chart of the report; `text` holds the translated titles and legend labels."""
    periods = (text["current"], text["previous"])
    teams = [
        {"name": row["name"] or "—", "current": row["mean_score"]["current"], "previous": row["mean_score"]["previous"]}
        for row in figures["quality"]["by_team"]
    ]
    return {
        "channels": paired_bars("channels", figures["volume"]["by_channel"], lang, text["channels"], periods),
        "categories": paired_bars("categories", figures["volume"]["by_category"], lang, text["categories"], periods),
        "satisfaction": satisfaction_trend(
            "satisfaction",
            figures["satisfaction"]["trend"],
            lang,
            text["satisfaction"],
            {
                "overall": text["overall"],
                "efficiency": text["efficiency"],
                "resolution": text["resolution"],
                "attitude": text["attitude"],
                "previous": text["previous_overall"],
            },
        ),
        "teams": paired_bars("teams", teams, lang, text["teams"], periods),
        "fill_rates": fill_rates(
            "fill-rates", figures["quality"]["fill_rates"], lang, text["fill_rates"], figures["quality"]["alert_below"]
        ),
    }
