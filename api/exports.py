"""CSV/XLSX exports (`?format=csv|xlsx`) of list endpoints and reports (spec 9).

- A list export holds the whole filtered list (never one page). Its header row is the
  JSON field names; a nested object is flattened to `parent.child` columns and nested
  lists (an invoice's `lines`) are left out: one row per object, the lines stay in the
  JSON and the PDF.
- CSV streams (`StreamingHttpResponse` over `queryset.iterator(chunk_size=...)`), money as
  the API's strings ("10.50", "1050"). XLSX is written by openpyxl's write-only workbook
  (rows go to a temporary file, so memory stays flat) and then streamed from that file;
  money is a number with the currency's decimals as its number format.
- Text that a spreadsheet would run as a formula (=, +, -, @ first) is defused: CSV
  prefixes it with a quote, XLSX stores it as a plain string.
- A format no renderer offers is a 400 `unsupported_format` (`api.negotiation`);
  errors are always JSON, whatever was asked.
"""

import csv
import tempfile
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import connections
from django.http import FileResponse, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from rest_framework import serializers
from rest_framework.renderers import BaseRenderer, JSONRenderer

from api.fields import MoneyField
from core.db_router import report_database
from core.money import minor_units

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

FORMAT_PARAMETER = OpenApiParameter(
    "format",
    OpenApiTypes.STR,
    enum=["json", "csv", "xlsx"],
    description="`csv` or `xlsx` downloads the whole filtered result instead of JSON.",
)


class CSVRenderer(BaseRenderer):
    """Lets `?format=csv` through content negotiation; the view builds the response."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        # Only reached if a view forgot to build the export itself: JSON beats a crash.
        return JSONRenderer().render(data)


class XLSXRenderer(CSVRenderer):
    media_type = XLSX_CONTENT_TYPE
    format = "xlsx"
    charset = None
    render_style = "binary"


EXPORT_RENDERERS = (CSVRenderer, XLSXRenderer)
EXPORT_FORMATS = frozenset(renderer.format for renderer in EXPORT_RENDERERS)


class ExportRenderingMixin:
    """For views that offer exports: JSON errors even when an export was asked for."""

    def requested_export_format(self):
        renderer = getattr(self.request, "accepted_renderer", None)
        format = getattr(renderer, "format", None)
        return format if format in EXPORT_FORMATS else None

    def handle_exception(self, exc):
        # An error met after `?format=csv` was accepted is still the standard JSON body.
        if self.requested_export_format():
            self.request.accepted_renderer = JSONRenderer()
            self.request.accepted_media_type = JSONRenderer.media_type
        return super().handle_exception(exc)

    def export_filename(self, stem, export_format, on_date=None):
        """`<what>-<YYYY-MM-DD>.<format>`, dated today in the organization's time zone."""
        on_date = on_date or self.request.organization.today()
        return f"{stem}-{on_date.isoformat()}.{export_format}"

    def export_queryset(self, queryset, serializer, export_format, stem, chunk_size=500):
        """The whole `queryset` as one file, with `serializer`'s fields as columns."""
        # Pagination does not apply, but its parameters are still read strictly (before
        # any connection: a bad parameter is a 400 whatever the replica's state).
        check_parameters = getattr(getattr(self, "paginator", None), "check_parameters", None)
        if check_parameters is not None:
            check_parameters(self.request)
        # Bound now: a CSV streams after the view has returned. Read on the replica, and
        # connect before answering, so an unreachable one is a 503, not a cut download.
        database = report_database()
        connections[database].ensure_connection()
        queryset = without_nested_lists(serializer, queryset).using(database)
        columns = serializer_columns(serializer)
        # Chunked iteration keeps memory flat; prefetches run once per chunk.
        rows = (
            serializer_row(serializer, instance)
            for instance in queryset.iterator(chunk_size=chunk_size)
        )
        return export_response(
            export_format,
            columns,
            rows,
            self.export_filename(stem, export_format),
            title=stem,
        )


