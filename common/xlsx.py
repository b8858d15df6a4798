"""Tables to and from .xlsx, the way a Vietnamese fund's accountant expects them.

Writing: numbers stay numbers (`#,##0` for money), headers in the user's language, the
header row frozen, an optional totals row. Rows are streamed (`write_only`), so a report
of a whole province's portfolio never sits in memory as cells; a long export is told how
many rows are written as it goes (`write_workbook`'s `progress`).

Reading: a sheet (or a CSV file) whose first row, or the row given, holds the headers; every
cell is converted by its column and every problem is reported with its row number and column,
so an import can refuse the whole file and say exactly what to fix. Every import is bounded by
the same settings, `IMPORT_MAX_BYTES` for the file, `IMPORT_MAX_UNPACKED_BYTES` for what it
unpacks to and `IMPORT_MAX_ROWS` for its rows, all checked before a row is converted. Sheets
are read with calamine (Rust): openpyxl's reader, pure Python cell by cell, took minutes over a
province's portfolio.
"""

import csv
import datetime as dt
import io
import itertools
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpResponse
from django.utils.formats import get_format
from django.utils.translation import get_language, gettext_noop
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._writer import WorksheetWriter, write_cell
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.properties import PageSetupProperties
from python_calamine import CalamineWorkbook

from common.documents import Heading, Signatures
from common.money import format_vnd, parse_vnd

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NUMBER_FORMATS = {
    "money": "#,##0",
    "integer": "#,##0",
    "decimal": "#,##0.00",
    "percent": "0.00%",
    "text": "@",
}
# Date cells show as the user's language writes a date (`common.dates`): these formats of
# `config/formats`, in Excel's letters.
_DATE_SETTINGS = {"date": "SHORT_DATE_FORMAT", "datetime": "DATETIME_FORMAT"}
_EXCEL_LETTERS = {"d": "dd", "m": "mm", "M": "mmm", "Y": "yyyy", "H": "hh", "i": "mm", "s": "ss"}
DEFAULT_WIDTHS = {
    "money": 18,
    "integer": 10,
    "decimal": 14,
    "percent": 10,
    "date": 12,
    "datetime": 19,
    "text": 24,
}
# Columns beyond these are not read: a stray cell far to the right would otherwise widen
# every row to it. An import sheet has a dozen columns.
MAX_IMPORT_COLUMNS = 64
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBE4")
_TITLE_FONT = Font(bold=True, size=13)


def number_format(kind: str) -> str:
    if kind in _DATE_SETTINGS:
        return _excel_date_format(kind, get_language())
    return NUMBER_FORMATS[kind]


@cache
def _excel_date_format(kind: str, language: str) -> str:
    """ "d/m/Y" -> "dd/mm/yyyy", "d M Y H:i:s" -> "dd mmm yyyy hh:mm:ss"."""
    return "".join(
        _EXCEL_LETTERS.get(letter, letter) for letter in get_format(_DATE_SETTINGS[kind], language)
    )


@dataclass(frozen=True)
class Column:
    """One column of an exported table. `total=True` sums it in the totals row."""

    header: str
    kind: str = "text"
    width: int | None = None
    total: bool = False


@dataclass(frozen=True)
class Typed:
    """A cell written in a format of its own, not its column's: a summary's column of
    amounts, rates, dates and words."""

    value: object
    kind: str


def summed(*headers: str) -> list[Column]:
    """Money columns, each summed in the totals row."""
    return [Column(header, "money", total=True) for header in headers]


@dataclass(frozen=True)
class Chart:
    """A native chart of the table beside it: the first column names the categories, each of
    `columns` (by position) is a series, over the table's rows (not its totals). Columns side by
    side (`stacked`: one on another), or a line per series (`line`); the values' axis shows
    numbers as the first series' column does."""

    title: str
    columns: Sequence[int]
    y_title: str = ""
    stacked: bool = False
    line: bool = False


@dataclass
class Sheet:
    """One table on a sheet of its own, ready to print: A4, landscape when wider than a
    portrait page, one page wide, the header row repeated on every page, page numbers below.

    Above the table a `heading` (the fund, title, period: `common.documents.heading`) or plain
    `preamble` lines (the first is the title); below it the totals row (`=SUM` of each
    `total=True` column, with its value), the `after` rows and the `signatures` block."""

    title: str
    columns: Sequence[Column]
    rows: Iterable[Sequence]
    preamble: Sequence[str] = ()  # lines above the table: report name, fund, as-of date
    totals_label: str | None = None  # a totals row when set; columns with total=True are summed
    after: Sequence[Sequence] = ()  # rows under the totals (a ledger's closing balance), first cell bold
    chart: Chart | None = None
    heading: Heading | None = None
    signatures: Signatures | None = None
    landscape: bool | None = None  # None: when the columns are wider than a portrait page


