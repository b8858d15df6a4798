"""Borrowers (with their households) and loan products, read through the pages' selectors: a
co-op user finds only its own borrower (404 for any other)."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from common.api.errors import ErrorSerializer
from common.api.paging import PAGE_PARAMETERS, paged
from common.api.views import ApiView, needs
from fund import selectors, services
from fund.api.authentication import PersonLoggedIn
from fund.api.serializers import (
    BorrowerDetailSerializer,
    BorrowerFilter,
    BorrowerSerializer,
    HouseholdIn,
    HouseholdSerializer,
    ProductSerializer,
)
from fund.models import Borrower, HouseholdMember

ERRORS = dict.fromkeys((400, 401, 403, 404, 429), ErrorSerializer)


def query(filter_class, request) -> dict:
    """The query string read by `filter_class`: a value it cannot read is a 400, field by field."""
    filters = filter_class(data=request.query_params)
    filters.is_valid(raise_exception=True)
    return filters.validated_data


class BorrowerList(ApiView):
    permission_classes = [needs("fund.view_borrower")]

    @extend_schema(
        operation_id="borrowers_list",
        parameters=[BorrowerFilter, *PAGE_PARAMETERS],
        responses={200: paged(BorrowerSerializer), **ERRORS},
    )
    def get(self, request):
        chosen = query(BorrowerFilter, request)
        return self.paginate(selectors.borrower_list(user=request.user, **chosen), BorrowerSerializer)


class BorrowerDetail(ApiView):
    permission_classes = [needs("fund.view_borrower")]

    @extend_schema(responses={200: BorrowerDetailSerializer, **ERRORS})
    def get(self, request, pk: int):
        borrower = get_object_or_404(selectors.visible_borrowers(request.user), pk=pk)
        return Response(BorrowerDetailSerializer(borrower, context={"request": request}).data)


def household_fields(request, *, partial: bool) -> dict:
    """The household sent, read as the household form reads it: a 400 field by field."""
    given = HouseholdIn(data=request.data, partial=partial)
    given.is_valid(raise_exception=True)
    return given.validated_data


class BorrowerHouseholds(ApiView):
    permission_classes = [PersonLoggedIn, needs("fund.add_householdmember")]

    @extend_schema(request=HouseholdIn, responses={201: HouseholdSerializer, **ERRORS})
    def post(self, request, pk: int):
        """Add a household to a household group, as the household page does (a person logged in)."""
        group = get_object_or_404(
            selectors.visible_borrowers(request.user), pk=pk, type=Borrower.Type.HOUSEHOLD_GROUP
        )
        fields = household_fields(request, partial=False)
        member = services.add_household_member(actor=request.user, borrower=group, fields=fields)
        return Response(HouseholdSerializer(member).data, status=201)


class Household(ApiView):
    permission_classes = [PersonLoggedIn, needs("fund.change_householdmember")]

    @extend_schema(request=HouseholdIn, responses={200: HouseholdSerializer, **ERRORS})
    def patch(self, request, pk: int):
        """Change what is sent of a household (a person logged in)."""
        visible = HouseholdMember.objects.filter(borrower__in=selectors.visible_borrowers(request.user))
        member = get_object_or_404(visible, pk=pk)
        fields = household_fields(request, partial=True)
        member = services.update_household_member(actor=request.user, member=member, fields=fields)
        return Response(HouseholdSerializer(member).data)


class ProductList(ApiView):
    permission_classes = [needs("fund.view_loanproduct")]

    @extend_schema(
        operation_id="products_list",
        parameters=PAGE_PARAMETERS,
        responses={200: paged(ProductSerializer), **ERRORS},
    )
    def get(self, request):
        return self.paginate(selectors.product_list().order_by("code", "-version"), ProductSerializer)


class ProductDetail(ApiView):
    permission_classes = [needs("fund.view_loanproduct")]

    @extend_schema(responses={200: ProductSerializer, **ERRORS})
    def get(self, request, pk: int):
        return Response(ProductSerializer(get_object_or_404(selectors.product_list(), pk=pk)).data)