# --- columns and rows -----------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One exported column. Rows are dicts; a money cell takes its currency from the row's
    `currency_key` value."""

    name: str
    kind: str = "text"  # text | money | integer | date | boolean
    currency_key: str = "currency"


def _kind_of(field):
    if isinstance(field, MoneyField):
        return "money"
    if isinstance(field, serializers.BooleanField):
        return "boolean"
    if isinstance(field, (serializers.IntegerField, serializers.PrimaryKeyRelatedField)):
        return "integer"
    if isinstance(field, serializers.DateField):
        return "date"
    return "text"


def _is_nested_list(field):
    return isinstance(
        field,
        serializers.ListSerializer
        | serializers.ListField
        | serializers.ManyRelatedField
        | serializers.DictField
        | serializers.JSONField,
    )


def _currency_key(name):
    return f"{name}@currency"


def without_nested_lists(serializer, queryset):
    """Drop the serializer's nested lists (no column shows them) and their prefetches, so
    an export neither loads nor renders an invoice's lines only to throw them away."""
    nested = [name for name, field in serializer.fields.items() if _is_nested_list(field)]
    for name in nested:
        del serializer.fields[name]
    kept = [
        lookup
        for lookup in queryset._prefetch_related_lookups
        if getattr(lookup, "prefetch_to", lookup) not in nested
    ]
    return queryset.prefetch_related(None).prefetch_related(*kept)


def serializer_columns(serializer):
    """Columns for a serializer's readable fields (nested lists left out)."""
    columns = []
    for name, field in serializer.fields.items():
        if field.write_only or _is_nested_list(field):
            continue
        if isinstance(field, serializers.BaseSerializer):
            columns += [
                Column(f"{name}.{child_name}", "text")
                for child_name, child in field.fields.items()
                if not (child.write_only or _is_nested_list(child))
            ]
        else:
            columns.append(Column(name, _kind_of(field), _currency_key(name)))
    return columns


def serializer_row(serializer, instance):
    """The object's JSON representation flattened to one row, with each money's currency."""
    data = serializer.to_representation(instance)
    row = {}
    for name, value in data.items():
        field = serializer.fields[name]
        if isinstance(value, dict):
            row.update({f"{name}.{child}": item for child, item in value.items()})
            continue
        row[name] = value
        if isinstance(field, MoneyField) and value is not None:
            row[_currency_key(name)] = field.currency_for(instance)
    return row


# --- writers --------------------------------------------------------------------------


def _csv_text(column, value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if column.kind == "text" and text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


class _Echo:
    """A file-like whose write() hands the line back, so csv.writer can feed a generator."""

    def write(self, value):
        return value


def csv_response(columns, rows, filename):
    writer = csv.writer(_Echo())

    def lines():
        yield writer.writerow([column.name for column in columns])
        for row in rows:
            yield writer.writerow([_csv_text(column, row.get(column.name)) for column in columns])

    response = StreamingHttpResponse(lines(), content_type=CSV_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def money_number_format(currency):
    digits = minor_units(currency)
    return "#,##0" + ("." + "0" * digits if digits else "")


def _xlsx_cell(sheet, column, row):
    value = row.get(column.name)
    cell = WriteOnlyCell(sheet)
    if value is None or value == "":
        return cell
    if column.kind == "money":
        cell.value = Decimal(value)
        cell.number_format = money_number_format(row[column.currency_key])
    elif column.kind == "date":
        cell.value = date.fromisoformat(value)
        cell.number_format = "yyyy-mm-dd"
    elif isinstance(value, bool | int):
        cell.value = value
    else:
        cell.value = str(value)
        # openpyxl turns a string starting with "=" into a formula; keep it text.
        cell.data_type = "s"
    return cell


def xlsx_response(columns, rows, filename, title="Export"):
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append([column.name for column in columns])
    for row in rows:
        sheet.append([_xlsx_cell(sheet, column, row) for column in columns])
    # write_only keeps rows on disk; the finished file streams from disk too.
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it when sent
    workbook.save(spool)
    spool.seek(0)
    return FileResponse(
        spool, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE
    )


def export_response(export_format, columns, rows, filename, title="Export"):
    if export_format == "csv":
        return csv_response(columns, rows, filename)
    return xlsx_response(columns, rows, filename, title)


# --- list endpoints -------------------------------------------------------------------


class ExportMixin(ExportRenderingMixin):
    """Mixed into list viewsets (first in the bases): `?format=csv` / `?format=xlsx` on
    the list export the whole filtered list with the list serializer's fields.

    The viewset must not override `list()` without calling `super().list()`.
    """

    export_chunk_size = 500
    export_name = None  # file name stem; defaults to the router basename + "s"

    def get_renderers(self):
        renderers = super().get_renderers()
        if getattr(self, "action", None) == "list":
            renderers += [renderer() for renderer in EXPORT_RENDERERS]
        return renderers

    @extend_schema(parameters=[FORMAT_PARAMETER])
    def list(self, request, *args, **kwargs):
        export_format = self.requested_export_format()
        if export_format is None:
            return super().list(request, *args, **kwargs)
        queryset = self.filter_queryset(self.get_queryset())
        stem = self.export_name or f"{self.basename}s"
        return self.export_queryset(
            queryset, self.get_serializer(), export_format, stem, self.export_chunk_size
        )
