import re

from rest_framework import exceptions
from rest_framework.pagination import PageNumberPagination

WHOLE_NUMBER = re.compile(r"[0-9]{1,18}")


class Pagination(PageNumberPagination):
    """`page` and `page_size` (default 25, at most 100); body {count, next, previous, results}.

    Both must be whole numbers from 1 (ASCII digits only, like every number the API reads):
    DRF would quietly ignore `page_size=null` and answer 404 to `page=abc`; both are a 400
    `invalid` on the parameter. A `page_size` above 100 is capped, a page past the last 404.
    """

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["description"] = (
                    "Results per page, 1 or more (default 25; above 100 reads as 100)."
                )
        return parameters

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        return min(whole_number(self.page_size_query_param, raw), self.max_page_size)

    def check_parameters(self, request):
        """Refuse a bad `page`/`page_size` where no page is cut (exports hold the whole
        list): the schema declares both on the operation, so a bad one is a 400 here too."""
        self.get_page_size(request)
        self.get_page_number(request, None)

    def get_page_number(self, request, paginator):
        raw = request.query_params.get(self.page_query_param)
        if raw is None:
            return 1
        return whole_number(self.page_query_param, raw)


def whole_number(name, raw):
    if not WHOLE_NUMBER.fullmatch(raw) or int(raw) < 1:
        raise exceptions.ValidationError(
            {name: ["A whole number from 1 is required."]}, code="invalid"
        )
    return int(raw)