# Widths in characters of the default font: what an A4 page holds between default margins.
PORTRAIT_WIDTH = 92
WIDEST_COLUMN = 60
_WIDTH_SAMPLE = 200  # rows measured for the widths; the rest of a long export is streamed
_LINE_HEIGHT = 15  # points per line of wrapped text
ONE_PAGE_ROWS = 50  # rows, heading and signatures included, printed on one page however long


def _cell(ws, value, *, kind: str = "text", bold: bool = False, fill=None):
    if isinstance(value, Typed):
        value, kind = _plain(value.value), value.kind
    cell = WriteOnlyCell(ws, value=value)
    if cell.data_type == "f":
        # Text that starts with "=" (a memo, a co-op's note) stays text: a formula would run
        # when the accountant opens the file.
        cell.data_type = "s"
    if kind != "text" or isinstance(value, str):
        cell.number_format = number_format(kind)
    if bold:
        cell.font = _HEADER_FONT
    if fill is not None:
        cell.fill = fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    return cell


class _Progress:
    """Counts the rows written over a workbook's sheets; tells `report` every `every` rows."""

    def __init__(self, report: Callable[[int], None] | None, every: int):
        self.report, self.every, self.rows = report, every, 0

    def counted(self, rows: Iterable[Sequence]) -> Iterable[Sequence]:
        """The rows, each counted as it is taken to be written (the first are measured for
        the columns' widths before they are written)."""
        for row in rows:
            yield row
            self.rows += 1
            if self.report is not None and self.rows % self.every == 0:
                self.report(self.rows)


def _shown_length(value, kind: str) -> int:
    """About how many characters a cell shows."""
    if isinstance(value, Typed):
        value, kind = value.value, value.kind
    if value is None:
        return 0
    if kind in ("money", "integer") and isinstance(value, int | Decimal | float):
        return len(f"{value:,.0f}")
    if kind == "decimal" and isinstance(value, int | Decimal | float):
        return len(f"{value:,.2f}")
    if kind == "percent":
        return 8
    if isinstance(value, dt.datetime):
        return 19
    if isinstance(value, dt.date):
        return 10
    return max((len(line) for line in str(value).splitlines()), default=0)


def _widths(columns: Sequence[Column], sample: Sequence[Sequence]) -> list[float]:
    """A column's width: the one it declares, else its content's (the sampled rows, the
    header's longest word) within bounds."""
    widths = []
    for index, column in enumerate(columns):
        if column.width:
            widths.append(column.width)
            continue
        longest_word = max((len(word) for word in str(column.header).split()), default=0)
        shown = max((_shown_length(row[index], column.kind) for row in sample), default=0)
        widths.append(min(max(shown + 2, longest_word + 2, 8), WIDEST_COLUMN))
    return widths


