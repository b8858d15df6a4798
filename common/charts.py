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
PLOT = 100  # the plot's width (bars: the longest bar's length; columns and lines: the width)
HEIGHT = 50  # columns and lines: the plot's height
LABEL = 20  # bars: the labels' width on the left; columns and lines: the scale's
ROW, BAR = 10, 6  # bars: a row's height and its bar's
FOOT = 8  # columns and lines: the categories' labels under the plot
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
        chart.texts.append({"x": 0, "y": top + 7, "text": label, "anchor": "start"})
        for one, value in zip(series, values, strict=True):
            width = _units(value * PLOT / widest)
            chart.rects.append(
                {
                    "x": x,
                    "y": top + 2,
                    "width": width,
                    "height": BAR,
                    "series": one.name,
                    "title": format(value),
                }
            )
            x += width
    return chart


def _frame(title, series, categories, top_value, format) -> tuple[Chart, Decimal]:
    """A chart with room for the scale on the left and the categories under the plot; the
    width of one category's slot."""
    chart = Chart(title, series, Decimal(LABEL + PLOT), Decimal(HEIGHT + FOOT))
    slot = Decimal(PLOT) / max(len(categories), 1)
    chart.texts.append({"x": LABEL - 1, "y": FONT, "text": format(top_value), "anchor": "end"})
    chart.texts.append({"x": LABEL - 1, "y": HEIGHT, "text": format(Decimal(0)), "anchor": "end"})
    for number, category in enumerate(categories):
        middle = _units(LABEL + slot * number + slot / 2)
        chart.texts.append({"x": middle, "y": HEIGHT + FONT + 2, "text": category, "anchor": "middle"})
    return chart, slot


def stacked_columns(
    title: str,
    series: Sequence[Series],
    categories: Sequence[str],
    values: Sequence[Sequence[Decimal]],
    *,
    format: Callable[[Decimal], str] = str,
) -> Chart:
    """A column per category (`values[i]`: its series' values, stacked from the bottom), the
    highest `HEIGHT` units high."""
    highest = _scale(sum(column, Decimal(0)) for column in values)
    chart, slot = _frame(title, series, categories, highest, format)
    for number, column in enumerate(values):
        x, bottom = _units(LABEL + slot * number + slot / 10), Decimal(HEIGHT)
        for one, value in zip(series, column, strict=True):
            height = _units(value * HEIGHT / highest)
            bottom -= height
            chart.rects.append(
                {
                    "x": x,
                    "y": bottom,
                    "width": _units(slot * 8 / 10),
                    "height": height,
                    "series": one.name,
                    "title": f"{categories[number]}: {format(value)}",
                }
            )
    return chart


def lines(
    title: str,
    series: Sequence[Series],
    categories: Sequence[str],
    values: Sequence[Sequence[Decimal]],
    *,
    format: Callable[[Decimal], str] = str,
) -> Chart:
    """A line per series through its value at each category (`values[i]`: category i's), from
    0 at the bottom to the highest value at the top."""
    highest = _scale(value for column in values for value in column)
    chart, slot = _frame(title, series, categories, highest, format)
    for index, one in enumerate(series):
        points = []
        for number, column in enumerate(values):
            x = _units(LABEL + slot * number + slot / 2)
            y = _units(HEIGHT - column[index] * HEIGHT / highest)
            points.append(f"{x},{y}")
            chart.dots.append(
                {
                    "x": x,
                    "y": y,
                    "series": one.name,
                    "title": f"{categories[number]}: {format(column[index])}",
                }
            )
        chart.lines.append({"series": one.name, "points": " ".join(points)})
    return chart
