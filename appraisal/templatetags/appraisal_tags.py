"""`{% appraisal_figures appraisal as figures %}`: an appraisal's figures for a template that
only has the appraisal (the loan page includes `appraisal/_summary.html` that way)."""

from django import template

from appraisal import selectors

register = template.Library()


@register.simple_tag
def appraisal_figures(appraisal):
    return selectors.appraisal_figures(appraisal)
