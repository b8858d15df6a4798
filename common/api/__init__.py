"""What every app's web API shares, knowing no app: one JSON shape for errors, amounts as strings
of whole đồng, pagination, throttling and the language of the request."""
