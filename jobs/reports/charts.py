"""The report's charts, drawn by records.charts (inline SVG, no CDN, no JavaScript), labelled in zh or en.

The template puts each chart's title above it as a caption; the legend sits below the plot, so it never covers a
bar (the weekly report's legend used to hide the last channel's bar).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from markupsafe import Markup

from records.charts import ALERT, GREY, PALETTE, Series, bar_chart, line_chart, number_format, percent_format

#: Rows of a paired-bar chart; the tables below the charts list them all.
BAR_LIMIT = 12


def _label(name: dict[str, str] | str | None, lang: str) -> str:
    if isinstance(name, dict):
        return name.get(lang) or name.get("en") or ""
    return name or ""


def paired_bars(
    rows: Sequence[dict[str, Any]], lang: str, title: str, labels: tuple[str, str], *, digits: int = 0
) -> Markup | None:
    """Horizontal bars, this period beside the previous, for rows with name/current/previous."""
    rows = [row for row in rows if row.get("current") or row.get("previous")][:BAR_LIMIT]
    if not rows:
        return None
    return bar_chart(
        title,
        [_label(row["name"], lang) for row in rows],
        [
            Series(labels[0], [row["current"] for row in rows], colour=PALETTE[0]),
            Series(labels[1], [row["previous"] for row in rows], colour=GREY),
        ],
        value_format=number_format(lang, digits),
        tick_format=number_format(lang),
    )


def satisfaction_trend(trend: Sequence[dict[str, Any]], lang: str, title: str, series: dict[str, str]) -> Markup | None:
    """Mean satisfaction and its sub-scores per trend step on 1-5; the previous period's overall mean dashed (step n
    of the previous period against step n of this one: the same weekday, or the same days of the month)."""
    current = [step for step in trend if step["which"] == "current"]
    previous = [step for step in trend if step["which"] == "previous"][: len(current)]
    lines = [
        Series(series[key], [step[key] for step in current], colour=PALETTE[index])
        for index, key in enumerate(("overall", "efficiency", "resolution", "attitude"))
    ]
    lines.append(
        Series(
            series["previous"],
            [step["overall"] for step in previous] + [None] * (len(current) - len(previous)),
            colour=GREY,
            dashed=True,
        )
    )
    return line_chart(
        title,
        [step["label"] for step in current],
        lines,
        value_format=number_format(lang, 1),
        tick_format=number_format(lang),
        low=1,
        high=5,
    )


def fill_rates(rows: Sequence[dict[str, Any]], lang: str, title: str, alert_below: float, alert: str) -> Markup | None:
    """Each template field's fill rate, the fields under the alert line in the alert colour."""
    rows = [row for row in rows if row["applicable"]]
    if not rows:
        return None
    return bar_chart(
        title,
        [_label(row["name"], lang) for row in rows],
        [
            Series(
                title,
                [row["rate"]["current"] or 0 for row in rows],
                colour=PALETTE[0],
                colours=[ALERT if row["alert"] else PALETTE[0] for row in rows],
            )
        ],
        value_format=percent_format(lang),
        max_value=1,
        reference=(alert_below, alert),
    )


def charts(figures: dict[str, Any], lang: str, text: dict[str, str]) -> dict[str, Markup | None]:
    """Every chart of the report; `text` holds the translated titles and legend labels."""
    periods = (text["current"], text["previous"])
    teams = [
        {"name": row["name"] or "—", "current": row["mean_score"]["current"], "previous": row["mean_score"]["previous"]}
        for row in figures["quality"]["by_team"]
    ]
    return {
        "channels": paired_bars(figures["volume"]["by_channel"], lang, text["channels"], periods),
        "categories": paired_bars(figures["volume"]["by_category"], lang, text["categories"], periods),
        "satisfaction": satisfaction_trend(
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
        "teams": paired_bars(teams, lang, text["teams"], periods, digits=1),
        "fill_rates": fill_rates(
            figures["quality"]["fill_rates"],
            lang,
            text["fill_rates"],
            figures["quality"]["alert_below"],
            text["alert_line"],
        ),
    }
