from django.utils.translation import gettext_lazy as _

from common.navigation import NavItem

NAV_ITEMS = [
    NavItem(_("Appraisal queue"), "appraisal:queue", "loans.appraise_loan", _("Applications to appraise")),
    NavItem(
        _("Decisions"), "appraisal:decisions", "loans.decide_loan", _("Appraised applications to decide")
    ),
]
