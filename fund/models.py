from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """Anyone who logs in: the fund's staff, or a user acting for one co-op.

    What a user may do comes from its roles (Django groups, see `fund.roles`).
    """

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
