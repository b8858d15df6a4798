"""How English shows a date: day, the month's short name, year (06 Dec 2026), which no reader
takes month-first. Django's English formats (12/06/2026, "Dec. 6, 2026") are replaced so every
page, .xlsx and message writes a date the same way (`common.dates`)."""

DATE_FORMAT = "d M Y"
SHORT_DATE_FORMAT = "d M Y"
DATETIME_FORMAT = "d M Y H:i:s"
SHORT_DATETIME_FORMAT = "d M Y H:i"
MONTH_DAY_FORMAT = "d M"
YEAR_MONTH_FORMAT = "M Y"
