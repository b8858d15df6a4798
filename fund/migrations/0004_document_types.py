"""The kinds of document a fund usually files for a borrower or requires in a loan dossier.

Data, not code: the fund edits, adds or retires them in the admin.
"""

from django.db import migrations

# code, Vietnamese name, English name
DOCUMENT_TYPES = [
    ("loan_application", "Giấy đề nghị vay vốn", "Loan application form"),
    ("registration_certificate", "Giấy chứng nhận đăng ký", "Registration certificate"),
    ("establishment_decision", "Quyết định thành lập", "Decision establishing the group"),
    ("charter", "Điều lệ hoặc hợp đồng hợp tác", "Charter or cooperation agreement"),
    ("members_resolution", "Nghị quyết hoặc biên bản họp về việc vay vốn", "Members' resolution to borrow"),
    ("business_plan", "Phương án sản xuất kinh doanh", "Business plan"),
    ("financial_statements", "Báo cáo tài chính", "Financial statements"),
    ("member_list", "Danh sách thành viên", "List of members"),
    ("representative_id", "Giấy tờ tùy thân của người đại diện", "Representative's identity document"),
    ("collateral_documents", "Hồ sơ tài sản bảo đảm", "Collateral documents"),
    ("farmers_union_confirmation", "Xác nhận của Hội Nông dân", "Farmers' Union confirmation"),
    ("household_requests", "Danh sách hộ đề nghị vay vốn", "Households' loan requests"),
    ("other", "Tài liệu khác", "Other document"),
]


def add_document_types(apps, schema_editor):
    DocumentType = apps.get_model("fund", "DocumentType")
    for position, (code, name_vi, name_en) in enumerate(DOCUMENT_TYPES, start=1):
        DocumentType.objects.get_or_create(
            code=code, defaults={"name_vi": name_vi, "name_en": name_en, "position": position * 10}
        )


def remove_document_types(apps, schema_editor):
    apps.get_model("fund", "DocumentType").objects.filter(code__in=[row[0] for row in DOCUMENT_TYPES]).delete()


class Migration(migrations.Migration):
    dependencies = [("fund", "0003_borrowers_products_fund")]

    operations = [migrations.RunPython(add_document_types, remove_document_types)]
