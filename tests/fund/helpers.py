import pytest
from django.core.exceptions import ValidationError


def refused(call) -> dict[str, list[str]]:
    """Run a service call that must be refused; its messages by field ("__all__" for the rest)."""
    with pytest.raises(ValidationError) as caught:
        call()
    error = caught.value
    return error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
