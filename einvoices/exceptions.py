from core.errors import ConflictError


class EInvoiceIncomplete(ConflictError):
    code = "einvoice_incomplete"
    default_message = "The document lacks data EN 16931 requires."


class EInvoiceNotSupported(ConflictError):
    code = "einvoice_not_supported"
    default_message = "This document cannot be expressed as an EN 16931 e-invoice."
