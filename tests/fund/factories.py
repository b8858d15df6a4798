"""Factories for the fund's records: valid by default, every field overridable."""

import datetime as dt
from decimal import Decimal

import factory

from fund.models import Borrower, Fund, HouseholdMember, LoanProduct
from fund.services.products import default_accounts
from ledger.models import Account


class BorrowerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Borrower

    type = Borrower.Type.COOPERATIVE
    name = factory.Sequence(lambda n: f"Hợp tác xã Nông nghiệp số {n}")
    registration_number = factory.Sequence(lambda n: f"{3400000000 + n}")
    tax_code = factory.LazyAttribute(lambda o: o.registration_number if o.type in ("htx", "lhhtx") else "")
    province = "Thái Bình"
    district = "Vũ Thư"
    commune = "Tân Lập"
    representative = "Nguyễn Văn Hùng"
    phone = "0912345678"
    sector = Borrower.Sector.CROPS
    member_count = 25
    founded_on = dt.date(2010, 1, 15)


class HouseholdGroupFactory(BorrowerFactory):
    type = Borrower.Type.HOUSEHOLD_GROUP
    name = factory.Sequence(lambda n: f"Tổ vay vốn số {n}")
    registration_number = factory.Sequence(lambda n: f"{n}/QĐ-HND")
    member_count = 5


class HouseholdMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HouseholdMember

    borrower = factory.SubFactory(HouseholdGroupFactory)
    head_of_household = factory.Sequence(lambda n: f"Hộ ông Trần Văn {n}")
    id_number = factory.Sequence(lambda n: f"{34000000000 + n:012d}")
    address = "Thôn Đông"
    farmers_union_member = True


def product_fields(**overrides) -> dict:
    """What a product form would send for a valid short-term product."""
    fields = {
        "code": "VLD",
        "name": "Vốn lưu động",
        "purpose": "Mua vật tư",
        "borrower_types": [Borrower.Type.COOPERATIVE, Borrower.Type.COOPERATIVE_GROUP],
        "amount_min": Decimal("10000000"),
        "amount_max": Decimal("1000000000"),
        "term_min_months": 3,
        "term_max_months": 12,
        "annual_rate": Decimal("0.066"),
    }
    fields.update(overrides)
    return fields


class LoanProductFactory(factory.django.DjangoModelFactory):
    """A product saved directly (tests of the service create theirs through it)."""

    class Meta:
        model = LoanProduct

    code = factory.Sequence(lambda n: f"P{n}")
    name = factory.Sequence(lambda n: f"Sản phẩm {n}")
    purpose = "Vốn lưu động"
    borrower_types = factory.LazyFunction(lambda: [Borrower.Type.COOPERATIVE, Borrower.Type.HOUSEHOLD_GROUP])
    amount_min = Decimal("10000000")
    amount_max = Decimal("1000000000")
    term_min_months = 3
    term_max_months = 12
    annual_rate = Decimal("0.066")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        for field, account in default_accounts(term_max_months=kwargs["term_max_months"]).items():
            kwargs.setdefault(field, account)
        return super()._create(model_class, *args, **kwargs)


class FundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Fund
        skip_postgeneration_save = True

    name = "Quỹ Hỗ trợ phát triển HTX tỉnh Thái Bình"
    legal_form = Fund.LegalForm.COOP_PROVINCIAL
    province = "Thái Bình"
    charter_capital = Decimal("50000000000")
    business_date = dt.date(2026, 3, 2)
    opened_on = dt.date(2025, 1, 1)
    exposure_cap = Decimal("5000000000")
    exposure_charter_share = Decimal("0.15")
    # No days off: due dates stay where the schedule puts them (tests of the calendar give one).
    rest_weekdays = factory.LazyFunction(list)
    other_receivables_account = factory.LazyFunction(lambda: Account.objects.filter(code="13888").first())
    refunds_payable_account = factory.LazyFunction(lambda: Account.objects.filter(code="33888").first())

    @factory.post_generation
    def lending_accounts(obj, create, extracted, **kwargs):
        if create:
            obj.lending_accounts.set(extracted or Account.objects.filter(code__in=["1111", "11211", "11212"]))
