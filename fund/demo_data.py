"""The demo fund's records: a central co-op fund lending in four provinces.

Plain data for `fund.demo`; amounts in whole đồng, rates as annual fractions.
"""

import datetime as dt
from decimal import Decimal

FUND = {
    "name": "Quỹ Hỗ trợ phát triển hợp tác xã (bản demo)",
    "legal_form": "coop_central",
    "province": "Hà Nội",
    "address": "Số 6 Hoàng Diệu, Ba Đình",
    "tax_code": "0109999999",
    "charter_capital": Decimal("100000000000"),
    "exposure_cap": Decimal("3000000000"),
    "exposure_charter_share": Decimal("0.15"),
}
LENDING_ACCOUNTS = ["1111", "11211", "11212"]

# name, up to (None: no limit), demo usernames holding it
AUTHORITY_LEVELS = [
    ("Giám đốc Quỹ", Decimal("1000000000"), ["approver"]),
    ("Hội đồng quản lý Quỹ", None, ["approver"]),
]

# kind, name, [(receipt number, amount, account received into)]
CAPITAL = [
    ("state_budget", "Ngân sách Trung ương cấp vốn điều lệ", [(1, Decimal("80000000000"), "11211")]),
    ("donation", "Tài trợ của tổ chức quốc tế (demo)", [(2, Decimal("2000000000"), "11212")]),
    ("in_trust", "Vốn ủy thác của UBND tỉnh Thái Bình", [(3, Decimal("10000000000"), "11212")]),
]

# The product codes, and their rules beyond the model's defaults.
PRODUCTS = [
    {
        "code": "VLD-NH",
        "name": "Cho vay vốn lưu động ngắn hạn",
        "purpose": "Mua vật tư, giống, phân bón; thu mua nông sản cho thành viên.",
        "borrower_types": ["htx", "tht", "lhhtx"],
        "amount_min": Decimal("50000000"),
        "amount_max": Decimal("2000000000"),
        "term_min_months": 3,
        "term_max_months": 12,
        "annual_rate": Decimal("0.066"),
        "principal_frequency": 0,
        "interest_frequency": 1,
        "amortization": "bullet",
        "collateral_waiver_threshold": Decimal("100000000"),
        "documents": [
            "loan_application",
            "registration_certificate",
            "members_resolution",
            "business_plan",
            "financial_statements",
        ],
    },
    {
        "code": "TB-TH",
        "name": "Cho vay trung hạn đầu tư máy móc, thiết bị",
        "purpose": "Đầu tư máy móc, thiết bị, nhà xưởng phục vụ sản xuất, chế biến.",
        "borrower_types": ["htx", "lhhtx"],
        "amount_min": Decimal("200000000"),
        "amount_max": Decimal("3000000000"),
        "term_min_months": 13,
        "term_max_months": 60,
        "annual_rate": Decimal("0.072"),
        "principal_frequency": 3,
        "interest_frequency": 1,
        "amortization": "equal_principal",
        "max_grace_months": 6,
        "documents": [
            "loan_application",
            "registration_certificate",
            "charter",
            "members_resolution",
            "business_plan",
            "financial_statements",
            "collateral_documents",
        ],
    },
    {
        "code": "HTND-TO",
        "name": "Cho vay tổ hộ nông dân (Quỹ Hỗ trợ nông dân)",
        "purpose": "Hộ hội viên vay theo phương án của tổ để chăn nuôi, trồng trọt, nuôi trồng thủy sản.",
        "borrower_types": ["household_group"],
        "amount_min": Decimal("10000000"),
        "amount_max": Decimal("500000000"),
        "term_min_months": 13,
        "term_max_months": 36,
        "annual_rate": Decimal("0.066"),
        "principal_frequency": 6,
        "interest_frequency": 1,
        "amortization": "equal_principal",
        "collateral_waiver_threshold": Decimal("100000000"),
        "documents": [
            "loan_application",
            "establishment_decision",
            "household_requests",
            "farmers_union_confirmation",
            "business_plan",
        ],
    },
]

COOP_USER_BORROWER = "1000123456"  # the tax code of the HTX the demo `coop` user acts for


