"""The API's request parser: DRF's JSON parser, hardened against pathological bodies."""

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    """DRF's JSONParser, except that JSON nested deeper than Python's decoder can follow
    (`[[[[...]]]]`) is a 400 `parse_error`: the decoder raises RecursionError, which DRF
    does not catch (it is not a ValueError) and would become a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the document is nested too deeply.") from None
