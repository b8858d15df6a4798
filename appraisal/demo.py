"""The appraisal app's part of the demo: applications being appraised, appraised, approved and
rejected, each taken there through the real services by the demo users.

Runs after the fund's demo (users, fund, products, borrowers). Each demo application is known
by its borrower and purpose: one that exists already is left as it is, so running the demo
again changes nothing here.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from appraisal import services
from appraisal.models import ScoringCriterion
from appraisal.selectors import appraisal_rules
from appraisal.services import (
    ApprovalTerms,
    CashFlowFigures,
    CollateralTerms,
    RatingInput,
    RecommendationInput,
    StatementFigures,
)
from fund.models import Borrower, User
from fund.selectors import business_date
from loans import demo as loans_demo
from loans.demo import M, new_application
from loans.models import Collateral, Loan
from loans.services.origination.applications import submit_application


@dataclass(frozen=True)
class DemoApplication(loans_demo.DemoApplication):
    """One demo application and how far it goes: appraising, appraised, approved or rejected
    (`note`: the approver's conditions, or the reason to reject)."""

    recommend: str = "approve"
    ratings: tuple[int, ...] = (4, 4, 3, 4, 4, 4)
    yearly_net_millions: tuple[int, ...] = ()  # the plan's net cash flow per year
    collateral: tuple = ()  # (type, description, owner, valuation in millions, loan-to-value)


APPLICATIONS = [
    DemoApplication(
        "2900456789",
        "TB-TH",
        800,
        36,
        "Đầu tư chuồng trại và hệ thống xử lý chất thải chăn nuôi lợn (demo).",
        until="appraising",
    ),
    DemoApplication(
        "6000789012",
        "VLD-NH",
        600,
        12,
        "Thu mua cà phê nhân của thành viên vụ 2026 (demo).",
        until="approved",
        yearly_net_millions=(950,),
        collateral=(("building", "Kho chứa cà phê 600 m², thôn 3, xã Ea Tu", "Hợp tác xã", 1_100, "0.6"),),
    ),
    DemoApplication(
        "1000123456",
        "VLD-NH",
        300,
        9,
        "Mua giống lúa và phân bón vụ Đông Xuân cho thành viên (demo).",
        until="approved",
        yearly_net_millions=(420,),
        collateral=(("machinery", "Máy gặt đập liên hợp Kubota DC-70", "Hợp tác xã", 520, "0.7"),),
    ),
    DemoApplication(
        "2900567890",
        "VLD-NH",
        400,
        12,
        "Mua phân bón và thuốc bảo vệ thực vật cung ứng cho thành viên (demo).",
        until="appraised",
        yearly_net_millions=(520,),
        collateral=(("inventory", "Hàng tồn kho vật tư nông nghiệp tại kho HTX", "Hợp tác xã", 650, "0.6"),),
    ),
    DemoApplication(
        "1801234567",
        "TB-TH",
        1_500,
        48,
        "Đầu tư dây chuyền sấy và xay xát lúa gạo công suất 10 tấn/giờ (demo).",
        until="approved",
        ratings=(5, 4, 4, 5, 4, 5),
        yearly_net_millions=(700, 760, 800, 820),
        collateral=(
            ("land", "Quyền sử dụng đất nhà máy, 3.200 m², xã Thới Hưng", "Liên hiệp HTX", 1_800, "0.7"),
            ("machinery", "Dây chuyền sấy lúa hình thành từ vốn vay", "Liên hiệp HTX", 1_200, "0.5"),
        ),
        note="Mua bảo hiểm cháy nổ cho nhà máy; giải ngân theo tiến độ lắp đặt.",
    ),
    DemoApplication(
        "12/QĐ-HND",
        "HTND-TO",
        180,
        24,
        "Các hộ hội viên nuôi bò sinh sản theo phương án của tổ (demo).",
        until="approved",
        yearly_net_millions=(150, 190),
        collateral=(
            ("guarantee", "Bảo lãnh tín chấp của Hội Nông dân xã Vũ Hội", "Hội Nông dân xã", 200, "0.5"),
        ),
        note="Giải ngân trực tiếp cho từng hộ theo danh sách được duyệt.",
    ),
    DemoApplication(
        "02/HĐHT-UBND",
        "VLD-NH",
        150,
        12,
        "Mua cá giống và thức ăn cho vụ nuôi cá rô phi (demo).",
        until="approved",
        yearly_net_millions=(210,),
        collateral=(("machinery", "Máy sục khí và máy cho cá ăn tự động", "Tổ hợp tác", 90, "0.6"),),
    ),
    DemoApplication(
        "07/HĐHT-UBND",
        "VLD-NH",
        150,
        9,
        "Mua nguyên liệu mây tre cho đơn hàng xuất khẩu (demo).",
        until="rejected",
        recommend="reject",
        ratings=(2, 2, 1, 2, 1, 1),
        note="Phương án chưa có hợp đồng bao tiêu; đề nghị bổ sung hợp đồng với doanh nghiệp xuất khẩu.",
    ),
]


def load(*, stdout) -> None:
    users = {
        user.username: user for user in User.objects.filter(username__in=["officer", "appraiser", "approver"])
    }
    done = []
    for application in APPLICATIONS:
        borrower = Borrower.objects.get(registration_number=application.registration_number)
        if Loan.objects.filter(borrower=borrower, purpose=application.purpose).exists():
            continue
        with transaction.atomic():
            loan = _take_through(application, borrower, **users)
        done.append(f"{loan.reference} {loan.get_status_display().lower()}")
    if done:
        stdout.write("Demo appraisals: " + "; ".join(done) + ".")


def _take_through(application: DemoApplication, borrower: Borrower, *, officer, appraiser, approver) -> Loan:
    loan = _submitted(application, borrower, officer)
    services.start_appraisal(actor=appraiser, loan=loan, note="Nhận hồ sơ thẩm định.")
    loan = Loan.objects.get(pk=loan.pk)
    _appraise(application, loan, appraiser)
    if application.until == "appraising":
        return loan
    loan = services.complete_appraisal(actor=appraiser, loan=loan, note="Hoàn thành thẩm định.")
    if application.until == "approved":
        terms = ApprovalTerms(
            amount=loan.amount.amount,
            term_months=loan.term_months,
            annual_rate=loan.product.annual_rate,
            conditions=application.note,
        )
        return services.approve_loan(actor=approver, loan=loan, terms=terms)
    if application.until == "rejected":
        return services.reject_loan(actor=approver, loan=loan, reason=application.note)
    return loan


def _submitted(application: DemoApplication, borrower: Borrower, officer) -> Loan:
    loan = new_application(
        actor=officer,
        borrower=borrower,
        application=application,
        proposed_collateral="; ".join(item[1] for item in application.collateral),
    )
    return submit_application(actor=officer, loan=loan, note="Hồ sơ đầy đủ, đề nghị thẩm định.")


def _day() -> dt.date:
    """The business date, but never after today: visits and documents are real-world dates."""
    return min(business_date(), timezone.localdate())


def _appraise(application: DemoApplication, loan: Loan, appraiser) -> None:
    services.save_dossier_review(actor=appraiser, loan=loan, notes="Hồ sơ đầy đủ, hợp lệ.")
    if not loan.borrower.is_household_group:
        services.save_financial_statements(
            actor=appraiser,
            loan=loan,
            statements=_statements(loan.amount.amount, years=appraisal_rules().statement_years),
        )
    services.record_site_visit(
        actor=appraiser,
        loan=loan,
        visited_on=_day(),
        participants=f"{loan.borrower.representative} ({loan.borrower.representative_title})",
        notes="Đã kiểm tra cơ sở sản xuất, sổ sách và tài sản bảo đảm; hoạt động đúng như hồ sơ.",
    )
    if application.until == "appraising":
        return
    scale = appraisal_rules().rating_scale
    ratings = [
        # A fund that added criteria or lowered the scale still gets every criterion rated.
        RatingInput(criterion, min(application.ratings[i % len(application.ratings)], scale))
        for i, criterion in enumerate(ScoringCriterion.objects.filter(active=True))
    ]
    services.save_ratings(actor=appraiser, loan=loan, ratings=ratings)
    for kind, description, owner, valuation, ltv in application.collateral:
        value = Decimal(valuation * M)
        services.add_collateral(
            actor=appraiser,
            loan=loan,
            item=CollateralTerms(
                type=kind,
                description=description,
                owner=owner,
                valuation=value,
                valued_on=_day(),
                loan_to_value=Decimal(ltv),
                provisioning_value=value * Decimal(ltv) if kind != Collateral.Type.GUARANTEE else Decimal(0),
            ),
        )
    services.save_cash_flow(
        actor=appraiser,
        loan=loan,
        years=[
            CashFlowFigures(year, Decimal(net * M) * 3, Decimal(net * M) * 2)
            for year, net in enumerate(application.yearly_net_millions, start=1)
        ],
    )
    if application.recommend == "approve":
        recommendation = RecommendationInput(
            decision="approve",
            amount=loan.amount.amount,
            term_months=loan.term_months,
            annual_rate=loan.product.annual_rate,
            conditions=application.note,
            opinion="Phương án khả thi, dòng tiền đủ trả nợ; đề nghị cho vay.",
        )
    else:
        recommendation = RecommendationInput(
            decision="reject",
            rejection_reasons=application.note,
            opinion="Đầu ra của phương án chưa chắc chắn.",
        )
    services.save_recommendation(actor=appraiser, loan=loan, recommendation=recommendation)


def _statements(amount: Decimal, *, years: int) -> list[StatementFigures]:
    """Plausible statements for a borrower of this loan's size, growing a little each year."""
    last = _day().year - 1
    statements = []
    for back in range(years):
        scale = amount * (10 - back) / 10
        assets = scale * 3
        liabilities = scale * Decimal("1.2")
        statements.append(
            StatementFigures(
                year=last - back,
                revenue=scale * 4,
                costs=scale * Decimal("3.6"),
                profit=scale * Decimal("0.3"),
                total_assets=assets,
                current_assets=scale,
                total_liabilities=liabilities,
                current_liabilities=scale * Decimal("0.6"),
                equity=assets - liabilities,
            )
        )
    return statements
