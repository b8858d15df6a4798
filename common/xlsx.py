"""Tables to and from .xlsx, the way a Vietnamese fund's accountant expects them.

Writing: numbers stay numbers (`#,##0` for money), headers in the user's language, the
header row frozen, an optional totals row. Rows are streamed (`write_only`), so a report
of a whole province's portfolio never sits in memory as cells; a long export is told how
many rows are written as it goes (`write_workbook`'s `progress`).

Reading: a sheet (or a CSV file) whose first row, or the row given, holds the headers; every
cell is converted by its column and every problem is reported with its row number and column,
so an import can refuse the whole file and say exactly what to fix. Every import is bounded by
the same settings, `IMPORT_MAX_BYTES` for the file, `IMPORT_MAX_UNPACKED_BYTES` for what it
unpacks to and `IMPORT_MAX_ROWS` for its rows, all checked before a row is converted.
"""

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from common.money import parse_vnd

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NUMBER_FORMATS = {
    "money": "#,##0",
    "integer": "#,##0",
    "decimal": "#,##0.00",
    "percent": "0.00%",
    "date": "dd/mm/yyyy",
    "text": "@",
}
DEFAULT_WIDTHS = {"money": 18, "integer": 10, "decimal": 14, "percent": 10, "date": 12, "text": 24}
# Columns beyond these are not read: a stray cell far to the right would otherwise widen
# every row to it. An import sheet has a dozen columns.
MAX_IMPORT_COLUMNS = 64
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBE4")
_TITLE_FONT = Font(bold=True, size=13)


@dataclass(frozen=True)
class Column:
    """One column of an exported table. `total=True` sums it in the totals row."""

    header: str
    kind: str = "text"
    width: int | None = None
    total: bool = False


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
    title: str
    columns: Sequence[Column]
    rows: Iterable[Sequence]
    preamble: Sequence[str] = ()  # lines above the table: report name, fund, as-of date
    totals_label: str | None = None  # a totals row when set; columns with total=True are summed
    chart: Chart | None = None


def _cell(ws, value, *, kind: str = "text", bold: bool = False, fill=None):
    cell = WriteOnlyCell(ws, value=value)
    if cell.data_type == "f":
        # Text that starts with "=" (a memo, a co-op's note) stays text: a formula would run
        # when the accountant opens the file.
        cell.data_type = "s"
    if kind != "text" or isinstance(value, str):
        cell.number_format = NUMBER_FORMATS[kind]
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

    def row(self) -> None:
        self.rows += 1
        if self.report is not None and self.rows % self.every == 0:
            self.report(self.rows)


def _write_sheet(workbook: Workbook, sheet: Sheet, progress: _Progress) -> None:
    ws = workbook.create_sheet(title=sheet.title[:31])
    for index, column in enumerate(sheet.columns, start=1):
        ws.column_dimensions[get_column_letter(index)].width = column.width or DEFAULT_WIDTHS[column.kind]
    header_row = len(sheet.preamble) + (2 if sheet.preamble else 1)
    ws.freeze_panes = f"A{header_row + 1}"
    for number, line in enumerate(sheet.preamble):
        title = WriteOnlyCell(ws, value=str(line))
        title.font = _TITLE_FONT if number == 0 else Font(italic=True)
        ws.append([title])
    if sheet.preamble:
        ws.append([])
    ws.append([_cell(ws, str(c.header), bold=True, fill=_HEADER_FILL) for c in sheet.columns])

    totals = [Decimal(0) if c.total else None for c in sheet.columns]
    count = 0
    for count, row in enumerate(sheet.rows, start=1):  # noqa: B007 - the rows written, for a chart
        values = [_plain(v) for v in row]
        for i, value in enumerate(values):
            if totals[i] is not None and value is not None:
                totals[i] += Decimal(value)
        ws.append([_cell(ws, v, kind=c.kind) for v, c in zip(values, sheet.columns, strict=True)])
        progress.row()

    if sheet.totals_label is not None:
        row = [_cell(ws, t, kind=c.kind, bold=True) for t, c in zip(totals, sheet.columns, strict=True)]
        row[0] = _cell(ws, str(sheet.totals_label), bold=True)
        ws.append(row)
    if sheet.chart is not None and count:
        ws.add_chart(
            _chart(ws, sheet, header_row, count),
            f"{get_column_letter(len(sheet.columns) + 2)}{header_row}",
        )


