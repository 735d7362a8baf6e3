"""records.charts: well-formed SVG that scales, legends clear of the plot, escaped text, values in the page language."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from records.charts import (
    FONT_SIZE,
    WIDTH,
    Series,
    bar_chart,
    column_chart,
    fit,
    line_chart,
    nice_ticks,
    number_format,
    percent_format,
    text_width,
)

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg) -> ET.Element:
    root = ET.fromstring(str(svg))
    assert root.tag == f"{SVG}svg"
    return root


def boxes(root: ET.Element, css: str) -> list[tuple[float, float, float, float]]:
    """(left, top, right, bottom) of each rect of a class."""
    found = []
    for rect in root.iter(f"{SVG}rect"):
        if rect.get("class") == css:
            x, y, w, h = (float(rect.get(name)) for name in ("x", "y", "width", "height"))
            found.append((x, y, x + w, y + h))
    return found


def text_boxes(root: ET.Element, css: str | None = None) -> list[tuple[float, float, float, float, str]]:
    """(left, top, right, bottom, text) of each text (of a class), from its anchor, baseline and estimated width."""
    found = []
    for node in root.iter(f"{SVG}text"):
        if css is not None and node.get("class") != css:
            continue
        content = (
            "".join(node.itertext()) if node.find(f"{SVG}title") is None else (node.find(f"{SVG}title").tail or "")
        )
        size = float(node.get("font-size"))
        width = text_width(content, size)
        x, y = float(node.get("x")), float(node.get("y"))
        left = {"start": x, "middle": x - width / 2, "end": x - width}[node.get("text-anchor")]
        found.append((left, y - size, left + width, y + size * 0.25, content))
    return found


def overlaps(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def legend_is_clear(root: ET.Element) -> None:
    """Every legend item lies below every bar, tick and value, inside the viewBox, and clear of the other items."""
    legend = root.find(f"{SVG}g[@class='legend']")
    assert legend is not None
    items = boxes(legend, "legend-swatch") + [box[:4] for box in text_boxes(legend, "legend-label")]
    plot = boxes(root, "bar") + [box[:4] for css in ("tick", "value") for box in text_boxes(root, css)]
    assert plot
    for item in items:
        for thing in plot:
            assert not overlaps(item, thing), (item, thing)
    labels = [box[:4] for box in text_boxes(legend, "legend-label")]
    for index, one in enumerate(labels):
        for other in labels[index + 1 :]:
            assert not overlaps(one, other)
    _, _, width, height = (float(value) for value in root.get("viewBox").split())
    for left, top, right, bottom in items:
        assert left >= 0 and right <= width and top >= 0 and bottom <= height + 1


def test_a_grouped_bar_chart_with_its_legend_below_the_bars():
    svg = bar_chart(
        "Records by channel",
        ["Phone", "Online chat", "Email", "Web self-service"],
        [Series("This period", [30, 12, 5, 1]), Series("Previous period", [20, 15, None, 3])],
        value_format=number_format("en"),
    )
    root = parse(svg)
    assert root.get("viewBox") == f"0 0 {WIDTH} {root.get('height')}"  # scales to its box, e.g. a 390 px phone
    assert root.get("role") == "img" and root.find(f"{SVG}title").text == "Records by channel"
    assert len(boxes(root, "bar")) == 7  # the missing previous value draws nothing (not a 0 bar)
    legend_is_clear(root)


def test_the_weekly_report_legend_no_longer_covers_the_last_bar():
    """The report's channel chart had its legend in the lower right, over the last and longest bar."""
    svg = bar_chart(
        "按渠道的记录数",
        ["电话", "在线客服", "邮件", "面谈", "社交媒体", "网页自助"],
        [Series("本期", [3, 1, 1, 0, 0, 9]), Series("上期", [2, 0, 1, 0, 0, 12])],
        value_format=number_format("zh_CN"),
    )
    legend_is_clear(parse(svg))


def test_many_and_long_legend_items_wrap_into_rows():
    series = [Series(f"A rather long series name number {n}", [n + 1, n + 2]) for n in range(6)]
    for svg in (
        bar_chart("t", ["a", "b"], series, stacked=True),
        column_chart("t", ["a", "b"], series),
        line_chart("t", ["a", "b"], series),
    ):
        root = parse(svg)
        legend_is_clear(root)
        rows = {float(rect.get("y")) for rect in root.find(f"{SVG}g[@class='legend']").iter(f"{SVG}rect")}
        assert len(rows) >= 3


def test_a_stacked_column_chart_of_thirty_days_labels_every_few_days():
    days = [f"11-{day:02d}" for day in range(1, 31)]
    svg = column_chart(
        "Deflection",
        days,
        [
            Series("Successful", [day % 4 for day in range(30)]),
            Series("Failed", [1] * 30),
            Series("Potential", [2] * 30),
        ],
    )
    root = parse(svg)
    legend_is_clear(root)
    ticks = [box for box in text_boxes(root, "tick") if box[4] in days]
    assert 3 <= len(ticks) < 30
    for index, one in enumerate(ticks):  # day labels never run into each other
        for other in ticks[index + 1 :]:
            assert not overlaps(one, other)
    bars = boxes(root, "bar")
    assert len(bars) == 30 * 2 + 22  # "successful" is 0 on every fourth day, and a 0 draws nothing


