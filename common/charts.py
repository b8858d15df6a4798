"""Charts drawn on the server as SVG: the geometry here, the drawing in
`templates/common/_chart.html` (`{% include "common/_chart.html" with chart=... %}`).

Every chart is a `Chart` of rectangles, lines and texts in SVG units, with a legend of its
series; a series' `name` is its CSS class (`bar-<name>` in static/css/coopfund.css), so the
same series has the same colour in every chart. Values are Decimals (amounts in đồng, ratios);
`format` turns one into the text a bar's tooltip shows.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

CENT = Decimal("0.01")  # of the charts' units
PLOT = 100  # the plot's width (bars: the longest bar's length; by category: the width)
HEIGHT = 50  # by category: the plot's bottom, the highest value `TOP` below the top edge
TOP = 2  # room for the highest line's dots
LABEL = 20  # bars: the labels' width on the left; by category: the scale's
ROW, BAR = 10, 6  # bars: a row's height and its bar's
FOOT = 8  # by category: the categories' labels under the plot
FONT = 3


@dataclass(frozen=True)
class Series:
    name: str  # its CSS class: bar-<name>
    label: str


@dataclass
class Chart:
    title: str
    series: Sequence[Series]
    width: Decimal
    height: Decimal
    rects: list[dict] = field(default_factory=list)  # x, y, width, height, series, title
    lines: list[dict] = field(default_factory=list)  # series, points ("x,y x,y ...")
    dots: list[dict] = field(default_factory=list)  # x, y, series, title
    texts: list[dict] = field(default_factory=list)  # x, y, text, anchor
    font: int = FONT


def _scale(values) -> Decimal:
    return max((value for value in values if value is not None), default=0) or Decimal(1)


def _fit(label: str, width: int) -> str:
    """The label cut to what `width` units hold (the table beside the chart has it whole)."""
    most = width * 2 // FONT
    return label if len(label) <= most else f"{label[: most - 1]}…"


def _units(value) -> Decimal:
    return Decimal(value).quantize(CENT)


def stacked_bars(
    title: str,
    series: Sequence[Series],
    rows: Sequence[tuple[str, Sequence[Decimal]]],
    *,
    format: Callable[[Decimal], str] = str,
    label_width: int = LABEL,
) -> Chart:
    """A horizontal bar per row (its label, then each series' value stacked), the longest bar
    `PLOT` units long."""
    widest = _scale(sum(values, Decimal(0)) for _label, values in rows)
    chart = Chart(title, series, Decimal(label_width + PLOT), Decimal(len(rows) * ROW))
    for number, (label, values) in enumerate(rows):
        top, x = number * ROW, Decimal(label_width)
        chart.texts.append({"x": 0, "y": top + 7, "text": _fit(label, label_width), "anchor": "start"})
        for one, value in zip(series, values, strict=True):
            width = _units(value * PLOT / widest)
            chart.rects.append(_rect(x, top + 2, width, BAR, one, format(value)))
            x += width
    return chart


def by_category(
    title: str,
    series: Sequence[Series],
    categories: Sequence[str],
    values: Sequence[Sequence[Decimal]],
    *,
    lines: bool = False,
    format: Callable[[Decimal], str] = str,
) -> Chart:
    """The categories along the bottom (`values[i]`: category i's value of each series), the
    scale on the left from 0 to the highest: a column per category with its series stacked from
    the bottom, or (`lines`) a line per series through its values."""
    tops = [max(column, default=0) if lines else sum(column, Decimal(0)) for column in values]
    highest = _scale(tops)
    chart = Chart(title, series, Decimal(LABEL + PLOT), Decimal(HEIGHT + FOOT))
    slot = Decimal(PLOT) / max(len(categories), 1)
    chart.texts.append({"x": LABEL - 1, "y": TOP + FONT / 2, "text": format(highest), "anchor": "end"})
    chart.texts.append({"x": LABEL - 1, "y": HEIGHT, "text": format(Decimal(0)), "anchor": "end"})
    for number, category in enumerate(categories):
        middle = _units(LABEL + slot * number + slot / 2)
        chart.texts.append({"x": middle, "y": HEIGHT + FONT + 2, "text": category, "anchor": "middle"})
    if lines:
        _lines(chart, categories, values, slot, highest, format)
    else:
        _columns(chart, categories, values, slot, highest, format)
    return chart


def _columns(chart: Chart, categories, values, slot: Decimal, highest: Decimal, format) -> None:
    for number, column in enumerate(values):
        x, bottom = _units(LABEL + slot * number + slot / 10), Decimal(HEIGHT)
        for one, value in zip(chart.series, column, strict=True):
            height = _units(value * (HEIGHT - TOP) / highest)
            bottom -= height
            title = f"{categories[number]}: {format(value)}"
            chart.rects.append(_rect(x, bottom, _units(slot * 8 / 10), height, one, title))


def _lines(chart: Chart, categories, values, slot: Decimal, highest: Decimal, format) -> None:
    for index, one in enumerate(chart.series):
        points = []
        for number, column in enumerate(values):
            x = _units(LABEL + slot * number + slot / 2)
            y = _units(HEIGHT - column[index] * (HEIGHT - TOP) / highest)
            points.append(f"{x},{y}")
            title = f"{categories[number]}: {format(column[index])}"
            chart.dots.append({"x": x, "y": y, "series": one.name, "title": title})
        chart.lines.append({"series": one.name, "points": " ".join(points)})


def _rect(x, y, width, height, series: Series, title: str) -> dict:
    return {"x": x, "y": y, "width": width, "height": height, "series": series.name, "title": title}
