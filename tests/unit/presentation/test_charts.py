"""Server-side SVG charts: valid XML, accessible names, text labels, escaped input."""

import xml.etree.ElementTree as ET

import pytest

from app.domain.learning.calibration import Bin
from app.presentation import charts

SVG = "{http://www.w3.org/2000/svg}"
SERIES = (
    charts.Series("auto_fix", "auto-fix", charts.BLUISH_GREEN),
    charts.Series("escalate", "escalated", charts.VERMILLION),
    charts.Series("blue", "blue", charts.BLUE),
    charts.Series("orange", "orange", charts.ORANGE),
)


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


def texts(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def days(n: int, counts: dict[str, int] | None = None) -> list[charts.DayStack]:
    return [charts.DayStack(f"2024-05-{i + 1:02d}", counts or {}) for i in range(n)]


ALL_CHARTS = {
    "stacked_day_bars": lambda: charts.stacked_day_bars(
        days(3, {"auto_fix": 2}), SERIES, title="Per day"
    ),
    "horizontal_bars": lambda: charts.horizontal_bars([charts.Bar("a", 1)], title="Categories"),
    "day_bars": lambda: charts.day_bars([charts.Bar("2024-05-01", 10)], title="Tokens"),
    "calibration_plot": lambda: charts.calibration_plot(
        [Bin(0.8, 0.9, 4, 0.85, 0.75)], title="Calibration"
    ),
}
EMPTY_CHARTS = {
    "stacked_day_bars": lambda: charts.stacked_day_bars([], SERIES, title="Per day"),
    "horizontal_bars": lambda: charts.horizontal_bars([], title="Categories"),
    "day_bars": lambda: charts.day_bars([charts.Bar("2024-05-01", 0)], title="Tokens"),
    "calibration_plot": lambda: charts.calibration_plot([], title="Calibration"),
}


@pytest.mark.parametrize("name", sorted(ALL_CHARTS))
def test_every_chart_is_valid_svg_with_a_title_an_aria_label_and_a_description(name):
    root = parse(ALL_CHARTS[name]())
    assert root.get("role") == "img"
    assert root.get("aria-label")
    assert root.find(f"{SVG}title").text == root.get("aria-label")
    assert root.find(f"{SVG}desc").text.startswith(root.get("aria-label"))
    labelled_by = root.get("aria-labelledby").split()
    assert labelled_by == [root.find(f"{SVG}title").get("id"), root.find(f"{SVG}desc").get("id")]


@pytest.mark.parametrize("name", sorted(EMPTY_CHARTS))
def test_every_chart_without_data_is_valid_svg_that_says_so(name):
    root = parse(EMPTY_CHARTS[name]())
    assert root.get("aria-label")
    assert any(text.startswith("No ") for text in texts(root))
    assert root.find(f".//{SVG}rect[@fill='{charts.BLUE}']") is None


def test_charts_use_no_script_and_no_style_attribute():
    for render in (*ALL_CHARTS.values(), *EMPTY_CHARTS.values()):
        svg = render()
        assert "<script" not in svg and "style=" not in svg and "href" not in svg


def test_stacked_bars_of_one_day_label_each_segment_and_the_total():
    stack = [charts.DayStack("2024-05-01", {"auto_fix": 3, "escalate": 2})]
    root = parse(charts.stacked_day_bars(stack, SERIES, title="Per day"))
    labels = texts(root)
    assert {"3", "2", "5", "05-01"} <= set(labels)
    fills = [r.get("fill") for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    assert fills == [charts.BLUISH_GREEN, charts.VERMILLION]


def test_stacked_bars_of_many_days_label_the_last_day_but_not_every_day():
    root = parse(charts.stacked_day_bars(days(30, {"auto_fix": 1}), SERIES, title="Per day"))
    day_labels = [t for t in texts(root) if len(t) == 5 and t[2] == "-"]
    assert "05-30" in day_labels
    assert 4 <= len(day_labels) <= 8


def test_stacked_bars_describe_the_data_in_words():
    stack = [charts.DayStack("2024-05-01", {"auto_fix": 3, "escalate": 2})]
    root = parse(charts.stacked_day_bars(stack, SERIES, title="Per day"))
    assert "2024-05-01: 5 (3 auto-fix, 2 escalated)" in root.find(f"{SVG}desc").text


def test_segment_labels_are_black_on_light_colours_and_white_on_dark_ones():
    stack = [charts.DayStack("2024-05-01", {"blue": 5, "orange": 5})]
    root = parse(charts.stacked_day_bars(stack, SERIES, title="Per day"))
    label_fills = [t.get("fill") for t in root.iter(f"{SVG}text") if t.text == "5"]
    assert sorted(label_fills) == ["#000000", "#FFFFFF"]  # on orange, on blue


def test_legend_wraps_when_the_labels_do_not_fit_on_one_line():
    many = [charts.Series(f"s{i}", f"a long series name {i}", charts.BLUE) for i in range(6)]
    stack = [charts.DayStack("2024-05-01", {"s0": 1})]
    root = parse(charts.stacked_day_bars(stack, many, title="Per day"))
    legend_y = {t.get("y") for t in root.iter(f"{SVG}text") if "series name" in (t.text or "")}
    assert len(legend_y) > 1


def test_horizontal_bars_are_proportional_to_their_values():
    root = parse(
        charts.horizontal_bars([charts.Bar("big", 4), charts.Bar("small", 1)], title="Categories")
    )
    widths = [float(r.get("width")) for r in root.iter(f"{SVG}rect")]
    assert widths[0] == pytest.approx(4 * widths[1])
    assert {"big", "small", "4", "1"} <= set(texts(root))


def test_horizontal_bars_print_the_note_and_clip_long_labels():
    bar = charts.Bar("x" * 200, 3, display="×3", note="example title")
    root = parse(charts.horizontal_bars([bar], title="Signatures"))
    labels = texts(root)
    assert "example title" in labels and "×3" in labels
    assert max(len(t) for t in labels) < 100


def test_text_is_escaped_and_control_characters_are_dropped():
    label = "<b>&amp; \x1b[31mred\x00"
    root = parse(charts.horizontal_bars([charts.Bar(label, 1)], title="<Categories> & co"))
    assert "<b>&amp; [31mred" in texts(root)
    assert root.get("aria-label") == "<Categories> & co"


def test_day_bars_of_many_days_show_each_value_as_text():
    bars = [charts.Bar(f"2024-05-{i + 1:02d}", 1500 * (i + 1)) for i in range(14)]
    root = parse(charts.day_bars(bars, title="Tokens"))
    assert "1.5k" in texts(root) and "21k" in texts(root)
    assert len([r for r in root.iter(f"{SVG}rect")]) == 14


def test_calibration_plot_draws_the_diagonal_and_one_bar_per_bin():
    bins = [Bin(0.5, 0.6, 3, 0.55, 0.33), Bin(0.9, 1.0, 10, 0.95, 0.9)]
    root = parse(charts.calibration_plot(bins, title="Calibration"))
    assert len(list(root.iter(f"{SVG}rect"))) == 2
    diagonal = [
        line for line in root.iter(f"{SVG}line") if line.get("stroke-dasharray") is not None
    ]
    assert len(diagonal) == 1
    assert {"n=3", "n=10", "confidence", "observed success"} <= set(texts(root))


def test_chart_id_keeps_title_ids_unique_on_a_page():
    one = parse(charts.horizontal_bars([charts.Bar("a", 1)], title="Same", chart_id="first"))
    two = parse(charts.horizontal_bars([charts.Bar("a", 1)], title="Same", chart_id="second"))
    assert one.find(f"{SVG}title").get("id") != two.find(f"{SVG}title").get("id")


@pytest.mark.parametrize(
    ("value", "text"), [(0, "0"), (12, "12"), (1234, "1.2k"), (2_000_000, "2M"), (0.5, "0.50")]
)
def test_compact_numbers(value, text):
    assert charts.compact(value) == text


def test_palette_is_okabe_ito():
    assert charts.OKABE_ITO == (
        "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000"
    )  # fmt: skip
