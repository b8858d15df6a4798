"""The audit trail's actor and address for each request."""

from auditlog.middleware import AuditlogMiddleware
from axes.helpers import get_client_ip_address


class AuditMiddleware(AuditlogMiddleware):
    """auditlog's middleware, taking the client's address where the login lockout takes it
    (`REMOTE_ADDR`, or nginx's `X-Real-IP` behind the proxy): a header a client sends itself,
    such as `X-Forwarded-For`, must not write the address on record."""

    @staticmethod
    def _get_remote_addr(request):
        return get_client_ip_address(request)

    @staticmethod
    def _get_remote_port(request):
        return None
