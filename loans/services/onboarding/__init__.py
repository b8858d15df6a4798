"""Bringing a lending fund's portfolio in at a cut-over date, or merging another fund's:
the workbook (`workbook`), the dry run (`planning`) and the commit (`importing`)."""