TB, NA, DL, CT = "Thái Bình", "Nghệ An", "Đắk Lắk", "Cần Thơ"
BORROWER_FIELDS = (
    "type", "name", "registration_number", "tax_code", "province", "district", "commune",
    "representative", "representative_title", "phone", "sector", "member_count", "founded_on",
)  # fmt: skip
# fmt: off
BORROWERS = [
    ("htx", "Hợp tác xã Nông nghiệp Tân Lập", "1000123456", "1000123456", TB, "Vũ Thư", "Tân Lập",
     "Nguyễn Văn Hùng", "Giám đốc", "0912345678", "crops", 215, dt.date(1998, 5, 12)),
    ("htx", "Hợp tác xã Chăn nuôi Diễn Hồng", "2900456789", "2900456789", NA, "Diễn Châu", "Diễn Hồng",
     "Trần Thị Hoa", "Giám đốc", "0983456123", "livestock", 48, dt.date(2012, 3, 20)),
    ("htx", "Hợp tác xã Dịch vụ Nông nghiệp Quỳnh Hồng", "2900567890", "2900567890", NA, "Quỳnh Lưu",
     "Quỳnh Hồng", "Hồ Văn Lâm", "Giám đốc", "0915222333", "trade", 96, dt.date(2004, 9, 1)),
    ("htx", "Hợp tác xã Cà phê Ea Tu", "6000789012", "6000789012", DL, "Buôn Ma Thuột", "Ea Tu",
     "Y Khoa Niê", "Giám đốc", "0905111222", "crops", 120, dt.date(2015, 7, 15)),
    ("htx", "Hợp tác xã Thủy sản Trường Thành", "1800345678", "1800345678", CT, "Thới Lai", "Trường Thành",
     "Lê Văn Tám", "Giám đốc", "0939444555", "aquaculture", 35, dt.date(2017, 11, 2)),
    ("tht", "Tổ hợp tác Rau an toàn Đông Sơn", "03/HĐHT-UBND", "", TB, "Đông Hưng", "Đông Sơn",
     "Phạm Thị Lan", "Tổ trưởng", "0978123456", "crops", 12, dt.date(2019, 2, 18)),
    ("tht", "Tổ hợp tác Mây tre đan Thanh Lương", "07/HĐHT-UBND", "", NA, "Thanh Chương", "Thanh Lương",
     "Nguyễn Thị Mai", "Tổ trưởng", "0962333444", "handicrafts", 18, dt.date(2016, 6, 10)),
    ("tht", "Tổ hợp tác Nuôi cá Nhơn Ái", "02/HĐHT-UBND", "", CT, "Phong Điền", "Nhơn Ái",
     "Trần Văn Phúc", "Tổ trưởng", "0918777666", "aquaculture", 9, dt.date(2020, 8, 25)),
    ("lhhtx", "Liên hiệp Hợp tác xã Cà phê Cư M'gar", "6001234567", "6001234567", DL, "Cư M'gar", "Quảng Phú",
     "H'Nhi Êban", "Chủ tịch Hội đồng quản trị", "0914666888", "processing", 7, dt.date(2018, 4, 9)),
    ("lhhtx", "Liên hiệp Hợp tác xã Lúa gạo Cờ Đỏ", "1801234567", "1801234567", CT, "Cờ Đỏ", "Thới Hưng",
     "Võ Minh Trí", "Chủ tịch Hội đồng quản trị", "0907999000", "processing", 5, dt.date(2021, 1, 12)),
    ("household_group", "Tổ vay vốn Hội Nông dân xã Vũ Hội", "12/QĐ-HND", "", TB, "Vũ Thư", "Vũ Hội",
     "Đỗ Văn Quý", "Tổ trưởng", "0977555111", "livestock", 6, dt.date(2023, 3, 1)),
    ("household_group", "Tổ vay vốn Hội Nông dân xã Nghi Phong", "08/QĐ-HND", "", NA, "Nghi Lộc",
     "Nghi Phong", "Hoàng Văn Sơn", "Tổ trưởng", "0966222777", "aquaculture", 5, dt.date(2023, 6, 15)),
    ("household_group", "Tổ vay vốn Hội Nông dân xã Ea Kao", "05/QĐ-HND", "", DL, "Buôn Ma Thuột", "Ea Kao",
     "Y Thuận Byă", "Tổ trưởng", "0935888999", "crops", 5, dt.date(2024, 2, 20)),
]
# fmt: on

# Households of the groups, by the group's registration number:
# head of household, ID number (CCCD: province code first), village, Farmers' Union member
HOUSEHOLDS = {
    "12/QĐ-HND": [
        ("Đỗ Văn Quý", "034078001234", "Thôn Đông", True),
        ("Bùi Thị Hằng", "034182004567", "Thôn Đông", True),
        ("Nguyễn Văn Thắng", "034075009876", "Thôn Nam", True),
        ("Phạm Văn Đức", "034080002345", "Thôn Nam", True),
        ("Vũ Thị Nga", "034185006789", "Thôn Bắc", True),
        ("Trần Văn Khải", "034072003456", "Thôn Bắc", False),
    ],
    "08/QĐ-HND": [
        ("Hoàng Văn Sơn", "040079001111", "Xóm 3", True),
        ("Lê Thị Thu", "040184002222", "Xóm 3", True),
        ("Nguyễn Văn Bình", "040076003333", "Xóm 5", True),
        ("Phan Văn Hải", "040081004444", "Xóm 5", True),
        ("Hồ Thị Lý", "040188005555", "Xóm 7", True),
    ],
    "05/QĐ-HND": [
        ("Y Thuận Byă", "066080001010", "Buôn Kram", True),
        ("H'Hoa Niê", "066186002020", "Buôn Kram", True),
        ("Nguyễn Văn Tuấn", "066077003030", "Thôn 2", True),
        ("Đinh Thị Xuân", "066183004040", "Thôn 2", True),
        ("Y Bim Mlô", "066079005050", "Buôn Kô", False),
    ],
}
