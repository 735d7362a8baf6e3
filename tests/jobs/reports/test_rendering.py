"""Rendering an improvement report: HTML in zh and en, the PDF, and the CSV/XLSX of its figures."""

from __future__ import annotations

import csv
import io
import re
import zlib

import pytest
from openpyxl import load_workbook

from jobs.reports import recommendations as report_recommendations
from jobs.reports import records as report_records
from jobs.reports.figures import build_figures
from jobs.reports.periods import parse_period
from jobs.reports.rendering import (
    render_report_body,
    render_report_document,
    render_report_pdf,
    report_csv,
    report_xlsx,
)
from tests.jobs.reports.test_figures import CUSTOMER_NAME, NOW, PII_PHONE, build_report_fixture
from tests.records.test_charts import legend_is_clear, parse


def _report_data(figures: dict) -> dict:
    return {
        "kind": figures["kind"],
        "period": figures["period"],
        "starts_at": figures["starts_at"],
        "ends_at": figures["ends_at"],
        "generated_at": "2025-07-05T00:00:00",
        "figures": figures,
    }


@pytest.fixture
def report_data(app, db, make_user, make_record, make_article, monkeypatch):
    records = build_report_fixture(make_user, make_record, make_article)
    monkeypatch.setattr(report_recommendations, "MIN_RECORDS", 2)
    monkeypatch.setattr(report_records, "RISING_MIN_RECORDS", 2)
    data = _report_data(build_figures(parse_period("monthly", "2025-06"), now=NOW))
    data["records"] = records
    return data


def _text(html: str) -> str:
    """The visible text: no SVG, no tags, whitespace collapsed."""
    html = re.sub(r"<svg.*?</svg>", " ", html, flags=re.S)
    html = re.sub(r"<style.*?</style>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _card(html: str, figure: str) -> str:
    match = re.search(rf'data-figure="{figure}">.*?report-card-value">\s*(.*?)\s*</div>', html, re.S)
    assert match, figure
    return match.group(1)


def test_the_body_shows_the_figures_in_chinese(app, report_data):
    with app.app_context():
        html = render_report_body(report_data, "zh_CN")
    text = _text(html)
    assert "<article" in html and "<html" not in html and "<body" not in html
    assert "改进月报 2025-06" in text and "关键指标" in text and "改进建议" in text
    assert _card(html, "records") == "6"
    assert _card(html, "satisfaction") == "4.00"
    assert _card(html, "fcr") == "33.3%"
    assert "功能故障 / 登录异常" in text and "物流 / 物流延迟" in text
    assert "“物流 / 物流延迟”咨询 2 条" in text  # the rising-topic recommendation, in Chinese
    assert re.search(r'data-key="customer_request" class="table-danger" data-alert', html)  # 2 of 6: under 50 %
    assert html.count("<svg") >= 4  # channels, categories, satisfaction, teams, fill rates


def test_the_body_shows_the_figures_in_english(app, report_data):
    with app.app_context():
        html = render_report_body(report_data, "en")
    text = _text(html)
    assert "Monthly improvement report 2025-06" in text and "Key figures" in text
    assert "Malfunction / Login failure" in text and "关键指标" not in text
    assert "“Logistics / Delivery delay” had 2 contacts" in text
    assert _card(html, "breaches") == "3"
    assert "First-contact resolution" in text


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_no_personal_data_from_the_records_reaches_the_report(app, report_data, locale):
    with app.app_context():
        document = render_report_document(report_data, locale)
    assert PII_PHONE not in document and CUSTOMER_NAME not in document
    assert "138****5678" in document  # the planted feedback is quoted, masked
    for number in range(1, 9):
        assert f"客户{number}" not in document  # the fixture's customer names
    assert report_data["records"]["R4"].number in document


def test_the_document_stands_alone(app, report_data):
    with app.app_context():
        document = render_report_document(report_data, "zh_CN")
    assert document.startswith("<!doctype html>") and '<html lang="zh-CN">' in document
    assert "@page" in document and "<article" in document
    # Nothing is loaded from elsewhere: no stylesheets, scripts or images by URL.
    assert not re.search(r"<(link|script|img)\b", document)
    assert "url(http" not in document


def test_the_pdf_renders(app, report_data):
    with app.app_context():
        pdf = render_report_pdf(report_data, "zh_CN")
    assert pdf.startswith(b"%PDF-")
    assert len(pdf) > 20_000
    assert pdf.rstrip().endswith(b"%%EOF")
    assert _pages(pdf) >= 3  # the fixture's report runs over several A4 pages


def _pages(pdf: bytes) -> int:
    """Page objects in the PDF, looking into its compressed object streams too."""
    found = len(re.findall(rb"/Type\s*/Page\b", pdf))
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            found += len(re.findall(rb"/Type\s*/Page\b", zlib.decompress(stream)))
        except zlib.error:
            continue
    return found


def test_the_csv_has_one_row_per_figure(report_data):
    content = report_csv(report_data)
    assert content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0] == ["section", "metric", "dimension", "current", "previous", "change"]
    by_key = {(row[0], row[1], row[2]): row[3:] for row in rows[1:]}
    assert by_key["volume", "records", ""] == ["6", "3", "3"]
    assert by_key["volume", "records_by_channel", "电话 / Phone"] == ["3", "2", "1"]
    assert by_key["satisfaction", "overall", ""] == ["4.0", "3.67", "0.33"]
    assert by_key["quality", "fill_rate", "客户诉求 / Customer request"][0] == "0.3333"
    assert by_key["times", "resolution_median_hours", ""] == ["3.0", "2.5", "0.5"]
    assert by_key["sla", "resolve_breaches", ""] == ["3", "0", "3"]
    assert len(by_key) == len(rows) - 1  # no figure twice


def test_the_xlsx_has_a_sheet_per_section(report_data):
    workbook = load_workbook(io.BytesIO(report_xlsx(report_data)))
    assert {"volume", "satisfaction", "fcr", "times", "sla", "quality", "knowledge", "recommendations"} <= set(
        workbook.sheetnames
    )
    volume = list(workbook["volume"].iter_rows(values_only=True))
    assert volume[0] == ("section", "metric", "dimension", "current", "previous", "change")
    assert volume[1] == ("volume", "records", None, 6, 3, 3)
    recommendations = list(workbook["recommendations"].iter_rows(values_only=True))
    assert len(recommendations) == 1 + len(report_data["figures"]["recommendations"])
    assert recommendations[1][2] and recommendations[1][3]  # zh and en


def test_an_empty_report_renders(app, db):
    figures = build_figures(parse_period("weekly", "2025-W24"), now=NOW)
    with app.app_context():
        html = render_report_body(_report_data(figures), "en")
    assert "No records in this period." in _text(html)
    assert "Nothing in this period’s figures calls for action." in _text(html)


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_every_report_chart_is_well_formed_with_its_legend_clear_of_the_bars(app, report_data, locale):
    with app.app_context():
        html = render_report_body(report_data, locale)
    charts = re.findall(r"<svg.*?</svg>", html, re.S)
    assert len(charts) == 5  # channels, categories, satisfaction, teams, fill rates
    with_legend = 0
    for svg in charts:
        root = parse(svg)
        if root.find("{http://www.w3.org/2000/svg}g[@class='legend']") is not None:
            legend_is_clear(root)
            with_legend += 1
    assert with_legend == 5  # two periods, five satisfaction lines, the fill rates' alert line
    assert ("本期" if locale == "zh_CN" else "This period") in charts[0]
