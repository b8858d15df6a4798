from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """Anyone who logs in: the fund's staff, or a user acting for one co-op.

    What a user may do comes from its roles (Django groups, see `fund.roles`). A co-op user
    is linked to its one borrower and sees nothing of any other (see `fund.selectors`).
    """

    borrower = models.ForeignKey(
        "fund.Borrower",
        verbose_name=_("borrower"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
        help_text=_("For a co-op user: the borrower this user acts for."),
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"

    def clean(self) -> None:
        super().clean()
        if self.borrower_id and (self.is_staff or self.is_superuser):
            raise ValidationError({"borrower": _("A staff account cannot act for a borrower.")})
