"""The fund's part of the web API (/api/v1/): how a caller is recognised, borrowers, products."""
