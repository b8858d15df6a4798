"""Admin pieces every app uses."""


class ReadOnly:
    """An admin (or inline) that shows rows and never writes them: money records are written by
    the services only, and corrected by new records, never edited."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
