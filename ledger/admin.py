"""Admin: the chart is editable (through the account services); the journal and periods are read-only."""

from django import forms
from django.contrib import admin

from common.admin import ReadOnly
from ledger.models import Account, JournalEntry, JournalLine, Period, PeriodEvent
from ledger.services import accounts as account_services


class AccountAdminForm(forms.ModelForm):
    """Says what the services would refuse, field by field, before anything is saved."""

    parent_code = forms.CharField(
        required=False, max_length=16, label=Account._meta.get_field("parent").verbose_name
    )

    class Meta:
        model = Account
        fields = ["code", "name_vi", "name_en", "type", "active"]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        existing = self.instance
        account = Account(
            pk=existing.pk,
            code=data.get("code", existing.code),
            type=data.get("type", existing.type),
            parent_id=existing.parent_id,
            name_vi=data["name_vi"],
            name_en=data["name_en"],
            active=existing.active if existing.pk else data["active"],
        )
        if existing.pk is None:
            problems = account_services.new_account_problems(account, parent_code=data.get("parent_code", ""))
        else:
            problems = account_services.change_problems(account, active=data["active"])
        for field, messages in problems.items():
            target = "parent_code" if field == "parent" else field
            self.add_error(target if target in self.fields else None, messages)
        return data


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    form = AccountAdminForm
    list_display = ["code", "name_vi", "name_en", "type", "parent", "active"]
    list_filter = ["type", "active"]
    search_fields = ["code", "name_vi", "name_en"]
    ordering = ["code"]
    actions = None  # no bulk delete: accounts are deleted one by one, if never used

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["code", "parent_code", "type", "name_vi", "name_en", "active"]
        return ["code", "parent", "type", "name_vi", "name_en", "active"]

    def get_readonly_fields(self, request, obj=None):
        # Code, type and parent define the account in every posting: they never change.
        return [] if obj is None else ["code", "parent", "type"]

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        # What may change after an account is made; code, type and parent never do.
        changeable = {name: data[name] for name in ("name_vi", "name_en", "active")}
        if change:
            saved = account_services.update_account(actor=request.user, account=obj, **changeable)
        else:
            saved = account_services.create_account(
                actor=request.user,
                code=data["code"],
                type=data["type"],
                parent_code=data.get("parent_code", ""),
                **changeable,
            )
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        account_services.delete_account(actor=request.user, account=obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and (obj.lines.exists() or obj.children.exists()):
            return False
        return super().has_delete_permission(request, obj)


class JournalLineInline(ReadOnly, admin.TabularInline):
    model = JournalLine
    fields = ["account", "debit", "credit", "reference"]


@admin.register(JournalEntry)
class JournalEntryAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["number", "value_date", "memo", "source_kind", "source_ref", "created_by", "created_at"]
    list_filter = ["source_kind"]
    date_hierarchy = "value_date"
    search_fields = ["memo", "source_ref", "idempotency_key"]
    ordering = ["-year", "-sequence"]
    list_select_related = ["created_by"]
    inlines = [JournalLineInline]
    fields = [
        "number",
        "value_date",
        "memo",
        "source_kind",
        "source_ref",
        "idempotency_key",
        "reverses",
        "created_by",
        "created_at",
    ]

    def get_actions(self, request):
        return {}


class PeriodEventInline(ReadOnly, admin.TabularInline):
    model = PeriodEvent
    fields = ["action", "actor", "at", "reason"]


@admin.register(Period)
class PeriodAdmin(ReadOnly, admin.ModelAdmin):
    """Months are closed and reopened on the ledger's pages, which record who and why."""

    list_display = ["__str__", "state"]
    list_filter = ["state", "year"]
    fields = ["year", "month", "state"]
    inlines = [PeriodEventInline]

    def get_actions(self, request):
        return {}
