"""CSV for spreadsheets: cells a spreadsheet would run as a formula are defused.

A name or note typed as ``=HYPERLINK(…)`` or ``+62…`` would otherwise be read as a
formula by Excel or LibreOffice (CSV injection): such a cell gets a leading apostrophe, which the
spreadsheet shows as plain text. The ``csv`` module does the quoting of commas, quotes and line
breaks.
"""

import csv
import io

from django.http import HttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_response(filename: str, header: list[str], rows) -> HttpResponse:
    """A CSV download, UTF-8 with a byte-order mark so Excel reads the accents right."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([csv_cell(str(h)) for h in header])
    for row in rows:
        writer.writerow([csv_cell(cell) for cell in row])
    response = HttpResponse("\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