def test_labels_and_titles_are_escaped():
    evil = '<script>alert("x")</script> & 广告'
    svg = bar_chart(evil, [evil, "ok"], [Series(evil, [1, 2]), Series("b", [2, 1])])
    text = str(svg)
    assert "<script>" not in text and "&lt;script&gt;" in text and "&amp; 广告" in text
    root = parse(svg)
    assert root.find(f"{SVG}title").text == evil
    assert not any(node.tag.endswith("script") for node in root.iter())  # text, never an element


def test_a_long_label_is_cut_and_keeps_its_full_text_as_a_tooltip():
    label = "一个非常非常长的类别名称用来测试截断效果以及工具提示"
    root = parse(bar_chart("t", [label, "短"], [Series("n", [3, 4])]))
    shown = [box for box in text_boxes(root) if box[4].endswith("…")]
    assert shown and shown[0][2] - shown[0][0] <= WIDTH * 0.4 + 1
    assert any(title.text == label for title in root.iter(f"{SVG}title"))
    assert fit("short", 100) == "short" and text_width("中文", 10) == 20


@pytest.mark.parametrize(
    ("locale", "number", "percent"),
    [("en", "12,345", "40%"), ("zh_CN", "12,345", "40%")],
)
def test_values_are_written_in_the_page_language(locale, number, percent):
    assert number_format(locale)(12345) == number
    assert percent_format(locale)(0.4) == percent
    assert number_format(locale, 1)(4.25) in ("4.2", "4.3")
    svg = bar_chart("t", ["a"], [Series("n", [12345])], value_format=number_format(locale))
    assert f">{number}</text>" in str(svg)


def test_a_fill_rate_chart_with_an_alert_line_and_flagged_bars():
    svg = bar_chart(
        "Field fill rates",
        ["Problem", "Request"],
        [Series("rate", [0.9, 0.3], colours=[None, "#d55e00"])],
        value_format=percent_format("en"),
        max_value=1,
        reference=(0.5, "Alert under 50%"),
    )
    root = parse(svg)
    fills = [rect.get("fill") for rect in root.iter(f"{SVG}rect") if rect.get("class") == "bar"]
    assert fills[1] == "#d55e00" and fills[0] != "#d55e00"
    assert root.find(f".//{SVG}line[@class='reference']") is not None
    assert "Alert under 50%" in str(svg)
    legend_is_clear(root)


def test_a_line_chart_breaks_where_a_value_is_missing():
    root = parse(
        line_chart(
            "Satisfaction",
            ["W44", "W45", "W46", "W47"],
            [Series("Overall", [4.1, None, 4.3, 4.0]), Series("Previous", [3.9, 4.0, 4.2, 4.1], dashed=True)],
            low=1,
            high=5,
        )
    )
    lines = root.findall(f"{SVG}polyline")
    assert len(lines) == 2  # W44 stands alone; W46-W47 and the previous period's four weeks are lines
    assert lines[1].get("stroke-dasharray")
    assert len(root.findall(f"{SVG}circle")) == 7
    legend_is_clear(root)


def test_nothing_to_draw_is_no_chart():
    assert bar_chart("t", [], []) is None
    assert bar_chart("t", ["a"], [Series("n", [0])]) is None
    assert column_chart("t", ["a", "b"], [Series("n", [None, 0])]) is None
    assert line_chart("t", ["a"], [Series("n", [None])]) is None
    assert line_chart("t", ["a", "b"], [Series("n", [0, 0])]) is not None  # zeros are values on a line


def test_nice_ticks():
    assert nice_ticks(0, 30) == [0, 10, 20, 30]
    assert nice_ticks(0, 10) == [0, 5, 10]  # never 2.5 records
    assert nice_ticks(0, 100) == [0, 25, 50, 75, 100]
    assert nice_ticks(0, 7) == [0, 2, 4, 6, 8]
    assert nice_ticks(1, 5) == [1, 2, 3, 4, 5]
    assert nice_ticks(0, 0) == [0, 0.25, 0.5, 0.75, 1.0]
    assert nice_ticks(0, 2) == [0, 0.5, 1.0, 1.5, 2.0] and nice_ticks(0, 2, whole=True) == [0, 1, 2]
    assert FONT_SIZE >= 12  # about 11 px on a 390 px screen (the viewBox is ~400 wide)


def test_counts_get_whole_ticks():
    root = parse(column_chart("t", ["a", "b"], [Series("n", [1, 2])], value_format=number_format("en")))
    assert [box[4] for box in text_boxes(root, "tick") if box[4] not in ("a", "b")] == ["0", "1", "2"]
