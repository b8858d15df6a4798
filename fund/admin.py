"""The admin for the fund's records. Its forms validate as the models do; saving goes through
the services, so the admin cannot do what a page could not (edit a frozen product in place,
post capital without a journal entry, change a state outside its transitions)."""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from common.admin import ReadOnly
from fund import models, services
from fund.services.borrowers import BORROWER_FIELDS, MEMBER_FIELDS
from fund.services.documents import DOCUMENT_TYPE_FIELDS
from fund.services.fund import FUND_FIELDS
from fund.services.products import PRODUCT_FIELDS
from fund.services.tokens import revoke_token


def _given(form, names) -> dict:
    return {name: form.cleaned_data[name] for name in names if name in form.cleaned_data}


def _adopt(obj, saved) -> None:
    """Let the admin carry on (redirect, log) with the row the service wrote."""
    obj.pk = saved.pk
    obj._state.adding = False


class ServiceAdmin(admin.ModelAdmin):
    """M2M fields are passed to the services, never saved by the admin behind their back."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as refused:
            # A rule only the service checks (the admin's form passed): its transaction is
            # undone, so nothing was saved; say why instead of a 500.
            for message in refused.messages:
                self.message_user(request, message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def save_related(self, request, form, formsets, change):
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


def _status_action(action: str, label):
    @admin.action(description=label, permissions=["change"])
    def run(modeladmin, request, queryset):
        for borrower in queryset:
            try:
                services.change_borrower_status(actor=request.user, borrower=borrower, action=action)
            except (ValidationError, PermissionDenied) as exc:
                modeladmin.message_user(request, f"{borrower}: {' '.join(exc.messages)}", messages.ERROR)

    run.__name__ = f"{action}_borrowers"
    return run


class HouseholdMemberInline(admin.TabularInline):
    model = models.HouseholdMember
    fields = MEMBER_FIELDS
    readonly_fields = MEMBER_FIELDS
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.display(description=_("file"))
def document_link(document: models.BorrowerDocument) -> str:
    """The stored file through the view that checks who asks (a FileField's own link would point
    at MEDIA_URL, which nothing serves); none for a row not saved (a form sent back with more rows
    than the page offered)."""
    if document.pk is None:
        return ""
    return format_html('<a href="{}">{}</a>', document.get_absolute_url(), document.original_name)


class BorrowerDocumentInline(admin.TabularInline):
    model = models.BorrowerDocument
    fields = ("document_type", "title", "issued_on", document_link, "uploaded_by")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(models.Borrower)
class BorrowerAdmin(ServiceAdmin):
    list_display = ("name", "type", "registration_number", "province", "district", "status")
    list_filter = ("type", "status", "province", "sector")
    search_fields = ("name", "registration_number", "tax_code", "representative", "phone")
    fields = (*BORROWER_FIELDS, "status")
    readonly_fields = ("status",)
    inlines = [HouseholdMemberInline, BorrowerDocumentInline]
    actions = [
        _status_action("suspend", _("Suspend the selected borrowers")),
        _status_action("reactivate", _("Reactivate the selected borrowers")),
        _status_action("dissolve", _("Mark the selected borrowers dissolved")),
    ]

    def save_model(self, request, obj, form, change):
        fields = _given(form, BORROWER_FIELDS)
        if change:
            _adopt(obj, services.update_borrower(actor=request.user, borrower=obj, fields=fields))
        else:
            _adopt(obj, services.create_borrower(actor=request.user, fields=fields))

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.HouseholdMember)
class HouseholdMemberAdmin(ServiceAdmin):
    list_display = ("head_of_household", "id_number", "borrower", "farmers_union_member", "left_on")
    list_filter = ("farmers_union_member",)
    search_fields = ("head_of_household", "id_number", "borrower__name")
    autocomplete_fields = ("borrower",)
    fields = ("borrower", *MEMBER_FIELDS)

    def get_readonly_fields(self, request, obj=None):
        return ("borrower",) if obj else ()

    def save_model(self, request, obj, form, change):
        fields = _given(form, MEMBER_FIELDS)
        if change:
            _adopt(obj, services.update_household_member(actor=request.user, member=obj, fields=fields))
        else:
            borrower = form.cleaned_data["borrower"]
            _adopt(obj, services.add_household_member(actor=request.user, borrower=borrower, fields=fields))

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.BorrowerDocument)
class BorrowerDocumentAdmin(ServiceAdmin):
    """Documents are records: filed once, never edited here."""

    list_display = ("__str__", "borrower", "document_type", "issued_on", "uploaded_by")
    list_filter = ("document_type",)
    search_fields = ("title", "borrower__name")
    autocomplete_fields = ("borrower",)
    fields = ("borrower", "document_type", "title", "issued_on", "file")

    def get_fields(self, request, obj=None):
        return (*self.fields[:-1], document_link) if obj else self.fields

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj) if obj else ()

    def save_model(self, request, obj, form, change):
        if change:
            return
        _adopt(obj, services.add_borrower_document(actor=request.user, **_given(form, self.fields)))

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.DocumentType)
class DocumentTypeAdmin(ServiceAdmin):
    list_display = ("code", "name_vi", "name_en", "active", "position")
    list_filter = ("active",)
    search_fields = ("code", "name_vi", "name_en")
    fields = DOCUMENT_TYPE_FIELDS

    def save_model(self, request, obj, form, change):
        fields = _given(form, DOCUMENT_TYPE_FIELDS)
        saved = services.save_document_type(
            actor=request.user, document_type=obj if change else None, fields=fields
        )
        _adopt(obj, saved)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.LoanProduct)
class LoanProductAdmin(ServiceAdmin):
    list_display = ("code", "version", "name", "annual_rate", "status", "frozen_at")
    list_filter = ("status",)
    search_fields = ("code", "name")
    fields = ("version", "status", "frozen_at", *PRODUCT_FIELDS, "required_documents")
    readonly_fields = ("version", "status", "frozen_at")
    filter_horizontal = ("required_documents",)

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status == models.LoanProduct.Status.SUPERSEDED:
            return self.fields  # a replaced version is history
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        fields = _given(form, PRODUCT_FIELDS)
        documents = form.cleaned_data.get("required_documents", [])
        if not change:
            _adopt(
                obj, services.create_product(actor=request.user, fields=fields, required_documents=documents)
            )
            return
        saved = services.update_product(
            actor=request.user, product=obj, fields=fields, required_documents=documents
        )
        if saved.pk != obj.pk:
            self.message_user(
                request,
                _("Loans use version %(old)s, so the changes were saved as version %(new)s.")
                % {"old": obj.version, "new": saved.version},
                messages.WARNING,
            )

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.Fund)
class FundAdmin(ServiceAdmin):
    list_display = ("name", "legal_form", "province", "business_date")
    fields = (*FUND_FIELDS, "business_date", "lending_accounts")
    filter_horizontal = ("lending_accounts",)

    def get_readonly_fields(self, request, obj=None):
        # Close of day moves the business date; here it is set only once, at set-up.
        return ("business_date",) if obj else ()

    def save_model(self, request, obj, form, change):
        fields = _given(form, FUND_FIELDS)
        accounts = form.cleaned_data["lending_accounts"]
        if change:
            _adopt(obj, services.update_fund(actor=request.user, fields=fields, lending_accounts=accounts))
        else:
            business_date = form.cleaned_data["business_date"]
            fund = services.set_up_fund(
                actor=request.user, fields=fields, business_date=business_date, lending_accounts=accounts
            )
            _adopt(obj, fund)

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not models.Fund.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.AuthorityLevel)
class AuthorityLevelAdmin(ServiceAdmin):
    list_display = ("name", "max_amount")
    fields = ("name", "max_amount", "holders")
    filter_horizontal = ("holders",)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        given = {"name": data["name"], "max_amount": data["max_amount"], "holders": data["holders"]}
        if change:
            _adopt(obj, services.update_authority_level(actor=request.user, level=obj, **given))
        else:
            _adopt(obj, services.create_authority_level(actor=request.user, **given))


@admin.register(models.CapitalSource)
class CapitalSourceAdmin(ServiceAdmin):
    list_display = ("name", "kind", "account")
    list_filter = ("kind",)
    fields = ("kind", "name", "account", "notes")

    def save_model(self, request, obj, form, change):
        _adopt(obj, services.create_capital_source(actor=request.user, **_given(form, self.fields)))

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.CapitalReceipt)
class CapitalReceiptAdmin(ReadOnly, admin.ModelAdmin):
    """Receipts are posted from the Fund page (they make journal entries); here they are read."""

    list_display = ("value_date", "source", "amount", "account", "journal_entry", "created_by")
    list_filter = ("source",)


@admin.register(models.User)
class UserAdmin(DjangoUserAdmin):
    """Django's user admin, plus the borrower a co-op user acts for."""

    fieldsets = (*DjangoUserAdmin.fieldsets, (_("Co-op user"), {"fields": ("borrower",)}))
    list_display = (*DjangoUserAdmin.list_display, "borrower")
    autocomplete_fields = ("borrower",)


@admin.register(models.ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are made by their users (API tokens page); an administrator sees and revokes them."""

    list_display = ["name", "user", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "user__username", "prefix"]
    readonly_fields = ["user", "name", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset):
        for token in queryset:
            try:
                revoke_token(actor=request.user, token=token)
            except PermissionDenied as exc:
                self.message_user(request, f"{token}: {exc}", messages.ERROR)
