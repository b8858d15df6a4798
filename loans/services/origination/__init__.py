"""Loan origination: applications, the contract (approval and collateral follow here)."""
