"""Invoice document actions (PDF download, reminder e-mail) mixed into InvoiceViewSet."""


class InvoiceDocumentActions:
    """Adds the `pdf` and `remind` actions to InvoiceViewSet."""
