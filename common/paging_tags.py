"""The links of a page of a list (`templates/common/_pages.html`): the request's query with one
parameter changed, so the filters and the pages of the screen's other lists are kept. Loaded as
`{% load paging %}` (settings.TEMPLATES' libraries: `common` is not an app)."""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def page_query(context, name: str, value=None) -> str:
    """`?…` with `name` set to `value` (left out when None: the first page)."""
    query = context["request"].GET.copy()
    query.pop(name, None)
    if value is not None:
        query[name] = value
    return f"?{query.urlencode()}"
