"""`{% tablesection %}`: a heading and one table in the section frame, the escaping kept."""

import pytest
from django.template import Context, Template, TemplateSyntaxError


def render(source: str, **context) -> str:
    return " ".join(Template("{% load tables %}" + source).render(Context(context)).split())


def test_the_body_is_the_table_s_and_the_title_is_escaped():
    html = render(
        '{% tablesection title id="repayments" class="striped" %}<tbody><tr><td>{{ cell }}</td></tr></tbody>'
        "{% endtablesection %}",
        title="Trả nợ <gốc>",
        cell="<b>1</b>",
    )
    assert html == (
        '<section id="repayments"> <h2>Trả nợ &lt;gốc&gt;</h2> <div class="table-wrap"> '
        '<table class="striped"> <tbody><tr><td>&lt;b&gt;1&lt;/b&gt;</td></tr></tbody> '
        "</table> </div> </section>"
    )


def test_what_comes_before_table_stands_between_the_heading_and_the_table():
    html = render(
        '{% tablesection "Documents" %}<div class="toolbar">+</div>'
        "{% table %}<tbody></tbody>{% endtablesection %}"
    )
    assert html == (
        '<section> <h2>Documents</h2> <div class="toolbar">+</div> <div class="table-wrap"> <table> '
        "<tbody></tbody> </table> </div> </section>"
    )


@pytest.mark.parametrize(
    "tag", ["{% tablesection %}", '{% tablesection "T" "x" %}', '{% tablesection "T" style="x" %}']
)
def test_a_malformed_tag_is_refused_when_the_template_is_read(tag):
    with pytest.raises(TemplateSyntaxError):
        Template("{% load tables %}" + tag + "{% endtablesection %}")
