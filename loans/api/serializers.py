"""What the API shows of loans and reads from requests. Serializers only parse and present: the
services validate (their messages come back field by field) and the selectors compute."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from common.api.fields import RateField, VNDField
from common.text import LONG_TEXT_MAX
from loans.models import Disbursement, Loan, LoanContract, LoanStatus, Repayment
from loans.models.money import LoanTransaction
from loans.selectors.schedule import DUE_TODAY, OVERDUE, PAID, PARTLY_PAID, UPCOMING, WRITTEN_OFF

# --- reading -------------------------------------------------------------------------------


class Ref(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ProductRef(Ref):
    code = serializers.CharField()
    version = serializers.IntegerField()


class Balances(serializers.Serializer):
    """What a loan owes on `as_of`, from its stored balances rows (or, where a due date has
    overtaken them before close of day, its replay: `source`)."""

    as_of = serializers.DateField(
        help_text=_(
            "The business date the figures are for. A loan's own answer is on the fund's business "
            "date; in the loan list, where an installment has fallen due since the loan's stored "
            "rows and close of day has not yet brought them forward, the last day they are exact on "
            "(the loan's own answer replays it to the business date)."
        )
    )
    source = serializers.ChoiceField(choices=["stored", "replayed"])
    principal_outstanding = VNDField()
    overdue_principal = VNDField()
    overdue_interest = VNDField()
    days_past_due = serializers.IntegerField()
    next_due_date = serializers.DateField(allow_null=True)
    next_due_amount = VNDField()


class LoanSerializer(serializers.ModelSerializer):
    reference = serializers.CharField()
    borrower = Ref()
    product = ProductRef()
    amount = VNDField()
    balances = serializers.SerializerMethodField()

    class Meta:
        model = Loan
        fields = [
            "id",
            "reference",
            "borrower",
            "product",
            "status",
            "amount",
            "term_months",
            "debt_group",
            "submitted_on",
            "decided_on",
            "balances",
        ]
        read_only_fields = fields

    @extend_schema_field(Balances(allow_null=True))
    def get_balances(self, loan) -> dict | None:
        position = self.context["balances"].get(loan.pk)
        return Balances(position).data if position is not None else None


class ContractSerializer(serializers.ModelSerializer):
    amount = VNDField()
    annual_rate = RateField()

    class Meta:
        model = LoanContract
        fields = [
            "number",
            "signed_on",
            "amount",
            "term_months",
            "annual_rate",
            "amortization",
            "first_due_date",
        ]
        read_only_fields = fields


class LoanDetailSerializer(LoanSerializer):
    approved_amount = VNDField(allow_null=True)
    approved_rate = RateField(allow_null=True)
    contract = serializers.SerializerMethodField()

    class Meta(LoanSerializer.Meta):
        fields = [
            *LoanSerializer.Meta.fields,
            "purpose",
            "proposed_collateral",
            "approved_amount",
            "approved_term_months",
            "approved_rate",
            "rejection_reason",
            "contract",
        ]
        read_only_fields = fields

    @extend_schema_field(ContractSerializer(allow_null=True))
    def get_contract(self, loan) -> dict | None:
        contract = getattr(loan, "contract", None)
        return ContractSerializer(contract).data if contract is not None else None


class ScheduleLineSerializer(serializers.Serializer):
    due_date = serializers.DateField(source="row.due_date")
    state = serializers.ChoiceField(choices=[PAID, PARTLY_PAID, OVERDUE, DUE_TODAY, UPCOMING, WRITTEN_OFF])
    is_prepayment = serializers.BooleanField()
    principal = VNDField()
    interest = VNDField()
    total = VNDField()
    paid = VNDField()
    late_charges = VNDField()
    left = VNDField()


class SubLoanScheduleSerializer(serializers.Serializer):
    household = Ref(allow_null=True)
    lines = ScheduleLineSerializer(many=True)


class ScheduleSerializer(serializers.Serializer):
    as_of = serializers.DateField()
    sub_loans = SubLoanScheduleSerializer(many=True)


class StatementLineSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="transaction.pk")
    kind = serializers.ChoiceField(source="transaction.kind", choices=LoanTransaction.Kind.choices)
    value_date = serializers.DateField(source="transaction.value_date")
    booking_date = serializers.DateField(source="transaction.booking_date")
    household = serializers.CharField(source="transaction.share.member", allow_null=True, default=None)
    amount = VNDField(source="transaction.amount")
    disbursed = VNDField()
    principal_repaid = VNDField()
    interest = VNDField(source="transaction.interest")
    late_interest = VNDField(source="transaction.late_interest")
    penalty = VNDField(source="transaction.penalty")
    repayment = serializers.IntegerField(source="transaction.repayment_id", allow_null=True)
    disbursement = serializers.IntegerField(source="transaction.disbursement_id", allow_null=True)
    balance = VNDField()


class PayoffQuoteSerializer(serializers.Serializer):
    """What repays the whole loan on `as_of`, with no more repayments before it."""

    as_of = serializers.DateField()
    payoff = VNDField()
    principal_outstanding = VNDField()
    accrued_interest = VNDField()
    overdue_principal = VNDField()
    overdue_interest = VNDField()
    late_charges = VNDField()
    days_past_due = serializers.IntegerField()


class _MoneyMoved(serializers.ModelSerializer):
    """Money paid out or in through one of the fund's cash or bank accounts, named by its code."""

    amount = VNDField()
    account = serializers.SlugRelatedField(slug_field="code", read_only=True)


