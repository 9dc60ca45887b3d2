"""Domain errors say what kind of refusal they are; only the API layer knows HTTP."""

import importlib

import pytest
from django.apps import apps

from accounts.exceptions import EmailNotVerified
from api.exceptions import STATUS_OF_KIND, FinTrackExceptionHandler
from core import errors


def all_subclasses(cls):
    for subclass in cls.__subclasses__():
        yield subclass
        yield from all_subclasses(subclass)


def test_every_kind_has_exactly_one_status():
    assert set(STATUS_OF_KIND) == errors.KINDS
    assert STATUS_OF_KIND == {
        "invalid": 400,
        "forbidden": 403,
        "not_found": 404,
        "conflict": 409,
        "precondition": 412,
    }


def test_every_domain_error_has_a_known_kind_and_no_http_status():
    # Load every app's exceptions module, so each DomainError subclass is defined.
    for config in apps.get_app_configs():
        module = f"{config.name}.exceptions"
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as missing:
            if missing.name != module:
                raise
    subclasses = list(all_subclasses(errors.DomainError))
    assert len(subclasses) > 20
    for error in subclasses:
        assert error.kind in errors.KINDS, error
        assert not hasattr(error, "status_code"), error


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (errors.DomainError(), 400),
        (errors.InvalidStatus(), 409),
        (errors.ConcurrentModification(), 409),
        (errors.PreconditionFailed(), 412),
        (EmailNotVerified(), 403),
    ],
)
def test_the_handler_answers_each_kind_with_its_status(error, status):
    converted = FinTrackExceptionHandler(error, {}).convert_known_exceptions(error)
    assert (converted.status_code, converted.get_codes()) == (status, error.code)


@pytest.mark.parametrize(
    ("error", "status"),
    [(errors.DomainError(attr="amount"), 400), (errors.InvalidStatus(attr="amount"), 409)],
)
def test_a_refusal_naming_a_field_keeps_its_kinds_status(error, status):
    converted = FinTrackExceptionHandler(error, {}).convert_known_exceptions(error)
    assert (converted.status_code, converted.get_codes()) == (status, {"amount": [error.code]})
