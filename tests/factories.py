import factory
from django.contrib.auth.models import Group

from fund.models import User

TEST_PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("name", locale="vi_VN")
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def user_holding(*roles: str, **fields) -> User:
    """A new user holding the given roles: `user_holding("accountant")`."""
    user = UserFactory(**fields)
    user.groups.set(Group.objects.filter(name__in=roles))
    return user
