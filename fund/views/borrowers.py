"""Borrower pages: list, detail, forms, households, documents and the .xlsx import.

Every borrower is looked up through `visible_borrowers`: a co-op user asking for another
borrower gets a 404, exactly as for one that does not exist.
"""

from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from common.files import document_response
from common.paging import keyset, numbered
from common.views import bound_filters, run_action, start_import_job
from common.xlsx import xlsx_response
from fund import imports, selectors, services
from fund.forms import (
    BorrowerFilterForm,
    BorrowerForm,
    BorrowerStatusForm,
    DocumentForm,
    HouseholdMemberForm,
    ImportForm,
)
from fund.models import HouseholdMember
from fund.views.common import form_page


def _borrower(request, pk):
    return get_object_or_404(selectors.visible_borrowers(request.user), pk=pk)


def _detail_url(pk) -> str:
    return reverse("fund:borrower_detail", args=[pk])


@login_required
@permission_required("fund.view_borrower", raise_exception=True)
def borrower_list(request):
    filters, chosen = bound_filters(
        request, BorrowerFilterForm, provinces=selectors.provinces(user=request.user)
    )
    borrowers = selectors.borrower_list(
        user=request.user,
        search=chosen.get("q", ""),
        type=chosen.get("type", ""),
        province=chosen.get("province", ""),
        status=chosen.get("status", ""),
    )
    # Keyset pages by name: the last of 100 000 borrowers costs what the first does.
    page = keyset(request, borrowers, selectors.BORROWER_ORDER)
    return render(request, "fund/borrower_list.html", {"filters": filters, "page": page})


@login_required
@permission_required("fund.view_borrower", raise_exception=True)
def borrower_detail(request, pk):
    borrower = _borrower(request, pk)
    user = request.user
    members = borrower.members.all() if user.has_perm("fund.view_householdmember") else []
    documents = selectors.documents_for(user=user).filter(borrower=borrower)
    return render(
        request,
        "fund/borrower_detail.html",
        {
            "borrower": borrower,
            "members": members,
            "documents": documents,
            # Through the reverse relation: the fund app does not import the loans app.
            "loans": numbered(request, borrower.loans.select_related("product").order_by("-pk")),
            "status_actions": _possible_status_actions(borrower),
        },
    )


def _possible_status_actions(borrower) -> list[tuple[str, str]]:
    possible = {t.name for t in borrower.get_available_status_transitions()}
    actions = BorrowerStatusForm.base_fields["action"].choices
    return [(name, label) for name, label in actions if name in possible]


@login_required
@permission_required("fund.add_borrower", raise_exception=True)
def borrower_create(request):
    form = BorrowerForm(request.POST or None)
    return form_page(
        request,
        form=form,
        save=lambda: services.create_borrower(actor=request.user, fields=form.service_fields()),
        done=lambda borrower: (
            _("Borrower %(name)s registered.") % {"name": borrower.name},
            _detail_url(borrower.pk),
        ),
        title=_("New borrower"),
        back_url=reverse("fund:borrower_list"),
        submit=_("Register"),
    )


@login_required
@permission_required("fund.change_borrower", raise_exception=True)
def borrower_edit(request, pk):
    borrower = _borrower(request, pk)
    form = BorrowerForm(request.POST or None, instance=borrower)
    return form_page(
        request,
        form=form,
        save=lambda: services.update_borrower(
            actor=request.user, borrower=borrower, fields=form.service_fields()
        ),
        done=lambda saved: (_("Borrower %(name)s saved.") % {"name": saved.name}, _detail_url(saved.pk)),
        title=_("Edit %(name)s") % {"name": borrower.name},
        back_url=_detail_url(borrower.pk),
        submit=_("Save"),
    )


@login_required
@require_POST
@permission_required("fund.change_borrower", raise_exception=True)
def borrower_status(request, pk):
    borrower = _borrower(request, pk)
    form = BorrowerStatusForm(request.POST)
    if form.is_valid() and run_action(
        request,
        lambda: services.change_borrower_status(
            actor=request.user, borrower=borrower, action=form.cleaned_data["action"]
        ),
    ):
        messages.success(request, _("Status changed."))
    return redirect("fund:borrower_detail", pk=borrower.pk)


@login_required
@permission_required("fund.add_householdmember", raise_exception=True)
def member_create(request, pk):
    borrower = _borrower(request, pk)
    if not borrower.is_household_group:
        raise Http404
    return _member_page(
        request,
        None,
        borrower.pk,
        partial(services.add_household_member, borrower=borrower),
        done=_("Household %(name)s added."),
        title=_("New household in %(group)s") % {"group": borrower.name},
        submit=_("Add"),
    )


@login_required
@permission_required("fund.change_householdmember", raise_exception=True)
def member_edit(request, pk):
    member = get_object_or_404(
        HouseholdMember.objects.filter(borrower__in=selectors.visible_borrowers(request.user)), pk=pk
    )
    return _member_page(
        request,
        member,
        member.borrower_id,
        partial(services.update_household_member, member=member),
        done=_("Household %(name)s saved."),
        title=_("Edit household %(name)s") % {"name": member.head_of_household},
        submit=_("Save"),
    )


def _member_page(request, member, borrower_id, save, *, done: str, title: str, submit: str):
    """The household form: `save(actor=, fields=)` saves it; `done` names the household saved."""
    form = HouseholdMemberForm(request.POST or None, instance=member)
    return form_page(
        request,
        form=form,
        save=lambda: save(actor=request.user, fields=form.service_fields()),
        done=lambda saved: (done % {"name": saved.head_of_household}, _detail_url(borrower_id)),
        title=title,
        back_url=_detail_url(borrower_id),
        submit=submit,
    )


@login_required
@permission_required("fund.add_borrowerdocument", raise_exception=True)
def document_upload(request, pk):
    borrower = _borrower(request, pk)
    form = DocumentForm(request.POST or None, request.FILES or None)
    return form_page(
        request,
        form=form,
        save=lambda: services.add_borrower_document(
            actor=request.user, borrower=borrower, **form.cleaned_data
        ),
        done=lambda document: (
            _("Document %(title)s filed.") % {"title": document},
            _detail_url(borrower.pk),
        ),
        title=_("New document for %(name)s") % {"name": borrower.name},
        back_url=_detail_url(borrower.pk),
        submit=_("Upload"),
        multipart=True,
    )


# Files are served here, never from MEDIA_URL, so that the borrower scoping applies to them.
# No login redirect: anyone who may not have the file, signed in or not, gets the same 404.
def document_download(request, pk):
    return document_response(selectors.documents_for(user=request.user), pk=pk)


@login_required
@permission_required("fund.add_borrower", raise_exception=True)
def borrower_import(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    kind = form.cleaned_data["kind"] if form.is_bound and form.is_valid() else imports.BORROWERS
    started = start_import_job(
        request,
        form,
        permission=imports.PERMISSIONS[kind],
        kind=kind,
        title=str(dict(form.fields["kind"].choices)[kind]),
        task="fund.import_borrowers",
    )
    if started is not None:
        return started
    status = 400 if form.errors else 200
    return render(request, "fund/borrower_import.html", {"form": form}, status=status)


@login_required
@permission_required("fund.view_fund", raise_exception=True)  # every staff role: accountants too
def borrower_import_template(request):
    kind = request.GET.get("kind", imports.BORROWERS)
    if kind not in (imports.BORROWERS, imports.HOUSEHOLDS):
        raise Http404
    return xlsx_response(imports.template_bytes(kind), f"coopfund-{kind}.xlsx")
