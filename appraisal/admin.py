"""The fund's appraisal rules and scoring criteria are data, edited here.

Appraisals themselves change only through the services (the appraisal pages), never here.
"""

from django.contrib import admin

from appraisal.models import AppraisalRules, ScoringCriterion


@admin.register(ScoringCriterion)
class ScoringCriterionAdmin(admin.ModelAdmin):
    list_display = ["code", "name_vi", "name_en", "weight", "position", "active"]
    list_editable = ["weight", "position", "active"]
    list_filter = ["active"]
    search_fields = ["code", "name_vi", "name_en"]

    def has_delete_permission(self, request, obj=None):
        return False  # ratings keep pointing at it; deactivate instead


@admin.register(AppraisalRules)
class AppraisalRulesAdmin(admin.ModelAdmin):
    list_display = ["__str__", "statement_years", "rating_scale", "min_debt_service_coverage"]

    def has_add_permission(self, request):
        return not AppraisalRules.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False
