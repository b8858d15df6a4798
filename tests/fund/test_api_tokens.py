"""The API tokens page: a user makes a token (its key shown once) and revokes its own."""

from django.urls import reverse

from fund.models import ApiToken
from fund.models.tokens import key_hash
from tests.factories import UserFactory


def test_a_user_makes_a_token_sees_its_key_once_and_revokes_it(client, db):
    user = UserFactory()
    client.force_login(user)
    made = client.post(reverse("fund:api_tokens"), {"name": "Hệ thống ngân hàng", "days": 30})
    assert made.status_code == 200 and made["Cache-Control"] == "no-store"
    token = ApiToken.objects.get(user=user)
    key = made.context["issued"][1]
    assert token.key_hash == key_hash(key) and key in made.content.decode()
    again = client.get(reverse("fund:api_tokens"))
    assert key not in again.content.decode() and token.prefix in again.content.decode()

    client.post(reverse("fund:api_token_revoke", args=[token.pk]))
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None


def test_a_bad_request_is_refused_on_the_form_and_anothers_token_is_not_found(client, db):
    owner, other = UserFactory(), UserFactory()
    client.force_login(owner)
    refused = client.post(reverse("fund:api_tokens"), {"name": "", "days": 1000})
    assert refused.status_code == 400 and set(refused.context["form"].errors) == {"name", "days"}
    assert not ApiToken.objects.exists()
    client.force_login(other)
    client.post(reverse("fund:api_tokens"), {"name": "x", "days": 1})
    client.force_login(owner)
    theirs = ApiToken.objects.get(user=other)
    assert client.post(reverse("fund:api_token_revoke", args=[theirs.pk])).status_code == 404
    assert ApiToken.objects.get(pk=theirs.pk).revoked_at is None
