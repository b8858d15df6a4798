"""The loan from application to closure, its dossier, its history and its collateral."""

from loans.models.collateral import Collateral
from loans.models.loan import Loan, LoanDocument, LoanEvent, LoanMemberShare, LoanStatus

__all__ = ["Collateral", "Loan", "LoanDocument", "LoanEvent", "LoanMemberShare", "LoanStatus"]
