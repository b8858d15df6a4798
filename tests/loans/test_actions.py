"""The request -> approval -> apply framework of loan actions, with a kind made for the test."""

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal as D

import pytest
from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from fund import roles
from fund.models import AuthorityLevel, DocumentType, Fund
from loans.models import ActionStatus, Loan, LoanAction, LoanEvent
from loans.services import actions
from loans.services.actions import registry
from loans.services.actions.registry import ActionKind
from loans.views import loan as loan_views
from tests.loans.conftest import START, move_to

APPLIED: list = []


@dataclass(frozen=True)
class Days:
    days: int = field(metadata={"label": "Days"})
    until: dt.date | None = field(default=None, metadata={"label": "Until"})
    amount: D = field(default=D(0), metadata={"label": "Amount", "format": "vnd"})


class DaysForm(forms.Form):
    days = forms.IntegerField(min_value=1)
    amount = forms.DecimalField(required=False)

    def __init__(self, *args, loan, **kwargs):
        super().__init__(*args, **kwargs)

    def only(self, names):
        self.fields = {name: f for name, f in self.fields.items() if name in names}
        return self


def _validate(loan, payload, *, business_date):
    if payload.days > 90:
        raise ValidationError({"days": "At most 90 days."})


def _apply(applying):
    APPLIED.append((applying.action.pk, applying.payload, applying.business_date, applying.loan.pk))
    return f"{applying.payload.days} days"


def _excluded(loan, payload):
    return {loan.created_by_id: "Whoever took the application cannot."}


TEST_KIND = ActionKind(
    kind="extension",
    payload=Days,
    form="tests.loans.test_actions.DaysForm",
    validate=_validate,
    authority_amount=lambda loan, payload: D(100_000_000) + payload.amount,
    apply=_apply,
    excluded=_excluded,
    approver_fields=("amount",),
)


@pytest.fixture(autouse=True)
def only_the_test_kind(monkeypatch):
    APPLIED.clear()
    monkeypatch.setattr(registry, "action_kinds", lambda: {"extension": TEST_KIND})
    monkeypatch.setattr(loan_views, "action_kinds", lambda: {"extension": TEST_KIND})


@pytest.fixture
def levels(fund, staff):
    director = AuthorityLevel.objects.create(fund=fund, name="Giám đốc", max_amount=D(200_000_000))
    board = AuthorityLevel.objects.create(fund=fund, name="Hội đồng quản lý", max_amount=None)
    director.holders.add(staff["approver"])
    return director, board


def ask(staff, loan, days=30, **more):
    return actions.request_action(
        actor=staff["officer2"], loan=loan, kind="extension", payload={"days": days, **more}, reason="Mất mùa"
    )


@pytest.fixture
def officers(staff, user_with_role):
    # The officer who took the application is excluded by the test kind: another one asks.
    staff["officer2"] = user_with_role(roles.FUND_OFFICER)
    return staff


def test_a_request_is_approved_and_applied_on_the_business_date_in_one_step(fund, officers, loan, levels):
    staff = officers
    move_to(START + dt.timedelta(days=20))
    action = ask(staff, loan)
    assert action.status == ActionStatus.REQUESTED
    assert action.requested_on == START + dt.timedelta(days=20)
    assert action.payload == {"days": 30, "until": None, "amount": "0"}
    assert action.amount.amount == D(100_000_000)

    move_to(START + dt.timedelta(days=22))
    done = actions.approve_action(actor=staff["approver"], action=action, note="Đồng ý")
    assert done.status == ActionStatus.APPLIED
    assert (done.decided_by, done.decided_on, done.applied_on) == (
        staff["approver"],
        START + dt.timedelta(days=22),
        START + dt.timedelta(days=22),
    )
    assert done.outcome == "30 days"
    assert [(action.pk, Days(days=30), START + dt.timedelta(days=22), loan.pk)] == APPLIED
    event = LoanEvent.objects.filter(loan=loan).latest("pk")
    assert (event.transition, event.actor, event.note) == (
        "extension",
        staff["approver"],
        "Extension: 30 days",
    )


