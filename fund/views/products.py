"""Loan product pages: list, detail with its versions, and the forms."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from common.views import run_action, submit_form
from fund import selectors, services
from fund.forms import LoanProductForm
from fund.models import LoanProduct


@login_required
@permission_required("fund.view_loanproduct", raise_exception=True)
def product_list(request):
    show_all = request.GET.get("versions") == "all"
    products = selectors.product_list(include_superseded=show_all)
    return render(
        request,
        "fund/product_list.html",
        {"title": _("Loan products"), "products": products, "show_all": show_all},
    )


@login_required
@permission_required("fund.view_loanproduct", raise_exception=True)
def product_detail(request, pk):
    product = get_object_or_404(LoanProduct.objects.prefetch_related("required_documents"), pk=pk)
    return render(
        request,
        "fund/product_detail.html",
        {
            "product": product,
            "versions": selectors.product_versions(code=product.code),
            "bands": [
                (group, first, last, product.provision_rates[group])
                for group, first, last in product.debt_group_bands
            ],
            "accounts": [
                (product._meta.get_field(name).verbose_name, account)
                for name, account in product.accounts().items()
            ],
        },
    )


@login_required
@permission_required("fund.add_loanproduct", raise_exception=True)
def product_create(request):
    return _product_page(request, None)


@login_required
@permission_required("fund.change_loanproduct", raise_exception=True)
def product_edit(request, pk):
    return _product_page(request, get_object_or_404(LoanProduct, pk=pk))


def _product_page(request, product):
    """A new product, or a change to one: a change to a product in use saves a new version."""
    form = LoanProductForm(request.POST or None, instance=product)
    kwargs = {} if product is None else {"product": product}
    save = services.create_product if product is None else services.update_product
    return submit_form(
        request,
        form,
        lambda: save(
            actor=request.user,
            fields=form.service_fields(),
            required_documents=form.cleaned_data["required_documents"],
            **kwargs,
        ),
        lambda saved: (_saved_message(product, saved), reverse("fund:product_detail", args=[saved.pk])),
    ) or render(request, "fund/product_form.html", {"form": form, "product": product})


def _saved_message(product, saved) -> str:
    if product is None:
        return _("Product %(product)s created.") % {"product": saved}
    if saved.pk != product.pk:
        return _("Saved as version %(version)s; loans made under version %(old)s keep their terms.") % {
            "version": saved.version,
            "old": product.version,
        }
    return _("Product %(product)s saved.") % {"product": saved}


@login_required
@require_POST
@permission_required("fund.change_loanproduct", raise_exception=True)
def product_status(request, pk):
    product = get_object_or_404(LoanProduct, pk=pk)
    change = {"retire": services.retire_product, "reinstate": services.reinstate_product}.get(
        request.POST.get("action")
    )
    if change is not None and run_action(request, lambda: change(actor=request.user, product=product)):
        messages.success(request, _("Status changed."))
    return redirect("fund:product_detail", pk=product.pk)
