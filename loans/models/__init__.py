"""The loan from application to closure: dossier, history, collateral, contract, schedule, money."""

from loans.models.actions import ActionKind, ActionStatus, LoanAction, LoanActionDocument
from loans.models.balances import LoanBalance
from loans.models.bank import BankStatement, ReconciledPeriod, StatementLine, StatementMapping
from loans.models.closing import (
    ClassificationReport,
    CloseChunk,
    CloseFailure,
    CloseOfDay,
    CloseRun,
    DebtGroupChange,
    PortfolioDue,
    PortfolioFlow,
    PortfolioSummary,
    ReconciliationCheck,
)
from loans.models.collateral import Collateral
from loans.models.contract import LoanContract, ScheduleRow, ScheduleVersion
from loans.models.document_requests import DocumentRequest
from loans.models.exports import ExportJob
from loans.models.loan import Loan, LoanDocument, LoanEvent, LoanMemberShare, LoanStatus
from loans.models.money import Disbursement, DisbursementShare, LoanTransaction, Repayment, RepaymentImport
from loans.models.notices import Delivery, Notice, NoticeKind
from loans.models.onboarding import LoanOpening, PortfolioImport
from loans.models.risk import Recovery, TrancheReversal, WriteOff

__all__ = [
    "ActionKind",
    "ActionStatus",
    "LoanAction",
    "LoanActionDocument",
    "BankStatement",
    "ClassificationReport",
    "CloseChunk",
    "CloseFailure",
    "CloseOfDay",
    "CloseRun",
    "DebtGroupChange",
    "Collateral",
    "Delivery",
    "Disbursement",
    "DocumentRequest",
    "ExportJob",
    "DisbursementShare",
    "Loan",
    "LoanBalance",
    "LoanContract",
    "LoanDocument",
    "LoanEvent",
    "LoanMemberShare",
    "LoanOpening",
    "LoanStatus",
    "Notice",
    "NoticeKind",
    "LoanTransaction",
    "Recovery",
    "Repayment",
    "ReconciledPeriod",
    "PortfolioDue",
    "PortfolioFlow",
    "PortfolioSummary",
    "ReconciliationCheck",
    "PortfolioImport",
    "RepaymentImport",
    "ScheduleRow",
    "ScheduleVersion",
    "StatementLine",
    "StatementMapping",
    "TrancheReversal",
    "WriteOff",
]
