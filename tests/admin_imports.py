"""The admin's import pages, used as a person would: upload a file to preview it, confirm the
preview, and read the counts and problems the page shows."""

import io

CSV, XLSX = "0", "1"  # the import form's file formats


def upload(client, url: str, content: str | bytes, name: str, file_format: str = CSV, **fields):
    """Upload a file on an admin import page: the preview step."""
    upload_file = io.BytesIO(content.encode() if isinstance(content, str) else content)
    upload_file.name = name
    return client.post(url, {"import_file": upload_file, "format": file_format, "resource": "0", **fields})


def confirm(client, url: str, preview):
    """Press 'Confirm import' on a preview page."""
    return client.post(url, preview.context["confirm_form"].initial, follow=True)


def totals(response) -> dict:
    result = response.context["result"]
    return {kind: result.totals[kind] for kind in ("new", "update", "skip", "invalid")}


def problems(response) -> list[tuple[int, str, str]]:
    """Every invalid row's problems as (row as a spreadsheet numbers it, column, message)."""
    return [
        (row.number + 1, column, message)
        for row in response.context["result"].invalid_rows
        for column, messages in row.error_dict.items()
        for message in messages
    ]


def problem_cells(response) -> set[tuple[int, str]]:
    """Where the problems are: (row, column) of each."""
    return {(row, column) for row, column, _ in problems(response)}
