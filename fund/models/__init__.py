"""The fund's own records: users, borrowers and their households and documents, loan
products, and the fund itself with its capital and approval authority."""

from fund.models.borrowers import Borrower, BorrowerDocument, HouseholdMember
from fund.models.calendar import NonWorkingDay
from fund.models.documents import DocumentType
from fund.models.fund import AuthorityLevel, CapitalReceipt, CapitalSource, Fund
from fund.models.products import Amortization, DayCount, Frequency, LoanProduct, Portion, TermClass
from fund.models.tokens import ApiToken
from fund.models.users import User

__all__ = [
    "Amortization",
    "ApiToken",
    "AuthorityLevel",
    "Borrower",
    "BorrowerDocument",
    "CapitalReceipt",
    "CapitalSource",
    "DayCount",
    "DocumentType",
    "Frequency",
    "Fund",
    "HouseholdMember",
    "LoanProduct",
    "NonWorkingDay",
    "Portion",
    "TermClass",
    "User",
]
