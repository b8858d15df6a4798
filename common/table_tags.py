"""`{% tablesection %}`: a page's section that is a heading and one table, the frame written once
(`templates/common/_table_section.html`). Loaded as `{% load tables %}` (settings.TEMPLATES'
libraries: `common` is not an app).

    {% tablesection _("Documents") id="documents" class="striped" %}
      <div class="toolbar">…</div>          (optional: what stands between heading and table)
    {% table %}
      <thead>…</thead><tbody>…</tbody>
    {% endtablesection %}

Without `{% table %}` all of the body is the table's.
"""

from django import template
from django.template.loader import render_to_string

register = template.Library()


class TableSectionNode(template.Node):
    def __init__(self, title, options: dict, before, table):
        self.title, self.options, self.before, self.table = title, options, before, table

    def render(self, context) -> str:
        frame = {name: value.resolve(context) for name, value in self.options.items()}
        frame.update(
            title=self.title.resolve(context),
            before=self.before.render(context) if self.before else "",
            table=self.table.render(context),
        )
        return render_to_string("common/_table_section.html", frame)


@register.tag
def tablesection(parser, token):
    """`{% tablesection title [id=…] [class=…] %}`: `class` is the table's."""
    title, *rest = token.split_contents()[1:] or [None]
    if title is None or any("=" not in bit for bit in rest):
        raise template.TemplateSyntaxError("{% tablesection title [id=…] [class=…] %}")
    options = {}
    for bit in rest:
        name, value = bit.split("=", 1)
        if name not in ("id", "class"):
            raise template.TemplateSyntaxError(f"tablesection takes id and class, not {name}")
        options[f"section_{name}" if name == "id" else "table_class"] = parser.compile_filter(value)
    before = None
    table = parser.parse(("table", "endtablesection"))
    if parser.next_token().contents == "table":
        before, table = table, parser.parse(("endtablesection",))
        parser.delete_first_token()
    return TableSectionNode(parser.compile_filter(title), options, before, table)
