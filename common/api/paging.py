"""Pages and throttling of the API, named in REST_FRAMEWORK (so importing no view: DRF loads them
while it loads its views)."""

import functools

from drf_spectacular.utils import OpenApiParameter
from rest_framework import pagination, serializers, throttling
from rest_framework.settings import api_settings


class Pages(pagination.LimitOffsetPagination):
    default_limit = 50
    max_limit = 500


PAGE_PARAMETERS = [
    OpenApiParameter("limit", int, description=f"Rows per page, at most {Pages.max_limit}."),
    OpenApiParameter("offset", int, description="Rows skipped."),
]


class PerUser(throttling.UserRateThrottle):
    """Requests per user (per address before logging in), at the rate of the settings as they
    are now (DRF reads them once, at import)."""

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]


@functools.cache
def paged(serializer_class: type[serializers.Serializer]) -> type[serializers.Serializer]:
    """The schema of one page of `serializer_class` rows, as `Pages` answers it (API views are
    not generic list views, so drf-spectacular cannot tell they are paged)."""
    name = serializer_class.__name__.removesuffix("Serializer")
    return type(
        f"Paginated{name}List",
        (serializers.Serializer,),
        {
            "count": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": serializer_class(many=True),
        },
    )
