"""CSV/XLSX exports of list endpoints (`?format=csv|xlsx`)."""


class ExportMixin:
    """Mixed into list viewsets: `?format=csv` / `?format=xlsx` export the whole filtered list."""
