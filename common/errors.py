"""What a service refuses in an input, field by field, gathered before it refuses the whole
input at once (`ValidationError(errors)`), so the user sees every problem in one go."""


class FieldErrors(dict[str, list[str]]):
    """Messages by field name ("__all__": the input as a whole), in the order found."""

    def refuse(self, field: str, message: str) -> None:
        self.setdefault(field, []).append(message)
