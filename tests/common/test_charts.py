"""The SVG charts' geometry: the largest value fills the plot, the rest in proportion."""

from decimal import Decimal as D

from common import charts

TWO = [charts.Series("principal", "Gốc"), charts.Series("interest", "Lãi")]


def test_stacked_bars_put_the_longest_bar_at_the_plot_s_width():
    chart = charts.stacked_bars("t", TWO, [("a", (D(30), D(10))), ("b", (D(20), D(0)))], label_width=30)
    first, second, third, _empty = chart.rects
    assert (first["x"], first["width"], second["x"], second["width"]) == (30, 75, 105, 25)
    assert third["width"] == 50 and third["y"] == first["y"] + charts.ROW
    assert chart.width == 30 + charts.PLOT and chart.height == 2 * charts.ROW
    assert [rect["series"] for rect in chart.rects] == ["principal", "interest"] * 2
    long = charts.stacked_bars("t", TWO[:1], [("x" * 40, (D(1),))])
    assert len(long.texts[0]["text"]) == charts.LABEL * 2 // charts.FONT


def test_columns_stack_from_the_bottom_and_lines_go_through_each_value():
    values = [(D(10), D(30)), (D(20), D(0))]
    columns = charts.by_category("t", TWO, ["01/2026", "02/2026"], values)
    plot = charts.HEIGHT - charts.TOP
    low, high = columns.rects[:2]
    assert low["y"] + low["height"] == charts.HEIGHT and low["height"] == plot / 4
    assert high["y"] == charts.TOP and high["y"] + high["height"] == low["y"]  # the highest column's top
    assert columns.rects[2]["height"] == plot / 2
    lines = charts.by_category("t", TWO, ["01/2026", "02/2026"], values, lines=True)
    assert [line["series"] for line in lines.lines] == ["principal", "interest"]
    # 30 is the highest value: at the top; 0 at the bottom.
    assert lines.lines[1]["points"].split() == ["45.00,2.00", "95.00,50.00"]
    assert not lines.rects and len(lines.dots) == 4


def test_nothing_to_draw_draws_nothing_and_divides_by_nothing():
    assert charts.by_category("t", TWO, [], []).rects == []
    assert charts.stacked_bars("t", TWO, [("a", (D(0), D(0)))]).rects[0]["width"] == 0