class RepaymentSerializer(_MoneyMoved):
    class Meta:
        model = Repayment
        fields = [
            "id",
            "loan",
            "share",
            "value_date",
            "amount",
            "channel",
            "reference",
            "account",
            "prepayment_mode",
            "status",
            "recorded_at",
            "reversed_at",
            "reversal_reason",
        ]
        read_only_fields = fields


class DisbursementSerializer(_MoneyMoved):
    class Meta:
        model = Disbursement
        fields = [
            "id",
            "loan",
            "value_date",
            "amount",
            "account",
            "memo",
            "status",
            "recorded_at",
            "decided_at",
        ]
        read_only_fields = fields


# --- query strings -------------------------------------------------------------------------


class LoanIds(serializers.Serializer):
    borrower = serializers.IntegerField(required=False, min_value=1, max_value=10**18)
    officer = serializers.IntegerField(required=False, min_value=1, max_value=10**18)


class OnDate(serializers.Serializer):
    on = serializers.DateField(required=False, help_text=_("By default the fund's business date."))


# --- writing -------------------------------------------------------------------------------


class RepaymentIn(serializers.Serializer):
    share = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=10**18,
        help_text=_("A group loan's household share."),
    )
    value_date = serializers.DateField()
    amount = VNDField()
    channel = serializers.ChoiceField(choices=Repayment.Channel.choices)
    reference = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    account = serializers.CharField(
        required=False, allow_null=True, max_length=20, help_text=_("By default the channel's usual account.")
    )
    prepayment_mode = serializers.ChoiceField(
        choices=Repayment.PrepaymentMode.choices, default=Repayment.PrepaymentMode.LOWER_INSTALLMENTS
    )


class ReasonIn(serializers.Serializer):
    reason = serializers.CharField(max_length=LONG_TEXT_MAX, allow_blank=True)


class ShareAmountIn(serializers.Serializer):
    share = serializers.IntegerField(min_value=1, max_value=10**18)
    amount = VNDField()


class TrancheIn(serializers.Serializer):
    value_date = serializers.DateField()
    amount = VNDField()
    account = serializers.CharField(max_length=20)
    memo = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)
    share_amounts = ShareAmountIn(
        many=True,
        required=False,
        max_length=1000,
        help_text=_("A group loan's households' parts; by default in proportion."),
    )


class HouseholdShareIn(serializers.Serializer):
    household = serializers.IntegerField(min_value=1, max_value=10**18)
    amount = VNDField()


class ApplicationIn(serializers.Serializer):
    borrower = serializers.IntegerField(
        required=False, min_value=1, max_value=10**18, help_text=_("A co-op user applies for its own co-op.")
    )
    product = serializers.IntegerField(min_value=1, max_value=10**18)
    amount = VNDField()
    term_months = serializers.IntegerField(min_value=1, max_value=600)
    purpose = serializers.CharField(max_length=LONG_TEXT_MAX, allow_blank=True)
    proposed_collateral = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=LONG_TEXT_MAX
    )
    shares = HouseholdShareIn(many=True, required=False, default=list, max_length=1000)


class TransitionIn(serializers.Serializer):
    expected_status = serializers.ChoiceField(
        choices=LoanStatus.choices,
        required=False,
        help_text=_("The status the caller saw; another now is refused."),
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=LONG_TEXT_MAX)


class WithdrawIn(TransitionIn):
    note = None
    reason = serializers.CharField(max_length=LONG_TEXT_MAX, allow_blank=True)
