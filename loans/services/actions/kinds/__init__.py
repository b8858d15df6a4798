"""One module per kind of loan action, each with `KIND = registry.ActionKind(...)`."""
