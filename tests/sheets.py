"""Reading the tables of an exported sheet the way a reader sees them: under their header row,
down to the blank row that ends them (the date line and the signatures follow)."""


def rows_of(sheet) -> list[list]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def until_blank(rows: list) -> list:
    """The rows up to the first empty one."""
    end = next((i for i, row in enumerate(rows) if all(value is None for value in row)), len(rows))
    return rows[:end]


def table_under(sheet, first_header: str) -> list[list]:
    """The rows under the header row that starts with `first_header`, down to the table's end."""
    rows = rows_of(sheet)
    start = next(i for i, row in enumerate(rows) if row and row[0] == first_header)
    return until_blank(rows[start + 1 :])