def test_the_requester_cannot_approve_and_the_kinds_exclusions_hold(
    fund, officers, loan, levels, user_with_role
):
    staff = officers
    both = user_with_role(roles.FUND_OFFICER, roles.APPROVER)
    levels[1].holders.add(both)
    action = actions.request_action(
        actor=both, loan=loan, kind="extension", payload={"days": 10}, reason="Mất mùa"
    )
    with pytest.raises(PermissionDenied, match="someone else must approve"):
        actions.approve_action(actor=both, action=action)
    # The officer who took the application may not ask (the kind says so).
    with pytest.raises(PermissionDenied, match="Whoever took the application"):
        actions.request_action(
            actor=staff["officer"], loan=loan, kind="extension", payload={"days": 10}, reason="x"
        )
    assert LoanAction.objects.get(pk=action.pk).status == ActionStatus.REQUESTED
    assert APPLIED == []


def test_roles_and_authority_decide_who_approves(fund, officers, loan, levels):
    staff = officers
    action = ask(staff, loan)
    # An officer may ask but not approve; an accountant may do neither.
    with pytest.raises(PermissionDenied):
        actions.approve_action(actor=staff["officer"], action=action)
    with pytest.raises(PermissionDenied):
        actions.request_action(
            actor=staff["accountant"], loan=loan, kind="extension", payload={"days": 1}, reason="x"
        )
    # The approver's choice raises the amount beyond the director's level: the board must decide.
    with pytest.raises(PermissionDenied, match="Hội đồng quản lý"):
        actions.approve_action(actor=staff["approver"], action=action, decision={"amount": D(150_000_000)})
    assert LoanAction.objects.get(pk=action.pk).status == ActionStatus.REQUESTED
    done = actions.approve_action(actor=staff["approver"], action=action, decision={"amount": D(50_000_000)})
    assert done.decision == {"amount": "50000000"}
    assert done.amount.amount == D(150_000_000)
    assert APPLIED[0][1] == Days(days=30, amount=D(50_000_000))


def test_the_approver_may_change_only_the_kinds_approver_fields(fund, officers, loan, levels):
    action = ask(officers, loan)
    with pytest.raises(ValidationError) as refused:
        actions.approve_action(actor=officers["approver"], action=action, decision={"days": 90})
    assert "days" in refused.value.message_dict


def test_bad_payloads_and_illegal_steps_are_refused_with_a_message(fund, officers, loan, levels):
    staff = officers
    with pytest.raises(ValidationError) as refused:
        ask(staff, loan, days=120)
    assert refused.value.message_dict == {"days": ["At most 90 days."]}
    with pytest.raises(ValidationError) as refused:
        ask(staff, loan, days="ba mươi")
    assert "days" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        actions.request_action(
            actor=staff["officer2"], loan=loan, kind="extension", payload={"days": 1}, reason=" "
        )
    assert "reason" in refused.value.message_dict
    with pytest.raises(ValidationError, match="no such action"):
        actions.request_action(actor=staff["officer2"], loan=loan, kind="nonsense", payload={}, reason="x")
    action = ask(staff, loan)
    with pytest.raises(ValidationError, match="already has a request of this kind waiting"):
        ask(staff, loan)
    actions.reject_action(actor=staff["approver"], action=action, note="Chưa đủ hồ sơ")
    with pytest.raises(ValidationError, match="that is rejected cannot be approved"):
        actions.approve_action(actor=staff["approver"], action=LoanAction.objects.get(pk=action.pk))
    # A closed loan cannot be asked for it.
    Loan.objects.filter(pk=loan.pk).update(status="closed")
    with pytest.raises(ValidationError, match="not possible on a loan that is closed"):
        ask(staff, loan)


def test_reject_needs_a_note_and_withdraw_is_the_requesters(fund, officers, loan, levels, user_with_role):
    staff = officers
    action = ask(staff, loan)
    with pytest.raises(ValidationError):
        actions.reject_action(actor=staff["approver"], action=action, note="")
    with pytest.raises(PermissionDenied):
        actions.withdraw_action(actor=staff["approver"], action=action)
    done = actions.withdraw_action(actor=staff["officer2"], action=action, note="Đã trả đủ")
    assert (done.status, done.decided_by, done.decision_note) == (
        ActionStatus.WITHDRAWN,
        staff["officer2"],
        "Đã trả đủ",
    )
    # Once closed, a new request of the kind may be made.
    assert ask(staff, loan).status == ActionStatus.REQUESTED


def test_a_refusal_while_applying_leaves_the_request_waiting(fund, officers, loan, levels, monkeypatch):
    def failing(applying):
        raise ValidationError("Không áp dụng được.")

    monkeypatch.setattr(
        registry,
        "action_kinds",
        lambda: {"extension": TEST_KIND.__class__(**{**TEST_KIND.__dict__, "apply": failing})},
    )
    action = ask(officers, loan)
    with pytest.raises(ValidationError):
        actions.approve_action(actor=officers["approver"], action=action)
    row = LoanAction.objects.get(pk=action.pk)
    assert (row.status, row.decided_by) == (ActionStatus.REQUESTED, None)


