"""The books' part of the web API (/api/v1/): the trial balance for a period."""
