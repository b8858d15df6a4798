"""The default chart of accounts of a cooperative development fund (Circular 200/2014/TT-BTC codes).

Only leaves are postable. 2293 is a contra-asset (credit balance). Off-balance accounts are
posted double-entry against 009, so every entry balances, on and off the balance sheet.
"""

from django.db import migrations

from common.migration_rows import delete_rows

A, L, E, I, X, O = "asset", "liability", "equity", "income", "expense", "off_balance"

# code, parent code, type, Vietnamese name, English name
CHART = [
    ("111", None, A, "Tiền mặt", "Cash"),
    ("1111", "111", A, "Tiền Việt Nam", "Cash in VND"),
    ("112", None, A, "Tiền gửi ngân hàng", "Bank deposits"),
    ("1121", "112", A, "Tiền gửi VND", "VND deposits"),
    ("11211", "1121", A, "Tiền gửi tại Kho bạc Nhà nước", "State Treasury"),
    ("11212", "1121", A, "Tiền gửi tại Agribank", "Agribank"),
    ("11213", "1121", A, "Tiền gửi tại BIDV", "BIDV"),
    ("128", None, A, "Đầu tư nắm giữ đến ngày đáo hạn", "Held-to-maturity investments"),
    ("1283", "128", A, "Cho vay", "Loans"),
    ("12831", "1283", A, "Cho vay ngắn hạn", "Short-term loans"),
    ("128311", "12831", A, "Cho vay ngắn hạn trong hạn", "Short-term loans, in term"),
    ("128312", "12831", A, "Cho vay ngắn hạn quá hạn", "Short-term loans, overdue"),
    ("12832", "1283", A, "Cho vay trung hạn", "Medium-term loans"),
    ("128321", "12832", A, "Cho vay trung hạn trong hạn", "Medium-term loans, in term"),
    ("128322", "12832", A, "Cho vay trung hạn quá hạn", "Medium-term loans, overdue"),
    ("12833", "1283", A, "Cho vay dài hạn", "Long-term loans"),
    ("128331", "12833", A, "Cho vay dài hạn trong hạn", "Long-term loans, in term"),
    ("128332", "12833", A, "Cho vay dài hạn quá hạn", "Long-term loans, overdue"),
    ("138", None, A, "Phải thu khác", "Other receivables"),
    ("1388", "138", A, "Phải thu khác", "Other receivables"),
    ("13881", "1388", A, "Lãi cho vay phải thu", "Loan interest receivable"),
    ("13882", "1388", A, "Lãi chậm trả phải thu", "Late interest receivable"),
    ("13888", "1388", A, "Phải thu khác", "Other receivables"),
    ("229", None, A, "Dự phòng tổn thất tài sản", "Provisions"),
    ("2293", "229", A, "Dự phòng rủi ro cho vay", "Loan-loss provision"),
    ("22931", "2293", A, "Dự phòng cụ thể", "Specific provision"),
    ("22932", "2293", A, "Dự phòng chung", "General provision"),
    ("338", None, L, "Phải trả, phải nộp khác", "Other payables"),
    ("3388", "338", L, "Phải trả khác", "Other payables"),
    ("33881", "3388", L, "Vốn nhận ủy thác cho vay", "Funds received in trust for lending"),
    ("33888", "3388", L, "Phải trả khác", "Other payables"),
    ("411", None, E, "Vốn đầu tư của chủ sở hữu", "Owner's capital"),
    ("4111", "411", E, "Vốn điều lệ", "Charter capital"),
    ("41111", "4111", E, "Vốn ngân sách nhà nước cấp", "Charter capital from the state budget"),
    ("41112", "4111", E, "Vốn bổ sung từ kết quả hoạt động", "Charter capital added from results"),
    ("4118", "411", E, "Vốn khác", "Other capital (donations, aid)"),
    ("421", None, E, "Lợi nhuận sau thuế chưa phân phối", "Retained earnings"),
    ("515", None, I, "Doanh thu hoạt động tài chính", "Financial income"),
    ("5151", "515", I, "Lãi cho vay", "Loan interest"),
    ("5152", "515", I, "Lãi chậm trả", "Late interest"),
    ("5158", "515", I, "Doanh thu hoạt động tài chính khác", "Other financial income"),
    ("642", None, X, "Chi phí quản lý", "Management expenses"),
    ("6426", "642", X, "Chi phí dự phòng", "Provision expense"),
    ("6428", "642", X, "Chi phí quản lý khác", "Other management expenses"),
    ("711", None, I, "Thu nhập khác", "Other income"),
    ("7111", "711", I, "Thu hồi nợ đã xử lý", "Recoveries of written-off debt"),
    ("7118", "711", I, "Thu nhập khác", "Other income"),
    ("004", None, O, "Nợ khó đòi đã xử lý", "Written-off debt"),
    ("0041", "004", O, "Nợ gốc đã xử lý", "Written-off principal"),
    ("0042", "004", O, "Nợ lãi đã xử lý", "Written-off interest"),
    ("009", None, O, "Đối ứng ngoài bảng", "Off-balance contra"),
]


def load_chart(apps, schema_editor):
    Account = apps.get_model("ledger", "Account")
    by_code = {}
    for code, parent, kind, name_vi, name_en in CHART:
        by_code[code] = Account.objects.create(
            code=code, parent=by_code.get(parent), type=kind, name_vi=name_vi, name_en=name_en
        )


def remove_chart(apps, schema_editor):
    # Children before parents: parent is a protected foreign key.
    for code, *_rest in reversed(CHART):
        delete_rows(apps, schema_editor, "ledger.Account", "code", [code])


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]

    operations = [migrations.RunPython(load_chart, remove_chart)]