def test_the_pages_request_show_decide_and_print(client, fund, officers, loan, levels):
    staff = officers
    document_type = DocumentType.objects.create(code="bien_ban", name_vi="Biên bản", name_en="Report")
    client.force_login(staff["officer2"])
    client.cookies["django_language"] = "en"  # the pages in English, as the messages are written
    page = client.get(reverse("loans:loan_detail", args=[loan.pk]))
    assert reverse("loans:action_new", args=[loan.pk, "extension"]) in page.content.decode()
    url = reverse("loans:action_new", args=[loan.pk, "extension"])
    refused = client.post(url, {"days": "200", "reason": "Mất mùa"})
    assert refused.status_code == 400 and "At most 90 days." in refused.content.decode()
    sent = client.post(
        url,
        {
            "days": "30",
            "reason": "Mất mùa",
            "doc-document_type": document_type.pk,
            "doc-issued_on": START.isoformat(),
            "doc-file": SimpleUploadedFile("bien-ban.pdf", b"%PDF-1.4"),
        },
    )
    action = LoanAction.objects.get()
    assert sent.status_code == 302 and sent.url == action.get_absolute_url()
    assert action.documents.get().original_name == "bien-ban.pdf"
    assert (
        client.get(reverse("loans:action_document_download", args=[action.documents.get().pk])).status_code
        == 200
    )
    # The requester sees no approve button; the approver does, and approves.
    approve = reverse("loans:action_decide", args=[action.pk, "approve"])
    assert approve not in client.get(action.get_absolute_url()).content.decode()
    client.force_login(staff["approver"])
    listed = client.get(reverse("loans:actions"))
    assert action.get_absolute_url() in listed.content.decode()
    assert approve in client.get(action.get_absolute_url()).content.decode()
    # Approving first shows what it will post, the note carried to the confirm button; nothing
    # is decided until it is confirmed.
    shown = client.post(approve, {"note": "Đồng ý", "choice-amount": ""})
    assert shown.status_code == 200 and "Approve, apply and post" in shown.content.decode()
    assert 'name="note" value="Đồng ý"' in shown.content.decode()
    assert re.search(r"Your decision</h2>\s*<dl[^>]*>\s*<dt>Note</dt><dd>Đồng ý</dd>", shown.content.decode())
    action.refresh_from_db()
    assert action.status == ActionStatus.REQUESTED
    client.post(approve, {"note": "Đồng ý", "choice-amount": "", "confirm": "1"})
    action.refresh_from_db()
    assert (action.status, action.decision_note) == (ActionStatus.APPLIED, "Đồng ý")
    printed = client.get(reverse("loans:action_decision", args=[action.pk])).content.decode()
    assert "Decided by" in printed and "30 days" in printed
    # A decision is only ever a POST.
    assert client.get(reverse("loans:action_decide", args=[action.pk, "nonsense"])).status_code == 405


def test_an_unknown_kind_or_decision_in_the_address_is_a_404(client, fund, officers, loan):
    client.force_login(officers["officer2"])
    assert client.get(reverse("loans:action_new", args=[loan.pk, "nonsense"])).status_code == 404
    assert client.get(reverse("loans:action_detail", args=[999])).status_code == 404
    assert Fund.objects.count() == 1


def test_an_approval_refused_before_its_confirmation_page_comes_back_as_a_message(
    client, fund, officers, loan, levels
):
    staff = officers
    action = ask(staff, loan)
    approve = reverse("loans:action_decide", args=[action.pk, "approve"])
    client.cookies["django_language"] = "en"
    # Beyond the director's authority (the approver's own choice): back to the request, said why.
    client.force_login(staff["approver"])
    refused = client.post(approve, {"note": "", "choice-amount": "150000000"}, follow=True)
    assert refused.status_code == 200 and "Hội đồng quản lý" in refused.content.decode()
    # The requesting officer, who sees no button, posting anyway: refused the same way.
    client.force_login(staff["officer2"])
    refused = client.post(approve, {"note": "", "choice-amount": ""}, follow=True)
    assert refused.status_code == 200 and "Your role does not allow this." in refused.content.decode()
    assert LoanAction.objects.get(pk=action.pk).status == ActionStatus.REQUESTED
