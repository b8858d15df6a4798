from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given
from hypothesis import strategies as st

from fund.models import Fund


@given(
    charter=st.integers(min_value=1, max_value=10**15),
    share=st.decimals(min_value=Decimal("0.0001"), max_value=Decimal(1), places=4),
    cap=st.one_of(st.none(), st.integers(min_value=1, max_value=10**15)),
)
def test_the_limit_is_the_lower_of_the_cap_and_the_charter_share_in_whole_dong(charter, share, cap):
    fund = Fund(charter_capital=Decimal(charter), exposure_charter_share=share, exposure_cap=cap)
    by_share = (Decimal(charter) * share).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    limit = fund.exposure_limit
    assert isinstance(limit, Decimal) and limit == limit.to_integral_value()
    assert limit <= by_share
    if cap is None:
        assert limit == by_share
    else:
        assert limit <= cap and limit in {Decimal(cap), by_share}
