"""The audit trail's menu item (see `fund.navigation`)."""

from django.utils.translation import gettext_lazy as _

from common.navigation import NavItem

NAV_ITEMS = [NavItem(_("Audit trail"), "audit:trail", "auditlog.view_logentry", _("Settings and capital"))]
