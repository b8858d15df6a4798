"""Admin pieces every app uses."""


class ReadOnly:
    """An admin (or inline) that shows rows and never writes them: money records are written by
    the services only, and corrected by new records, never edited. Without the add permission
    an inline shows no blank rows, so no `extra = 0` is needed."""

    def get_readonly_fields(self, request, obj=None):
        # Every field shown, so no `readonly_fields` to keep in step with `fields`: the form is
        # built before the permissions count, and a field the model does not let a form edit (a
        # creation time) is shown only as a read-only one.
        return self.fields or ()

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
