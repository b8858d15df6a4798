"""Vietnam's public holidays (Labour Code 2019, art. 112), as solar dates, for seeding a new
fund's calendar of non-working days. The fund edits its calendar afterwards: this is a start.

Source: the `holidays` package's Vietnam calendar (python-holidays 0.108), which follows the
government's yearly announcements — Tết 2025: Announcement 6150/TB-BLĐTBXH (and the swap of
02/05/2025 for Saturday 26/04); Tết and National Day 2026 as the government set them (Tết
16–20/02/2026, National Day 01–02/09/2026 with 31/08 swapped for Saturday 22/08); Vietnam
Cultural Day 24/11 from 2026 (Resolution 80-NQ/TW). Lunar dates: Tết is the 1st of the first
lunar month (29/01/2025, 17/02/2026, 06/02/2027, 26/01/2028), Hùng Kings' day the 10th of the
third (07/04/2025, 26/04/2026, 16/04/2027, 04/04/2028). The 2027 and 2028 days follow the Labour
Code's rules (a holiday on a weekend is taken the next working day) until the government
announces them: check them then.
"""

from datetime import date

NEW_YEAR = "Tết Dương lịch"
TET = "Tết Nguyên Đán"
HUNG_KINGS = "Giỗ Tổ Hùng Vương"
REUNIFICATION = "Ngày Giải phóng miền Nam, thống nhất đất nước"
LABOUR_DAY = "Ngày Quốc tế Lao động"
NATIONAL_DAY = "Quốc khánh"
CULTURE_DAY = "Ngày Văn hóa Việt Nam"
OBSERVED = " (nghỉ bù)"
SWAPPED = "Nghỉ hoán đổi"


def _days(year: int, month: int, first: int, last: int, name: str) -> list[tuple[date, str]]:
    return [(date(year, month, day), name) for day in range(first, last + 1)]


PUBLIC_HOLIDAYS: dict[int, list[tuple[date, str]]] = {
    2025: [
        (date(2025, 1, 1), NEW_YEAR),
        (date(2025, 1, 27), f"{TET} ({SWAPPED.lower()})"),
        *_days(2025, 1, 28, 31, TET),
        (date(2025, 2, 1), TET),
        (date(2025, 4, 7), HUNG_KINGS),
        (date(2025, 4, 30), REUNIFICATION),
        (date(2025, 5, 1), LABOUR_DAY),
        (date(2025, 5, 2), SWAPPED),
        (date(2025, 9, 1), NATIONAL_DAY),
        (date(2025, 9, 2), NATIONAL_DAY),
    ],
    2026: [
        (date(2026, 1, 1), NEW_YEAR),
        *_days(2026, 2, 16, 20, TET),
        (date(2026, 4, 26), HUNG_KINGS),
        (date(2026, 4, 27), HUNG_KINGS + OBSERVED),
        (date(2026, 4, 30), REUNIFICATION),
        (date(2026, 5, 1), LABOUR_DAY),
        (date(2026, 8, 31), SWAPPED),
        (date(2026, 9, 1), NATIONAL_DAY),
        (date(2026, 9, 2), NATIONAL_DAY),
        (date(2026, 11, 24), CULTURE_DAY),
    ],
    2027: [
        (date(2027, 1, 1), NEW_YEAR),
        *_days(2027, 2, 4, 10, TET),
        (date(2027, 4, 16), HUNG_KINGS),
        (date(2027, 4, 30), REUNIFICATION),
        (date(2027, 5, 1), LABOUR_DAY),
        (date(2027, 5, 3), LABOUR_DAY + OBSERVED),
        (date(2027, 9, 2), NATIONAL_DAY),
        (date(2027, 9, 3), NATIONAL_DAY),
        (date(2027, 11, 24), CULTURE_DAY),
    ],
    2028: [
        (date(2028, 1, 1), NEW_YEAR),
        (date(2028, 1, 3), NEW_YEAR + OBSERVED),
        *_days(2028, 1, 24, 29, TET),
        (date(2028, 4, 4), HUNG_KINGS),
        (date(2028, 4, 30), REUNIFICATION),
        (date(2028, 5, 1), LABOUR_DAY),
        (date(2028, 5, 2), REUNIFICATION + OBSERVED),
        (date(2028, 9, 1), NATIONAL_DAY),
        (date(2028, 9, 2), NATIONAL_DAY),
        (date(2028, 9, 4), NATIONAL_DAY + OBSERVED),
        (date(2028, 11, 24), CULTURE_DAY),
    ],
}
