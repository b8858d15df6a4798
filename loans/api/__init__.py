"""The loans' part of the web API (/api/v1/): loans and what they owe, schedules, statements,
payoff quotes, repayments, tranches and applications, each through the pages' services and
selectors."""
