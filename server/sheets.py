"""A sheet as a file: CSV (UTF-8 with a BOM, so spreadsheet programs read the Indonesian text right),
XLSX (openpyxl) or JSON."""

from __future__ import annotations

import csv
import io
import json

from openpyxl import Workbook

from service.exports import Sheet

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json; charset=utf-8",
}


def render(sheet: Sheet, fmt: str) -> bytes:
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(sheet.columns)
        writer.writerows(sheet.rows)
        return ("\ufeff" + out.getvalue()).encode("utf-8")
    if fmt == "xlsx":
        book = Workbook(write_only=True)
        page = book.create_sheet(sheet.name[:31])  # Excel's limit on a sheet's name
        page.append(list(sheet.columns))
        for row in sheet.rows:
            page.append(list(row))
        out_bytes = io.BytesIO()
        book.save(out_bytes)
        return out_bytes.getvalue()
    return json.dumps({"sheet": sheet.name, "rows": sheet.as_records()}, ensure_ascii=False, indent=1).encode()
