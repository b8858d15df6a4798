"""The accountant's pages: the chart, the journal, the reports and the periods."""
