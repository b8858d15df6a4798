"""How Vietnamese shows a date: day first, with slashes (06/12/2026), the way forms and the
fund's documents write it. Django's own Vietnamese formats (06-12-2026, "Ngày 6 tháng 12 năm
2026") are replaced so every page, .xlsx and message writes a date the same way
(`common.dates`)."""

DATE_FORMAT = "d/m/Y"
SHORT_DATE_FORMAT = "d/m/Y"
DATETIME_FORMAT = "d/m/Y H:i:s"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
MONTH_DAY_FORMAT = "d/m"
YEAR_MONTH_FORMAT = "m/Y"
