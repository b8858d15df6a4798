"""The loans in the admin, to look things up: read-only, since every change to a loan goes
through its services (and money is corrected by reversal, never by editing)."""

from django.contrib import admin

from common.admin import ReadOnly
from loans.models import (
    Disbursement,
    Loan,
    LoanContract,
    LoanEvent,
    LoanTransaction,
    Repayment,
    RepaymentImport,
)


class LoanEventInline(ReadOnly, admin.TabularInline):
    model = LoanEvent
    fields = ["at", "transition", "source", "target", "actor", "note"]


class ContractInline(ReadOnly, admin.StackedInline):
    model = LoanContract


@admin.register(Loan)
class LoanAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["reference", "borrower", "product", "amount", "status", "submitted_on"]
    list_filter = ["status", "product__code", "borrower__type", "borrower__province"]
    search_fields = ["borrower__name", "contract__number", "purpose"]
    list_select_related = ["borrower", "product"]
    inlines = [ContractInline, LoanEventInline]


@admin.register(Disbursement)
class DisbursementAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["loan", "value_date", "amount", "account", "status", "recorded_by", "decided_by"]
    list_filter = ["status"]
    search_fields = ["loan__contract__number", "loan__borrower__name"]
    list_select_related = ["loan__borrower", "account", "recorded_by", "decided_by"]


@admin.register(Repayment)
class RepaymentAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["loan", "share", "value_date", "amount", "channel", "reference", "status"]
    list_filter = ["status", "channel"]
    search_fields = ["loan__contract__number", "loan__borrower__name", "reference"]
    list_select_related = ["loan__borrower", "share__member"]


@admin.register(LoanTransaction)
class LoanTransactionAdmin(ReadOnly, admin.ModelAdmin):
    list_display = [
        "loan",
        "kind",
        "value_date",
        "amount",
        "principal",
        "interest",
        "late_interest",
        "journal_entry",
    ]
    list_filter = ["kind"]
    search_fields = ["loan__contract__number"]
    list_select_related = ["loan__borrower", "journal_entry"]


@admin.register(RepaymentImport)
class RepaymentImportAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["file_name", "imported_at", "imported_by", "rows", "skipped", "total"]
