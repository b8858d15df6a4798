"""The kinds of loan action, each a plug-in: what it asks, how it is checked, what applying it does.

A kind is a module in `loans/services/actions/kinds/` with a module-level `KIND = ActionKind(...)`;
every module there is found on first use (`action_kinds()`), so a new kind is a new file and nothing
else. The request -> approval -> apply steps around it (`loans.services.actions.requests`) are
the same for every kind. An `ActionKind` gives:

- `kind`: one of `loans.models.actions.ActionKind` (its permissions: `PERMISSIONS` there);
- `payload`: a frozen dataclass of what is asked, each field's metadata a `label` and, for
  showing it, a `format` ("vnd", "percent", "date", "choice" with `choices`); stored as JSON
  (`encode`/`decode`: dates, Decimals, ints, strs, bools, tuples of ints, optional ones);
- `form`: the dotted path of the request form, `Form(data, files, loan=loan)`, whose
  cleaned_data names the payload's fields (the view turns it into the payload);
- `validate(loan, payload, *, business_date)`: raise ValidationError by payload field; run on
  request and again on approval, against the loan as it is then;
- `authority_amount(loan, payload)`: the amount the approver's authority must cover
  (`fund.selectors.authority`; to need the level without an upper limit, one đồng above the
  highest limited level, as `kinds.write_off.board_amount`);
- `apply(applying)`: do it, inside the approval's transaction with the loan locked
  (`Applying`: the action, the locked loan, the payload, the actor, the business date); return
  a line saying what was done (the outcome the decision and the loan's history show);
- `loan_statuses`: the loan statuses it may be asked for in (default: active);
- `group_loans`: whether it may be asked for on a household group's loan (default: yes);
- `excluded(loan, payload)`: users who may neither ask for nor approve it, {user id: why}
  (four eyes beyond "not the requester", e.g. whoever authorized the tranche);
- `approver_fields`: payload fields the approver may choose differently on approval.
"""

import dataclasses
import importlib
import pkgutil
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from common.dates import format_date
from common.money import format_percent, format_vnd
from loans.models import LoanStatus
from loans.models.actions import PERMISSIONS, LoanAction


@dataclass(frozen=True)
class Applying:
    """What a kind's `apply` gets: the action being approved, the loan locked for a money event
    (`loans.queries.ServicedLoan`), the payload with the approver's choices, who and when."""

    action: LoanAction
    loan: Any
    payload: Any
    actor: Any
    business_date: date


def _nobody(loan, payload) -> dict[int, str]:
    return {}


@dataclass(frozen=True)
class ActionKind:
    kind: str
    payload: type
    form: str
    validate: Callable[..., None]
    authority_amount: Callable[[Any, Any], Decimal]
    apply: Callable[[Applying], str]
    loan_statuses: tuple[str, ...] = (LoanStatus.ACTIVE,)
    group_loans: bool = True
    excluded: Callable[[Any, Any], dict[int, str]] = _nobody
    approver_fields: tuple[str, ...] = ()

    @property
    def request_permission(self) -> str:
        return PERMISSIONS[self.kind][0]

    @property
    def approve_permission(self) -> str:
        return PERMISSIONS[self.kind][1]

    @property
    def label(self) -> str:
        return LoanAction(kind=self.kind).get_kind_display()

    def encode(self, payload) -> dict:
        return {f.name: _plain(getattr(payload, f.name)) for f in dataclasses.fields(self.payload)}

    def decode(self, data: Mapping) -> Any:
        """The payload from stored JSON (or a form's cleaned data); a field missing or of the
        wrong shape is refused by name."""
        hints = typing.get_type_hints(self.payload)
        values, errors = {}, {}
        for f in dataclasses.fields(self.payload):
            if data.get(f.name) is None:  # left empty: the field's default, if it has one
                if f.default is not dataclasses.MISSING:
                    continue
                errors[f.name] = _("This field is required.")
                continue
            try:
                values[f.name] = _parsed(hints[f.name], data[f.name])
            except (TypeError, ValueError, ArithmeticError):
                errors[f.name] = _("This value cannot be read.")
        if errors:
            raise ValidationError(errors)
        return self.payload(**values)

    def describe(self, payload) -> list[tuple[str, str]]:
        """Each field of the payload as (label, value) for a page or a printed decision."""
        return [
            (str(f.metadata.get("label", f.name)), _shown(getattr(payload, f.name), f.metadata))
            for f in dataclasses.fields(payload)
            if not f.metadata.get("hidden")
        ]


def _plain(value):
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    return value


def _parsed(hint, value):
    """`value` as the type `hint` names (one of the payload's simple types)."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        if value is None:
            return None
        hint = next(arg for arg in typing.get_args(hint) if arg is not type(None))
    if typing.get_origin(hint) is tuple:
        (item, _ellipsis) = typing.get_args(hint)
        return tuple(_parsed(item, v) for v in value)
    if hint is date:
        return value if isinstance(value, date) else date.fromisoformat(value)
    if hint is Decimal:
        parsed = Decimal(str(value))
        if not parsed.is_finite():
            raise ValueError(value)
        return parsed
    if hint is bool:
        if not isinstance(value, bool):
            raise TypeError(value)
        return value
    if hint is int:
        if isinstance(value, bool) or int(value) != value:
            raise ValueError(value)
        return int(value)
    if hint is str:
        return str(value)
    raise TypeError(f"unsupported payload type {hint}")


def _shown(value, metadata: Mapping) -> str:
    if value is None or value == ():
        return "—"
    shape = metadata.get("format")
    if shape == "vnd":
        return format_vnd(value)
    if shape == "percent":
        return format_percent(value)
    if shape == "choice":
        return str(dict(metadata["choices"]).get(value, value))
    if isinstance(value, date):
        return format_date(value)
    if isinstance(value, tuple):
        return ", ".join(_shown(item, {}) for item in value)
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    return str(value)


@cache
def action_kinds() -> dict[str, ActionKind]:
    """Every kind in `loans/services/actions/kinds/`, by its code."""
    package = importlib.import_module("loans.services.actions.kinds")
    found = {}
    for module_info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{module_info.name}")
        kind = getattr(module, "KIND", None)
        if kind is not None:
            found[kind.kind] = kind
    return found


def kind_of(code: str) -> ActionKind:
    """The kind, or a ValidationError when there is no such kind (a tampered address)."""
    try:
        return action_kinds()[code]
    except KeyError:
        raise ValidationError({"kind": _("There is no such action.")}) from None
