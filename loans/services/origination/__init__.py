"""Loan origination: applications, the decision's record (approval), collateral, the contract."""
