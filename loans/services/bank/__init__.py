"""Bank statements: their layout per bank account (`mapping`), importing and matching them
(`importing`, `matching`), and reconciling a period (`reconciling`)."""