def _lines(text: str, width: float) -> int:
    """The lines `text` wraps to in a cell `width` characters wide."""
    return max(1, -(-len(text) // max(int(width) - 1, 1)))


def _print_setup(ws, sheet: Sheet, widths: list[float], header_row: int) -> None:
    wide = sum(widths) > PORTRAIT_WIDTH if sheet.landscape is None else sheet.landscape
    ws.page_setup.paperSize = "9"  # A4
    ws.page_setup.orientation = "landscape" if wide else "portrait"
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0  # one page wide, as long as it takes
    ws.page_margins = PageMargins(left=0.5, right=0.4, top=0.6, bottom=0.6)
    ws.print_options.horizontalCentered = True
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.oddFooter.center.text = _("Page &P of &N")
    ws.oddFooter.center.size = 9


def _write_sheet(workbook: Workbook, sheet: Sheet, progress: _Progress) -> None:
    ws = workbook.create_sheet(title=sheet.title[:31])
    ws._writer = _CachingWriter(ws)  # totals keep their values beside their formulas
    rows = progress.counted(sheet.rows)
    sample = [[_plain(v) for v in row] for row in itertools.islice(rows, _WIDTH_SAMPLE)]
    widths = _widths(sheet.columns, sample)
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    above = _heading_rows(ws, sheet, widths)
    header_row = len(above) + 1
    _print_setup(ws, sheet, widths, header_row)
    ws.freeze_panes = f"A{header_row + 1}"
    ws._writer.write_top()  # everything above decides the sheet's top; rows follow
    ws.row_dimensions[header_row].height = _LINE_HEIGHT * max(
        _lines(str(c.header), width) for c, width in zip(sheet.columns, widths, strict=True)
    )
    for row in above:
        ws.append(row)
    ws.append([_cell(ws, str(c.header), bold=True, fill=_HEADER_FILL) for c in sheet.columns])

    totals = [Decimal(0) if c.total else None for c in sheet.columns]
    count = 0
    for count, row in enumerate(itertools.chain(sample, rows), start=1):  # noqa: B007 - for a chart
        values = [_plain(v) for v in row]
        for i, value in enumerate(values):
            if totals[i] is not None and value is not None:
                totals[i] += Decimal(value)
        ws.append([_cell(ws, v, kind=c.kind) for v, c in zip(values, sheet.columns, strict=True)])

    last = header_row + count
    if sheet.totals_label is not None:
        row = [
            _total_cell(ws, t, c.kind, index, header_row + 1, last)
            for index, (t, c) in enumerate(zip(totals, sheet.columns, strict=True), start=1)
        ]
        row[0] = _cell(ws, str(sheet.totals_label), bold=True)
        ws.append(row)
        last += 1
    for values in sheet.after:
        row = [_cell(ws, _plain(v), kind=c.kind) for v, c in zip(values, sheet.columns, strict=True)]
        row[0].font = _HEADER_FONT
        ws.append(row)
        last += 1
    if sheet.signatures is not None:
        _signature_rows(ws, sheet.signatures, len(sheet.columns), last + 2)
        last += 8
    if last <= ONE_PAGE_ROWS:  # a short document (a statement) shrinks a little to one sheet of paper
        ws.page_setup.fitToHeight = 1
    if sheet.chart is not None and count:
        ws.add_chart(
            _chart(ws, sheet, header_row, count),
            f"{get_column_letter(len(sheet.columns) + 2)}{header_row}",
        )


def header_row(sheet: Sheet) -> int:
    """The row the sheet's header is written on (under its heading or preamble, and a blank row)."""
    if sheet.heading is not None:
        return 2 + len(sheet.heading.lines) + 2
    return len(sheet.preamble) + 2 if sheet.preamble else 1


def _heading_rows(ws, sheet: Sheet, widths: list[float]) -> list[list]:
    """The rows above the header row: a heading's (merged across the table, centred), or the
    preamble's as they always were, then a blank row."""
    if sheet.heading is None:
        if not sheet.preamble:
            return []
        rows = []
        for number, line in enumerate(sheet.preamble):
            title = WriteOnlyCell(ws, value=str(line))
            title.font = _TITLE_FONT if number == 0 else Font(italic=True)
            rows.append([title])
        return [*rows, []]
    heading, span, total_width = sheet.heading, len(sheet.columns), sum(widths)
    first = WriteOnlyCell(ws, value=str(heading.fund))
    first.font = _HEADER_FONT
    top = [first]
    if heading.form:
        half = max(span // 2, 1)
        form = WriteOnlyCell(ws, value=str(heading.form))
        form.font, form.alignment = Font(bold=True), Alignment(horizontal="right", wrap_text=True)
        top = [first, *([None] * (span - half - 1)), form] if span > 1 else [first, form]
        _merge(ws, 1, 1, span - half)
        _merge(ws, 1, span - half + 1, span)
        ws.row_dimensions[1].height = _LINE_HEIGHT * _lines(heading.form, sum(widths[span - half :]))
    rows = [top]
    for number, line in enumerate([heading.title, *heading.lines], start=2):
        cell = WriteOnlyCell(ws, value=str(line))
        cell.font = _TITLE_FONT if number == 2 else Font(italic=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        rows.append([cell])
        _merge(ws, number, 1, span)
        if _lines(str(line), total_width) > 1:
            ws.row_dimensions[number].height = _LINE_HEIGHT * _lines(str(line), total_width) * 1.1
    return [*rows, []]


def _merge(ws, row: int, first: int, last: int) -> None:
    if last > first:
        ws.merged_cells.add(CellRange(min_row=row, max_row=row, min_col=first, max_col=last))


def _total_cell(ws, total, kind: str, column: int, first: int, last: int):
    """A summed column's total: `=SUM` over its rows, written with the value it comes to, so an
    edited row re-adds and the file shows the figure before anything recalculates."""
    if total is None:
        return _cell(ws, None, kind=kind, bold=True)
    if last < first:  # no rows: nothing to sum
        return _cell(ws, total, kind=kind, bold=True)
    letter = get_column_letter(column)
    cell = _cell(ws, f"=SUM({letter}{first}:{letter}{last})", kind=kind, bold=True)
    cell.data_type = "f"
    ws._writer.cached[id(cell)] = total
    return cell


def _signature_rows(ws, block: Signatures, span: int, row: int) -> None:
    """The date line over the last signer's place, then each signer's title and what they
    write under it, side by side over the table's width, and room to sign."""
    roles = block.roles
    places = _places(span, len(roles))
    line = [None] * places[-1][1]
    date = WriteOnlyCell(ws, value=str(block.date_line))
    date.font, date.alignment = Font(italic=True), Alignment(horizontal="center")
    line[places[-1][0] - 1] = date
    titles, captions = [None] * places[-1][1], [None] * places[-1][1]
    for (first, last), (title, caption) in zip(places, roles, strict=True):
        titles[first - 1] = WriteOnlyCell(ws, value=str(title))
        titles[first - 1].font = _HEADER_FONT
        captions[first - 1] = WriteOnlyCell(ws, value=str(caption))
        captions[first - 1].font = Font(italic=True, size=9)
        for cell in (titles[first - 1], captions[first - 1]):
            cell.alignment = Alignment(horizontal="center")
        for offset in (1, 2):
            _merge(ws, row + offset, first, last)
    _merge(ws, row, *places[-1])
    ws.append([])
    for cells in (line, titles, captions):
        ws.append(cells)
    for _room in range(4):  # room to sign
        ws.append([])


def _places(span: int, count: int) -> list[tuple[int, int]]:
    """The columns (first, last) each of `count` signers takes over a table `span` wide."""
    if span < count:
        return [(i, i) for i in range(1, count + 1)]
    edges = [round(i * span / count) for i in range(count + 1)]
    return [(edges[i] + 1, edges[i + 1]) for i in range(count)]


class _CachingWriter(WorksheetWriter):
    """openpyxl writes a formula without its value; a total is written with both, so a reader
    that does not calculate (a preview, `data_only=True`) still sees the figure."""

    def __init__(self, ws):
        super().__init__(ws)
        self.cached: dict[int, object] = {}  # id(cell) -> its value, until the cell is written

    def write_row(self, xf, row, row_idx):
        if not self.cached:  # every row but a totals row
            return super().write_row(xf, row, row_idx)
        attrs = {"r": f"{row_idx}", **self.ws.row_dimensions.get(row_idx, {})}
        with xf.element("row", attrs):
            for cell in row:
                value = self.cached.pop(id(cell), None)
                if value is None:
                    if cell._value is not None or cell.has_style:
                        write_cell(xf, self.ws, cell, cell.has_style)
                    continue
                attributes = {"r": cell.coordinate}
                if cell.has_style:
                    attributes["s"] = f"{cell.style_id}"
                with xf.element("c", attributes):
                    with xf.element("f"):
                        xf.write(cell._value[1:])
                    with xf.element("v"):
                        xf.write(str(value))
        return None


def _chart(ws, sheet: Sheet, header_row: int, count: int) -> BarChart | LineChart:
    chart = sheet.chart
    drawn = LineChart() if chart.line else BarChart()
    if chart.stacked and not chart.line:
        drawn.grouping, drawn.overlap = "stacked", 100
    drawn.title, drawn.y_axis.title = str(chart.title), str(chart.y_title)
    drawn.y_axis.numFmt = number_format(sheet.columns[chart.columns[0]].kind)
    drawn.height, drawn.width = 9, 18
    last = header_row + count
    for index in chart.columns:
        drawn.add_data(
            Reference(ws, min_col=index + 1, min_row=header_row, max_row=last), titles_from_data=True
        )
    drawn.set_categories(Reference(ws, min_col=1, min_row=header_row + 1, max_row=last))
    return drawn


def _plain(value):
    """Money to its amount; lazy strings to str; everything else as it is."""
    if hasattr(value, "amount") and hasattr(value, "currency"):
        return value.amount
    if value is not None and not isinstance(value, str | int | float | Decimal | dt.date | bool | Typed):
        return str(value)
    return value


def write_workbook(
    target, *sheets: Sheet, progress: Callable[[int], None] | None = None, every: int = 1000
) -> int:
    """Stream the sheets into `target` (a path or a binary file) and return the table rows
    written. `progress(rows)` hears the rows written so far every `every` rows and once at the
    end: a long export's progress, without a call per row."""
    workbook = Workbook(write_only=True)
    counter = _Progress(progress, every)
    for sheet in sheets:
        _write_sheet(workbook, sheet, counter)
    workbook.save(target)
    if progress is not None:
        progress(counter.rows)
    return counter.rows


def workbook_bytes(*sheets: Sheet) -> bytes:
    buffer = io.BytesIO()
    write_workbook(buffer, *sheets)
    return buffer.getvalue()


LISTS_SHEET = "_lists"  # hidden: the values of the dropdowns given as lists


def with_dropdowns(
    content: bytes, lists: dict[str, dict[int, str | Sequence[str]]], *, rows: int, first_row: int = 2
) -> bytes:
    """The workbook `content` with a dropdown on `rows` data rows (from `first_row`) of some
    columns: by sheet title, the column (0-based) and its allowed values — the cells holding
    them (a range of another sheet, e.g. "'Danh mục'!$A$2:$A$9") or the values themselves,
    written to a hidden sheet (a value may hold a comma, which a list typed into the rule may
    not). Excel still takes a typed value; the import checks it anyway."""
    workbook = load_workbook(io.BytesIO(content))
    hidden, used = None, 0
    for title, columns in lists.items():
        sheet = workbook[title]
        for index, source in columns.items():
            if not isinstance(source, str):
                if hidden is None:
                    hidden = workbook.create_sheet(LISTS_SHEET)
                    hidden.sheet_state = "hidden"
                used += 1
                for row, value in enumerate(source, start=1):
                    hidden.cell(row=row, column=used, value=str(value))
                letter = get_column_letter(used)
                source = f"'{LISTS_SHEET}'!${letter}$1:${letter}${len(source)}"
            letter = get_column_letter(index + 1)
            validation = DataValidation(type="list", formula1=f"={source}", allow_blank=True)
            validation.add(f"{letter}{first_row}:{letter}{first_row + rows - 1}")
            sheet.add_data_validation(validation)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# Rows of a template given dropdowns (and text cells): never more than an import takes, as
# formatted rows count in the size the file declares.
TEMPLATE_ROWS = 1000


def import_template(
    data: Sheet,
    explained: Iterable[tuple[str, bool, str]],
    *,
    note: str,
    dropdowns: dict[int, str | Sequence[str]],
    text_columns: int = 0,
    rows: int | None = None,
    example: Sequence | None = None,
) -> bytes:
    """An import's template: the `data` sheet (its headers, maybe an example row), a sheet
    explaining each column (`note` above; the column, whether it is required, what to enter,
    and, given an `example` row, its value there as text: an example a user cannot import by
    leaving it in), the data sheet's `dropdowns` (as `with_dropdowns`) and its first
    `text_columns` columns formatted as text (Excel keeps the leading 0 of phones, tax codes and
    ID numbers), on `rows` rows."""
    columns = [
        Column(_("Column"), "text", width=36),
        Column(_("Required"), "text", width=10),
        Column(_("What to enter"), "text", width=90),
    ]
    lines = [[label, _("yes") if required else _("no"), text] for label, required, text in explained]
    if example is not None:
        columns.append(Column(_("Example"), "text", width=30))
        lines = [[*line, _as_text(value)] for line, value in zip(lines, example, strict=True)]
    instructions = Sheet(title=_("Instructions"), columns=columns, rows=lines, preamble=[note])
    rows = rows or min(TEMPLATE_ROWS, settings.IMPORT_MAX_ROWS)
    first = header_row(data) + 1
    content = workbook_bytes(data, instructions)
    if text_columns:
        workbook = load_workbook(io.BytesIO(content))
        for row in workbook.worksheets[0].iter_rows(
            min_row=first, max_row=first + rows - 1, max_col=text_columns
        ):
            for cell in row:
                cell.number_format = "@"
        buffer = io.BytesIO()
        workbook.save(buffer)
        content = buffer.getvalue()
    return with_dropdowns(content, {data.title[:31]: dropdowns}, rows=rows, first_row=first)


def _as_text(value) -> str:
    """An example cell as the import reads it back from text: a date dd/mm/yyyy, an amount
    grouped as the user's language groups it."""
    if isinstance(value, dt.date):
        return f"{value:%d/%m/%Y}"
    if isinstance(value, int | Decimal):
        return format_vnd(value, with_unit=False)
    return str(value)


def streamed_response(filename: str, *sheets: Sheet) -> FileResponse:
    """A large export (a year's journal) written to a temporary file, not to memory, and
    sent from it."""
    file = tempfile.TemporaryFile()  # noqa: SIM115 - the response closes it once sent
    write_workbook(file, *sheets)
    file.seek(0)
    return FileResponse(file, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)


def xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- reading ------------------------------------------------------------------


@dataclass(frozen=True)
class CellError:
    row: int  # the sheet's row number, as the user sees it in Excel (header is row 1)
    column: str
    message: str

    def __str__(self) -> str:
        if not self.row:  # the whole file, not one of its rows
            return str(self.message)
        return _("Row %(row)s, %(column)s: %(message)s") % {
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


@dataclass(frozen=True)
class InputColumn:
    """One column an import reads.

    `headers` are the names accepted in the first row (Vietnamese and English, compared
    without case); `kind` converts the cell; `required` refuses an empty cell.
    """

    key: str
    headers: Sequence[str]
    kind: str = "text"
    required: bool = True
    choices: dict[str, str] = field(default_factory=dict)  # accepted text (lower case) -> value
    date_formats: Sequence[str] = ()  # a date column's only accepted patterns (default: any of ours)

    @property
    def label(self) -> str:
        return str(self.headers[0])


@dataclass
class ReadResult:
    rows: list[tuple[int, dict]]  # (sheet row number, values by key)
    errors: list[CellError]


def _convert_text(value):
    return str(value).strip() if not isinstance(value, float) or not value.is_integer() else str(int(value))


def _convert_money(value):
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        # Excel stores every number as a float; whole đồng are exact in a double up to 2**53.
        if not value.is_integer():
            raise ValueError
        return Decimal(int(value))
    if isinstance(value, Decimal):
        if value != value.to_integral_value():
            raise ValueError
        return value
    return parse_vnd(value)


def _convert_decimal(value):
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, float | int):
        return Decimal(str(value))
    number = Decimal(str(value).strip().replace(",", "."))
    if not number.is_finite():
        raise ValueError
    return number


def _convert_integer(value):
    amount = _convert_money(value)
    return int(amount)


_DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y")


def _convert_date(value, formats: Sequence[str] = _DATE_FORMATS):
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    if formats is not _DATE_FORMATS:
        text = text.split(" ")[0]  # a bank's "dd/mm/yyyy hh:mm": the day is what counts
    for pattern in formats:
        try:
            return dt.datetime.strptime(text, pattern).date()  # noqa: DTZ007 - a calendar date, no time
        except ValueError:
            continue
    raise ValueError


_CONVERTERS: dict[str, Callable] = {
    "text": _convert_text,
    "money": _convert_money,
    "integer": _convert_integer,
    "decimal": _convert_decimal,
    "date": _convert_date,
}
_KIND_HINTS = {
    "money": gettext_noop("a whole number of đồng, e.g. 1.500.000"),
    "integer": gettext_noop("a whole number"),
    "decimal": gettext_noop("a number, e.g. 6,6"),
    "date": gettext_noop("a date, dd/mm/yyyy"),
    "text": gettext_noop("text"),
}


def validate_import_size(file, limit: int | None = None) -> None:
    """Refuse an upload larger than `limit` (`IMPORT_MAX_BYTES` by default; also a form field
    validator)."""
    size = getattr(file, "size", None)
    if size is None:  # a plain file object
        position = file.tell()
        size = file.seek(0, io.SEEK_END)
        file.seek(position)
    limit = limit or settings.IMPORT_MAX_BYTES
    if size > limit:
        raise ValidationError(
            _("The file is %(size)s KB; an import takes at most %(limit)s KB.")
            % {"size": -(-size // 1024), "limit": limit // 1024}
        )


def validate_xlsx(file) -> None:
    """Refuse an upload that is not an .xlsx workbook (a zip) before it is kept for a task
    (also a form field validator); what the workbook holds is read by the import."""
    try:
        is_workbook = zipfile.is_zipfile(file)
    finally:
        file.seek(0)
    if not is_workbook:
        raise ValidationError(_("This is not an .xlsx workbook."))


def _unpacked_size(file) -> int:
    """What the .xlsx (a zip) unpacks to, as its members declare: the reader holds the whole
    shared-strings table in memory even read-only, so a few MB can unpack to gigabytes. A
    member cannot unpack to more than it declares (`zipfile` stops there)."""
    try:
        return sum(member.file_size for member in zipfile.ZipFile(file).infolist())
    finally:
        file.seek(0)


class _TooManyRows(Exception):
    pass


def read_table(
    file,
    columns: Sequence[InputColumn],
    *,
    header_row: int | None = 1,
    is_csv: bool = False,
    sheet: str | None = None,
    max_rows: int | None = None,
    max_bytes: int | None = None,
    max_unpacked: int | None = None,
) -> ReadResult:
    """Read the first sheet of an .xlsx upload (or the sheet titled `sheet`; or a CSV file) into
    converted rows, with every error found; the rows above `header_row` (a bank's title lines)
    are not read; `None`: the header row is found (under an exported sheet's heading).

    A file or sheet over the import limits (`max_rows`, `max_bytes`, `max_unpacked`: this
    import's, instead of `IMPORT_MAX_ROWS`, `IMPORT_MAX_BYTES`, `IMPORT_MAX_UNPACKED_BYTES`) is
    refused before any row is converted.
    """
    limits = {"max_rows": max_rows, "max_bytes": max_bytes, "max_unpacked": max_unpacked}
    if is_csv:
        max_rows = max_rows or settings.IMPORT_MAX_ROWS
        try:
            validate_import_size(file, max_bytes)
            rows = _at_most(_csv_rows(file), max_rows + (header_row or HEADER_SEARCH_ROWS))
            return _read_rows(rows, columns, header_row)
        except ValidationError as error:
            return ReadResult([], [CellError(0, _("file"), error.messages[0])])
        except UnicodeDecodeError:
            return ReadResult([], [CellError(0, _("file"), _("Save the CSV file as UTF-8 text."))])
        except _TooManyRows:
            return _too_many_rows(max_rows)
    return read_sheets(file, {sheet: columns}, header_row=header_row, **limits)[sheet]


def read_sheets(
    file,
    sheets: dict[str | None, Sequence[InputColumn]],
    *,
    header_row: int | None = 1,
    max_rows: int | None = None,
    max_bytes: int | None = None,
    max_unpacked: int | None = None,
) -> dict[str | None, ReadResult]:
    """Several sheets of one .xlsx upload, by title (None: the first sheet), each read as
    `read_table` reads one, the workbook opened once; a file over the limits is refused for
    every sheet."""
    max_rows = max_rows or settings.IMPORT_MAX_ROWS
    max_unpacked = max_unpacked or settings.IMPORT_MAX_UNPACKED_BYTES

    def every(result: ReadResult) -> dict[str | None, ReadResult]:
        return dict.fromkeys(sheets, result)

    try:
        validate_import_size(file, max_bytes)
    except ValidationError as error:
        return every(ReadResult([], [CellError(0, _("file"), error.messages[0])]))
    not_xlsx = ReadResult([], [CellError(0, _("file"), _("This is not an .xlsx workbook."))])
    try:
        unpacked = _unpacked_size(file)
    except Exception:  # not a zip, or a broken one
        return every(not_xlsx)
    if unpacked > max_unpacked:
        message = _("The file unpacks to %(size)s KB; an import takes at most %(limit)s KB unpacked.")
        sizes = {"size": -(-unpacked // 1024), "limit": max_unpacked // 1024}
        return every(ReadResult([], [CellError(0, _("file"), message % sizes)]))
    try:
        workbook = CalamineWorkbook.from_filelike(file)
    except Exception:  # calamine raises several kinds for a file that is not a workbook
        return every(not_xlsx)
    try:
        return {
            title: _read_sheet(workbook, title, columns, header_row, max_rows)
            for title, columns in sheets.items()
        }
    finally:
        workbook.close()


def _read_sheet(workbook, sheet: str | None, columns, header_row: int | None, max_rows: int) -> ReadResult:
    if sheet is not None and sheet not in workbook.sheet_names:
        message = _("The workbook has no sheet named “%(sheet)s”.") % {"sheet": sheet}
        return ReadResult([], [CellError(0, _("file"), message)])
    try:
        data = workbook.get_sheet_by_name(sheet) if sheet is not None else workbook.get_sheet_by_index(0)
    except Exception:  # a sheet whose cells cannot be read
        return ReadResult([], [CellError(0, _("file"), _("This is not an .xlsx workbook."))])
    (_top, left), (bottom, _right) = data.start or (0, 0), data.end or (0, 0)
    # The rows the sheet holds (up to its last cell), known before a row is converted.
    declared = bottom + 1 - (header_row or 1)
    if declared > max_rows:
        message = _("The sheet has %(count)s rows; an import takes at most %(limit)s. Split the file.")
        sizes = {"count": declared, "limit": max_rows}
        return ReadResult([], [CellError(0, _("rows"), message % sizes)])
    try:
        rows = _from_first_column(data.iter_rows(), left)
        return _read_rows(_at_most(rows, max_rows + (header_row or HEADER_SEARCH_ROWS)), columns, header_row)
    except _TooManyRows:
        return _too_many_rows(max_rows)


def _from_first_column(rows: Iterable[list], left: int) -> Iterable[list]:
    """A sheet's rows as the user sees them, empty cells as None: calamine gives every row from
    the first, but starts them at the first column holding something (`left`)."""
    for row in rows:
        yield ([None] * left + [None if value == "" else value for value in row])[:MAX_IMPORT_COLUMNS]


def _too_many_rows(limit: int) -> ReadResult:
    message = _("The sheet has more than %(limit)s rows; an import takes at most %(limit)s. Split the file.")
    return ReadResult([], [CellError(0, _("rows"), message % {"limit": limit})])


def _csv_rows(file) -> Iterable[Sequence]:
    """A CSV file's rows (its size is bounded: it is read whole); comma, semicolon or tab."""
    file.seek(0)
    text = file.read().decode("utf-8-sig")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:  # one column, or nothing to tell by
        dialect = csv.excel
    for row in csv.reader(io.StringIO(text), dialect):
        yield row[:MAX_IMPORT_COLUMNS]


def _at_most(rows: Iterable[Sequence], count: int) -> Iterable[Sequence]:
    """The rows, stopping with `_TooManyRows` at the first one beyond `count` (blank rows count:
    reading them takes time too), so a file without a declared size is never read to its end."""
    for number, row in enumerate(rows, start=1):
        if number > count:
            raise _TooManyRows
        yield row


def _read_rows(
    rows: Iterable[Sequence], columns: Sequence[InputColumn], header_row: int | None = 1
) -> ReadResult:
    rows = iter(rows)
    if header_row is None:  # under a heading: the first row naming the first column
        header_row, header = _find_header(rows, columns[0])
    else:
        for _above in range(header_row - 1):
            next(rows, None)
        header = next(rows, None)
    errors: list[CellError] = []
    if header is None:
        return ReadResult([], [CellError(header_row, _("header"), _("The sheet is empty."))])
    positions = _header_positions(header, columns, errors, header_row)
    if errors:
        return ReadResult([], errors)

    result: list[tuple[int, dict]] = []
    for number, raw in enumerate(rows, start=header_row + 1):
        if raw is None or all(v is None or (isinstance(v, str) and not v.strip()) for v in raw):
            continue  # blank lines between data are harmless
        values = {}
        for column in columns:
            position = positions[column.key]
            cell = raw[position] if position is not None and position < len(raw) else None
            values[column.key] = _convert_cell(number, column, cell, errors)
        result.append((number, values))
    if not result and not errors:
        errors.append(CellError(header_row + 1, _("rows"), _("The sheet has headers but no rows.")))
    return ReadResult(result, errors)


HEADER_SEARCH_ROWS = 10


def _find_header(rows, first: InputColumn) -> tuple[int, Sequence | None]:
    """The header row among the first `HEADER_SEARCH_ROWS` (a workbook exported with its
    heading goes back in as it is), else the first row."""
    accepted = {str(h).strip().lower() for h in first.headers}
    first_row = None
    for number, row in enumerate(itertools.islice(rows, HEADER_SEARCH_ROWS), start=1):
        if any(str(value).strip().lower() in accepted for value in row or () if value is not None):
            return number, row
        first_row = row if number == 1 else first_row
    return 1, first_row  # not found: the first row's missing columns are reported


def _header_positions(header, columns, errors, header_row: int) -> dict[str, int | None]:
    names = [str(h).strip().lower() if h is not None else "" for h in header]
    positions: dict[str, int | None] = {}
    for column in columns:
        accepted = {str(h).strip().lower() for h in column.headers}
        found = [i for i, name in enumerate(names) if name in accepted]
        if not found and column.required:
            errors.append(
                CellError(header_row, column.label, _("This column is missing from the header row."))
            )
        positions[column.key] = found[0] if found else None
    return positions


def _convert_cell(number: int, column: InputColumn, cell, errors: list[CellError]):
    if cell is None or (isinstance(cell, str) and not cell.strip()):
        if column.required:
            errors.append(CellError(number, column.label, _("This cell is required.")))
        return None
    if column.choices:
        value = column.choices.get(_convert_text(cell).lower())
        if value is None:
            allowed = ", ".join(sorted(column.choices))
            errors.append(
                CellError(number, column.label, _("Must be one of: %(allowed)s.") % {"allowed": allowed})
            )
        return value
    try:
        if column.date_formats:
            return _convert_date(cell, column.date_formats)
        return _CONVERTERS[column.kind](cell)
    except (ValueError, TypeError, ArithmeticError):
        hint = _(_KIND_HINTS[column.kind])
        if column.date_formats:
            shown = column.date_formats[0].replace("%d", "dd").replace("%m", "mm").replace("%Y", "yyyy")
            hint = _("a date, %(format)s") % {"format": shown}
        errors.append(
            CellError(number, column.label, _("%(value)r is not %(hint)s.") % {"value": cell, "hint": hint})
        )
        return None
