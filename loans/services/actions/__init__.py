"""Actions on a running loan, asked for by one person and approved by another.

Registry API (`registry.py` says it in full): a kind is a module in `kinds/` with
`KIND = ActionKind(kind=..., payload=<dataclass>, form="<dotted path>", validate=...,
authority_amount=..., apply=..., [loan_statuses, excluded, approver_fields])`; it is found by
itself. The steps (`requests.py`) are the same for every kind:

- `request_action(actor=, loan=, kind=, payload=, reason=, document=None)`: the actor holds the
  kind's request permission and is not one of its `excluded`; the loan's status allows it; the
  kind validates the payload; one open request per loan and kind.
- `approve_action(actor=, action=, note=, decision=None)`: the kind's approve permission, the
  approver's authority over the kind's `authority_amount`, not the requester nor `excluded`;
  validated again, then applied on the business date in the same transaction (the loan locked
  as for a money event), the loan's history told what was done. `entries_on_approval(...)`, the
  same arguments: what it would post, nothing kept.
- `reject_action`, `withdraw_action` (the requester, or whoever may request the kind),
  `add_action_document` while it waits.
"""

from loans.services.actions.registry import ActionKind, Applying, action_kinds, kind_of
from loans.services.actions.requests import (
    add_action_document,
    approve_action,
    entries_on_approval,
    reject_action,
    request_action,
    withdraw_action,
)

__all__ = [
    "ActionKind",
    "Applying",
    "add_action_document",
    "approve_action",
    "entries_on_approval",
    "kind_of",
    "action_kinds",
    "reject_action",
    "request_action",
    "withdraw_action",
]
