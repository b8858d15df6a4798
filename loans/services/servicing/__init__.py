"""Servicing a signed loan: tranches, repayments, bringing the books in line (settling), imports."""
