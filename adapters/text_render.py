"""Plain-text rendering of neutral replies (aligned monospace tables), shared by text-only adapters."""

from __future__ import annotations

from collections.abc import Sequence

from fxbot.chat.types import Reply, Table


def render_table(table: Table) -> str:
    """A table as aligned monospace columns; numbers right-aligned unless `align` says otherwise."""
    columns = len(table.headers)
    rows = [tuple(table.headers), *(tuple(row) + ("",) * (columns - len(row)) for row in table.rows)]
    widths = [max(len(str(row[i])) for row in rows) for i in range(columns)]
    align = table.align or tuple("r" if _numeric_column(table.rows, i) else "l" for i in range(columns))
    lines = []
    for index, row in enumerate(rows):
        cells = []
        for i in range(columns):
            cell = str(row[i])
            cells.append(cell.rjust(widths[i]) if align[i] == "r" and index else cell.ljust(widths[i]))
        lines.append("  ".join(cells).rstrip())
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _numeric_column(rows: Sequence[Sequence[str]], index: int) -> bool:
    values = [row[index] for row in rows if index < len(row) and row[index]]
    if not values:
        return False
    return all(_looks_number(v) for v in values)


def _looks_number(text: str) -> bool:
    cleaned = text.replace(",", "").replace("%", "").replace("+", "").strip()
    try:
        float(cleaned)
    except ValueError:
        return False
    return True


def render_reply_text(reply: Reply) -> str:
    """Title, text blocks and table of a reply as plain text (buttons and images are the adapter's)."""
    parts: list[str] = []
    if reply.title:
        parts.append(reply.title)
    parts.extend(block for block in reply.text if block)
    if reply.table is not None:
        parts.append(render_table(reply.table))
    return "\n".join(parts)
