"""`{{ user|person }}`: a user by full name, else login name (common.names.person_name)."""

from django import template

from common.names import person_name

register = template.Library()


@register.filter
def person(user) -> str:
    return person_name(user)
