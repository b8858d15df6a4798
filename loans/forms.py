"""Forms of the loan pages: they parse; the services decide."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from common.forms import DATE, VNDField
from fund.models import Borrower, DocumentType
from fund.selectors import offered_products, visible_borrowers
from loans.models import Loan, LoanStatus
from loans.services.applications import ApplicationTerms


class BorrowerChoiceForm(forms.Form):
    borrower = forms.ModelChoiceField(label=_("Borrower"), queryset=Borrower.objects.none())

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["borrower"].queryset = visible_borrowers(actor).filter(status=Borrower.Status.ACTIVE)


class ApplicationForm(forms.Form):
    """The requested terms; a household group also gets one amount field per current household."""

    product = forms.ModelChoiceField(label=_("Loan product"), queryset=None)
    amount = VNDField(label=_("Amount requested (đồng)"))
    term_months = forms.IntegerField(label=_("Term (months)"), min_value=1, max_value=600)
    purpose = forms.CharField(label=_("Purpose"), widget=forms.Textarea(attrs={"rows": 3}))
    proposed_collateral = forms.CharField(
        label=_("Collateral proposed"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    service_error_labels = {"borrower": _("Borrower"), "shares": _("Households' shares")}

    def __init__(self, *args, borrower: Borrower, loan: Loan | None = None, **kwargs):
        if loan is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "product": loan.product_id,
                "amount": loan.amount.amount,
                "term_months": loan.term_months,
                "purpose": loan.purpose,
                "proposed_collateral": loan.proposed_collateral,
                **{f"share_{s.member_id}": s.amount.amount for s in loan.member_shares.all()},
            }
        super().__init__(*args, **kwargs)
        self.borrower = borrower
        self.fields["product"].queryset = offered_products(borrower_type=borrower.type)
        self.members = (
            list(borrower.members.filter(left_on__isnull=True)) if borrower.is_household_group else []
        )
        for member in self.members:
            self.fields[f"share_{member.pk}"] = VNDField(label=str(member), required=False)

    def share_fields(self):
        return [self[f"share_{member.pk}"] for member in self.members]

    def terms(self) -> ApplicationTerms:
        data = self.cleaned_data
        shares = [
            (member, data[f"share_{member.pk}"])
            for member in self.members
            if data.get(f"share_{member.pk}") not in (None, Decimal(0))
        ]
        return ApplicationTerms(
            borrower=self.borrower,
            product=data["product"],
            amount=data["amount"],
            term_months=data["term_months"],
            purpose=data["purpose"],
            proposed_collateral=data.get("proposed_collateral", ""),
            shares=shares,
        )


class DocumentForm(forms.Form):
    document_type = forms.ModelChoiceField(
        label=_("Document type"), queryset=DocumentType.objects.filter(active=True)
    )
    title = forms.CharField(label=_("Title"), required=False, max_length=255)
    issued_on = forms.DateField(label=_("Document date"), widget=DATE)
    file = forms.FileField(label=_("File"))


class ActionForm(forms.Form):
    """A transition button: the status the user saw, and a note (required where the action says so)."""

    expected_status = forms.ChoiceField(choices=LoanStatus.choices, widget=forms.HiddenInput)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
