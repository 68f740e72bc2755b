"""JSON or CSV: every dashboard route answers text/csv for `Accept: text/csv` or `format=csv`.

A CSV answer holds the JSON answer's rows in its order, one line each under a header of the
JSON field names; each cell is the JSON value's own text (numbers exactly as JSON writes them,
true/false, and an empty cell for null), quoted per RFC 4180 where needed.
"""

from __future__ import annotations

import csv
import io
from typing import Any, TypeVar

import msgspec
from litestar import MediaType, Response

from app.api.errors import ApiError
from app.db.queries import DashboardFilter

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"

Row = TypeVar("Row", bound=msgspec.Struct)


def wants_csv(format_param: str | None, accept: str | None) -> bool:
    """True for format=csv, or an Accept header that names text/csv (format wins when given)."""
    if format_param:
        if format_param not in ("json", "csv"):
            raise ApiError(400, "format must be json or csv")
        return format_param == "csv"
    return any(part.split(";", 1)[0].strip().lower() == "text/csv" for part in (accept or "").split(","))


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return msgspec.json.encode(value).decode()


class CsvResponse(Response[list[Row]]):
    """The rows as a CSV attachment; an empty answer is the header line alone."""

    def __init__(self, rows: list[Row], row_type: type[Row], filename: str) -> None:
        super().__init__(
            rows,
            media_type=CSV_MEDIA_TYPE,
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )
        self.fields = tuple(field.name for field in msgspec.structs.fields(row_type))

    def render(self, content: Any, media_type: str, enc_hook: Any = None) -> bytes:
        """Header of the struct's field names, then one line per row."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(self.fields)
        for row in msgspec.to_builtins(content):
            writer.writerow([_cell(row[name]) for name in self.fields])
        return out.getvalue().encode()


def reply(
    rows: list[Row], row_type: type[Row], route: str, csv_wanted: bool, f: DashboardFilter
) -> Response[list[Row]]:
    """The rows as JSON, or as a CSV attachment named <route>-<slug>-<days>d.csv."""
    if not csv_wanted:
        return Response(rows, media_type=MediaType.JSON)
    return CsvResponse(rows, row_type, f"{route}-{f.workspace_slug}-{f.window.days}d.csv")
