"""The appraisal rules and scoring criteria a fund starts with; the fund edits them in the admin.

Weights add up to 100 so that each reads as a share of the score; the score divides by their
total anyway, so a fund may change one without rebalancing the others.
"""

from decimal import Decimal

from django.db import migrations

# code, weight, Vietnamese name, English name
CRITERIA = [
    ("legal_governance", "10", "Tư cách pháp lý và quản trị", "Legal standing and governance"),
    ("management", "15", "Năng lực quản lý, điều hành", "Management capacity"),
    ("financial_position", "20", "Tình hình tài chính", "Financial position"),
    ("business_plan", "25", "Tính khả thi của phương án sản xuất kinh doanh", "Feasibility of the business plan"),
    ("credit_history", "15", "Lịch sử quan hệ tín dụng", "Credit history"),
    ("collateral", "15", "Tài sản bảo đảm", "Collateral"),
]


def seed(apps, schema_editor):
    AppraisalRules = apps.get_model("appraisal", "AppraisalRules")
    ScoringCriterion = apps.get_model("appraisal", "ScoringCriterion")
    AppraisalRules.objects.get_or_create(singleton=True)
    for position, (code, weight, name_vi, name_en) in enumerate(CRITERIA, start=1):
        ScoringCriterion.objects.get_or_create(
            code=code,
            defaults={
                "weight": Decimal(weight),
                "name_vi": name_vi,
                "name_en": name_en,
                "position": position * 10,
            },
        )


def unseed(apps, schema_editor):
    apps.get_model("appraisal", "ScoringCriterion").objects.filter(code__in=[row[0] for row in CRITERIA]).delete()
    apps.get_model("appraisal", "AppraisalRules").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("appraisal", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
