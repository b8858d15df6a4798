from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from common.fields import one_of
from common.names import BilingualName


class AccountType(models.TextChoices):
    ASSET = "asset", _("Asset")
    LIABILITY = "liability", _("Liability")
    EQUITY = "equity", _("Equity")
    INCOME = "income", _("Income")
    EXPENSE = "expense", _("Expense")
    OFF_BALANCE = "off_balance", _("Off-balance")


class Account(BilingualName):
    """An account of the chart (Circular 200/2014/TT-BTC codes).

    Other apps refer to accounts by `code`. Only a leaf (an account without children) is
    postable; that is derived from the tree, never stored, so it cannot disagree with it.
    A sub-account's code extends its parent's (1121 under 112), as the Circular numbers them.
    """

    code = models.CharField(
        _("code"),
        max_length=16,
        unique=True,
        validators=[RegexValidator(r"^[0-9]+$", _("An account code is made of digits only."))],
    )
    type = models.CharField(_("type"), max_length=16, choices=AccountType.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent account"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        ordering = ["code"]
        constraints = [
            one_of("ledger_account", "type", AccountType.values),
            models.CheckConstraint(
                condition=~models.Q(parent=models.F("pk")), name="ledger_account_not_own_parent"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def is_off_balance(self) -> bool:
        return self.type == AccountType.OFF_BALANCE
