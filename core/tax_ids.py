"""Tax ids, IBANs and BICs (spec 18), checked with maintained libraries: python-stdnum
knows the tax-id formats and check digits of many countries, schwifty the IBAN registry
and the BIC format. A tax id whose country stdnum does not know is taken as written.
"""

from django.core.exceptions import ValidationError
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError as NumberInvalid
from stdnum.util import get_cc_module

from core.errors import DomainError


class InvalidTaxId(DomainError):
    code = "invalid_tax_id"
    default_message = "The tax id is not valid for its country."


class InvalidIban(DomainError):
    code = "invalid_iban"
    default_message = "The IBAN is not valid."


class InvalidBic(DomainError):
    code = "invalid_bic"
    default_message = "The BIC is not valid."


def tax_id_module(tax_id, country):
    """The stdnum module that checks `tax_id`: the one of the country it is prefixed with
    (EU VAT numbers, `DE136695976`), else the party's country's; None when stdnum knows
    neither."""
    prefix = tax_id[:2].upper()
    if prefix.isalpha():
        if prefix.lower() in eu_vat.MEMBER_STATES or prefix == "EL":
            return eu_vat
        module = get_cc_module(prefix, "vat")
        if module is not None:
            return module
    return get_cc_module(country, "vat") if country else None


def check_tax_id(tax_id, country, *, attr="tax_id"):
    """The tax id as written (stripped); `InvalidTaxId` when stdnum knows its format and it
    does not match."""
    tax_id = (tax_id or "").strip()
    module = tax_id_module(tax_id, country) if tax_id else None
    if module is not None:
        try:
            module.validate(tax_id)
        except NumberInvalid as error:
            raise InvalidTaxId(
                f"{tax_id!r} is not a valid tax id ({module.__name__}: {error}).", attr=attr
            ) from None
    return tax_id


def check_iban(value, *, attr="iban"):
    """The IBAN in its compact form (`DE89370400440532013000`), or `InvalidIban`."""
    if not value:
        return ""
    try:
        return IBAN(value).compact
    except (SchwiftyException, ValueError) as error:
        raise InvalidIban(f"{value!r} is not a valid IBAN: {error}", attr=attr) from None


def check_bic(value, *, attr="bic"):
    """The BIC in its compact form (`DEUTDEFF`), or `InvalidBic`."""
    if not value:
        return ""
    try:
        return BIC(value).compact
    except (SchwiftyException, ValueError) as error:
        raise InvalidBic(f"{value!r} is not a valid BIC: {error}", attr=attr) from None


def clean_party_numbers(instance, values):
    """Check the tax id (and the bank details, where the object has them) of a party or
    organization about to be saved with `values` (field -> new value); returns the values
    to store. `DomainError` names the field at fault."""

    def current(name):
        return values[name] if name in values else getattr(instance, name, "")

    cleaned = {}
    if "tax_id" in values or "country" in values:
        cleaned["tax_id"] = check_tax_id(current("tax_id"), current("country"))
    if "iban" in values:
        cleaned["iban"] = check_iban(values["iban"])
    if "bic" in values:
        cleaned["bic"] = check_bic(values["bic"])
    return cleaned


def as_validation_error(error):
    """A Django `ValidationError` for a form (the admin) from one of the errors above."""
    return ValidationError({error.attr: ValidationError(error.message, code=error.code)})
