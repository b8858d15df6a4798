"""The reports' settings on the fund: the arrears aging buckets and the PAR days."""

import pytest

from fund import services
from fund.forms import FundForm
from fund.models import Fund
from tests.fund.helpers import refused

pytestmark = pytest.mark.django_db


def test_the_defaults_are_the_issues_buckets_and_par_days(fund):
    assert (fund.aging_buckets, fund.par_days) == ([1, 10, 31, 91, 181, 361], [1, 30, 90])


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"aging_buckets": [10, 5]}, "aging_buckets"),  # not increasing
        ({"aging_buckets": [0, 10]}, "aging_buckets"),  # a bucket of loans not past due
        ({"aging_buckets": []}, "aging_buckets"),
        ({"aging_buckets": list(range(1, 14))}, "aging_buckets"),  # 13 buckets
        ({"aging_buckets": [1, 10_000]}, "aging_buckets"),
        ({"aging_buckets": ["1", 2]}, "aging_buckets"),
        ({"par_days": [30, 30]}, "par_days"),
        ({"par_days": [True]}, "par_days"),
    ],
)
def test_bad_report_settings_are_refused_and_change_nothing(fund, accountant, fields, field):
    errors = refused(lambda: services.update_fund(actor=accountant, fields=fields))
    assert field in errors
    assert Fund.objects.get().aging_buckets == [1, 10, 31, 91, 181, 361]


def test_the_settings_form_reads_days_typed_as_a_list(fund, accountant):
    data = {"aging_buckets": "1, 31; 91", "par_days": "", "lending_accounts": []}
    form = FundForm(data, instance=fund)
    form.is_valid()
    assert form.cleaned_data["aging_buckets"] == [1, 31, 91]
    assert form.cleaned_data["par_days"] == [1, 30, 90]  # left empty: kept
    assert form["aging_buckets"].value() == "1, 31; 91"
    assert FundForm(instance=fund)["par_days"].as_widget().count('value="1, 30, 90"') == 1
    bad = FundForm({**data, "aging_buckets": "1, ten"}, instance=fund)
    assert not bad.is_valid() and "aging_buckets" in bad.errors
    services.update_fund(actor=accountant, fields={"aging_buckets": [1, 31, 91]})
    assert Fund.objects.get().aging_buckets == [1, 31, 91]
