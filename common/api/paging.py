"""Pages and throttling of the API, named in REST_FRAMEWORK (so importing no view: DRF loads them
while it loads its views)."""

from rest_framework import pagination, throttling
from rest_framework.settings import api_settings


class Pages(pagination.LimitOffsetPagination):
    default_limit = 50
    max_limit = 500


class PerUser(throttling.UserRateThrottle):
    """Requests per user (per address before logging in), at the rate of the settings as they
    are now (DRF reads them once, at import)."""

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]
