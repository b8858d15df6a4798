import datetime as dt

from django.conf import settings
from django.utils import translation

from common.dates import format_date, format_datetime

DAY = dt.date(2026, 1, 15)


def test_with_no_language_active_a_date_is_written_as_the_sites_language_writes_it():
    """Management commands run with translations off; Django's own fallback is then month first
    (01/15/2026), which a Vietnamese reader takes for the 1st of the 15th month."""
    with translation.override(settings.LANGUAGE_CODE):
        expected = format_date(DAY), format_datetime(dt.datetime(2026, 1, 15, 9, 30))
    with translation.override(None):
        assert (format_date(DAY), format_datetime(dt.datetime(2026, 1, 15, 9, 30))) == expected
    assert expected[0].startswith("15")


def test_each_language_writes_a_date_its_own_way():
    with translation.override("vi"):
        assert format_date(DAY) == "15/01/2026"
    with translation.override("en"):
        assert format_date(DAY) == "15 Jan 2026"