def _chart(ws, sheet: Sheet, header_row: int, count: int) -> BarChart | LineChart:
    chart = sheet.chart
    drawn = LineChart() if chart.line else BarChart()
    if chart.stacked and not chart.line:
        drawn.grouping, drawn.overlap = "stacked", 100
    drawn.title, drawn.y_axis.title = str(chart.title), str(chart.y_title)
    drawn.y_axis.numFmt = NUMBER_FORMATS[sheet.columns[chart.columns[0]].kind]
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
    if value is not None and not isinstance(value, str | int | float | Decimal | dt.date | bool):
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


def with_dropdowns(content: bytes, lists: dict[str, dict[int, str]], *, rows: int) -> bytes:
    """The workbook `content` with a dropdown on the first `rows` data rows of some columns:
    by sheet title, the column (0-based) and the cells holding its allowed values (a range of
    another sheet, e.g. "'Danh mục'!$A$2:$A$9"). Excel still takes a typed value; the import
    checks it anyway."""
    workbook = load_workbook(io.BytesIO(content))
    for title, columns in lists.items():
        sheet = workbook[title]
        for index, source in columns.items():
            letter = get_column_letter(index + 1)
            validation = DataValidation(type="list", formula1=f"={source}", allow_blank=True)
            validation.add(f"{letter}2:{letter}{rows + 1}")
            sheet.add_data_validation(validation)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


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


def _unpacked_size(file) -> int:
    """What the .xlsx (a zip) unpacks to, as its members declare: openpyxl holds the whole
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
    header_row: int = 1,
    is_csv: bool = False,
    sheet: str | None = None,
    max_rows: int | None = None,
    max_bytes: int | None = None,
    max_unpacked: int | None = None,
) -> ReadResult:
    """Read the first sheet of an .xlsx upload (or the sheet titled `sheet`; or a CSV file) into
    converted rows, with every error found; the rows above `header_row` (a bank's title lines)
    are not read.

    A file or sheet over the import limits (`max_rows`, `max_bytes`, `max_unpacked`: this
    import's, instead of `IMPORT_MAX_ROWS`, `IMPORT_MAX_BYTES`, `IMPORT_MAX_UNPACKED_BYTES`) is
    refused before any row is converted.
    """
    limits = {"max_rows": max_rows, "max_bytes": max_bytes, "max_unpacked": max_unpacked}
    if is_csv:
        max_rows = max_rows or settings.IMPORT_MAX_ROWS
        try:
            validate_import_size(file, max_bytes)
            return _read_rows(_at_most(_csv_rows(file), max_rows + header_row), columns, header_row)
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
    header_row: int = 1,
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
        workbook = load_workbook(file, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        return every(not_xlsx)
    try:
        return {
            title: _read_sheet(workbook, title, columns, header_row, max_rows)
            for title, columns in sheets.items()
        }
    finally:
        workbook.close()


def _read_sheet(workbook, sheet: str | None, columns, header_row: int, max_rows: int) -> ReadResult:
    if sheet is not None and sheet not in workbook.sheetnames:
        message = _("The workbook has no sheet named “%(sheet)s”.") % {"sheet": sheet}
        return ReadResult([], [CellError(0, _("file"), message)])
    data = workbook[sheet] if sheet is not None else workbook.worksheets[0]
    # The size the file declares, read without parsing a row (None when the file has none).
    declared = (data.max_row or 1) - header_row
    if declared > max_rows:
        message = _("The sheet has %(count)s rows; an import takes at most %(limit)s. Split the file.")
        sizes = {"count": declared, "limit": max_rows}
        return ReadResult([], [CellError(0, _("rows"), message % sizes)])
    rows = data.iter_rows(values_only=True, max_col=MAX_IMPORT_COLUMNS)
    try:
        return _read_rows(_at_most(rows, max_rows + header_row), columns, header_row)
    except _TooManyRows:
        return _too_many_rows(max_rows)


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


def _read_rows(rows: Iterable[Sequence], columns: Sequence[InputColumn], header_row: int = 1) -> ReadResult:
    rows = iter(rows)
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
