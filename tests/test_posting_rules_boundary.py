"""The posting rules (`fund/accounting.py`) are the only place that decides a loan event's GL
accounts (issue 13): no other module names a role of the GL map (`GLMap`'s fields), as an
attribute of a GL map, a role read off one (`getattr`, `account`, `codes[…]`), a leg's role
compared, or a role's name that is no sub-ledger figure (`Booked`'s fields share the names of
the control roles: `booked.interest_receivable` is the sub-ledger's, and fine).

Read from the source, without importing it; tests and migrations aside."""

import ast
import os
import re
from dataclasses import fields
from pathlib import Path

from fund.accounting import CONTROLS, Booked, GLMap

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "fund" / "accounting.py"
ROLES = {f.name for f in fields(GLMap)} | set(CONTROLS)
GL_ONLY = ROLES - {f.name for f in fields(Booked)}  # provision_expense, interest_income, …
LEG_ROLES = {"debit_role", "credit_role"}


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Call):
        return _name(node.func)
    return ""


def _gl(node: ast.AST) -> bool:
    """Whether the expression is, by its name, a GL map: `gl`, `loan.gl`, `gl_map(product)`, …"""
    return "gl" in re.split(r"_", _name(node).lower()) or _name(node).lower() == "glmap"


def _role(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value in ROLES


def _asks_a_role(args: list[ast.expr]) -> bool:
    """`getattr(gl, "role")`, `account(gl, "role")`."""
    return len(args) >= 2 and _gl(args[0]) and _role(args[1])


def offences(source: str) -> list[tuple[int, str]]:
    """Where the source names a GL map role, and how."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr in ROLES and _gl(node.value):
            found.append((node.lineno, f"reads the GL map's {node.attr}"))
        elif isinstance(node, ast.Attribute) and node.attr in LEG_ROLES:
            found.append((node.lineno, f"reads a leg's {node.attr}"))
        elif isinstance(node, ast.Call) and _name(node) in {"getattr", "account"} and _asks_a_role(node.args):
            found.append((node.lineno, f"asks {_name(node)} for a role"))
        elif isinstance(node, ast.Subscript) and _name(node.value) == "codes" and _role(node.slice):
            found.append((node.lineno, "looks a role's code up"))
        elif isinstance(node, ast.Constant) and node.value in GL_ONLY:
            found.append((node.lineno, f"names the role {node.value!r}"))
    return found


def modules() -> list[Path]:
    """The project's Python modules: not the posting rules, tests, migrations or what is not
    the project's (hidden directories: the virtualenv, git)."""
    skipped = {"tests", "migrations", "node_modules", "__pycache__"}
    found = []
    for folder, subfolders, files in os.walk(ROOT):
        subfolders[:] = [name for name in subfolders if name not in skipped and not name.startswith(".")]
        found += [Path(folder) / name for name in files if name.endswith(".py")]
    return sorted(path for path in found if path != RULES)


def test_no_module_but_the_posting_rules_names_a_gl_role():
    named = [
        f"{path.relative_to(ROOT)}:{line}: {how}"
        for path in modules()
        for line, how in offences(path.read_text(encoding="utf-8"))
    ]
    assert named == []


def test_the_check_sees_each_way_of_naming_a_role():
    source = """
gl.provision_expense
loan.gl.principal
gl_map(product).interest_income
getattr(gl, "specific_provision")
accounting.account(gl, "suspended_late")
gl.codes["general_provision"]
[leg for leg in moved if leg.debit_role == source]
covered("provision_expense")
booked.interest_receivable  # the sub-ledger's: fine
getattr(booked, "principal")  # a role's name, but that of a sub-ledger figure too: fine
"""
    assert sorted(line for line, _how in offences(source)) == [2, 3, 4, 5, 6, 7, 8, 9]


def test_the_modules_read_are_the_projects():
    read = {str(path.relative_to(ROOT)) for path in modules()}
    assert {"loans/services/closing/batched.py", "loans/services/risk.py", "bench/pages.py"} <= read
    assert not any(name.startswith(("tests/", ".venv/")) or "/migrations/" in name for name in read)
