"""The API's request parser: DRF's JSON parser, reading numbers exactly and hardened against
pathological bodies."""

import codecs
from decimal import Decimal

from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json

# A JSON number with a fraction is read as the Decimal of the digits the client wrote
# (never through a binary float). One with an exponent stays the text it was, so the number
# grammar of `core.money` refuses it wherever a number is read ("1e3" is not money).
# This is a JSON decoder hook, not a second number reader: it only keeps the digits exact,
# takes any JSON number (a sign too), and leaves judging them to `parse_decimal`, which
# every field reading a number calls (and which would refuse "-5" here, before a field
# could answer with its own error code).
_EXPONENT = frozenset("eE")


def _json_number(text: str) -> Decimal | str:
    return text if _EXPONENT & set(text) else Decimal(text)


class JSONParser(parsers.JSONParser):
    """DRF's JSONParser with exact numbers (see `_json_number`), and JSON nested deeper than
    Python's decoder can follow (`[[[[...]]]]`) a 400 `parse_error`: the decoder raises
    RecursionError, which DRF does not catch (it is not a ValueError) and would be a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})
        try:
            return json.load(
                codecs.getreader(encoding)(stream),
                parse_float=_json_number,
                parse_constant=json.strict_constant if self.strict else None,
            )
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        except RecursionError:
            raise ParseError("JSON parse error - the document is nested too deeply.") from None
