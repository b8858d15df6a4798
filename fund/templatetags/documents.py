"""The end of a printed page the fund signs: `{% signature_block "report" %}` draws the date
line and the signers of that kind of document (`common.documents`), as the .xlsx has them."""

from django import template

from common.documents import signatures

register = template.Library()


@register.inclusion_tag("common/_signatures.html")
def signature_block(kind: str) -> dict:
    return {"block": signatures(kind)}
