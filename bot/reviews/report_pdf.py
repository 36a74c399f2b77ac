"""The evidence report as a PDF for auditors: the same rows as the csv/jsonl report (queries.report_rows),
one block per item, with the campaign's totals on top.

Names come from HR, SCIM and vendors: untrusted. The PDF uses a core font (no font file to ship), which
encodes Latin-1 only, so every other character, and every control or format character (bidi overrides,
zero-width joiners, which could make a name read as another), is written as a visible ``<U+202E>`` code:
the auditor sees exactly what was stored, and no input can fail the rendering.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import TYPE_CHECKING

from bot.reviews.queries import Progress

if TYPE_CHECKING:
    from fpdf import FPDF

FONT = "Helvetica"
HOW = {"reviewer": "by the reviewer", "bulk": "in bulk (keep all remaining)", "deadline": "by the deadline's default",
       "ended": "closed itself (the access had ended)"}


def safe(value: object) -> str:
    """Printable Latin-1 only; anything else as a visible <U+XXXX> code."""
    out = []
    for char in str(value if value is not None else ""):
        if char in "\n\t":
            out.append(" ")
        elif ord(char) > 0xFF or unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn"):
            out.append(f"<U+{ord(char):04X}>")
        else:
            out.append(char)
    return "".join(out)


def render_pdf(progress: Progress, rows: list[dict], *, generated_at: datetime) -> bytes:
    # Imported here: fpdf (and fontTools) took 0.9 s of every start-up of `accessbot serve`'s two
    # processes under load (python -X importtime), for a report that is rarely asked for.
    from fpdf import FPDF

    pdf = FPDF(orientation="portrait", format="A4")
    pdf.set_creation_date(generated_at)
    pdf.set_title(safe(f"Access review {progress.name} #{progress.campaign_id}"))
    pdf.set_author("accessbot")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.alias_nb_pages()
    pdf.add_page()
    _heading(pdf, progress, len(rows), generated_at)
    for row in rows:
        _item(pdf, row)
    return bytes(pdf.output())


def _heading(pdf: FPDF, progress: Progress, count: int, generated_at: datetime) -> None:
    pdf.set_font(FONT, "B", 15)
    pdf.multi_cell(0, 8, safe(f"Access review evidence: {progress.name} (run #{progress.campaign_id})"),
                   new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 9)
    counts = ", ".join(f"{k} {v}" for k, v in sorted(progress.by_status.items())) or "no items"
    for line in (f"Status {progress.status}; {progress.decided} of {progress.total} reviewed; "
                 f"due {progress.due_at:%Y-%m-%d %H:%M} UTC; {counts}.",
                 f"{count} item(s). Generated {generated_at:%Y-%m-%d %H:%M:%S} UTC by accessbot.",
                 "Each decision names its audit seq: the review.decided event at that position of the hash-chained "
                 "audit log repeats the decision, reason and reviewer (check the chain with `accessbot audit verify`)."):
        pdf.multi_cell(0, 5, safe(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)


def _item(pdf: FPDF, row: dict) -> None:
    subject = f"grant #{row['grant_id']}" if row["grant_id"] not in ("", None) else "no grant"
    decided = (f"{row['decision']} {HOW.get(row['decided_how'], row['decided_how'])}"
               f"{' by ' + str(row['decided_by']) if row['decided_by'] else ''}"
               f"{' at ' + row['decided_at'] if row['decided_at'] else ''}")
    lines = [
        ("B", f"Item {row['item_id']} ({row['kind']}, {subject}): {row['holder']} / {row['entitlement']}"),
        ("", f"System {row['connector']}; risk {row['risk']}; held since {row['held_since'] or 'unknown'}; "
             f"granted {row['granted_how']}{' by ' + str(row['granted_by']) if row['granted_by'] else ''}"),
        ("", f"Reviewer {row['reviewer']}; decision {decided}"),
        ("", f"Reason: {row['reason'] or '-'}"),
    ]
    if row["revoke_status"]:
        confirmed = row["revoke_confirmed_at"] or "not confirmed yet"
        lines.append(("", f"Removal at {row['connector']}: {row['revoke_status']}; confirmed by the target: {confirmed}"))
    lines.append(("", f"Audit seq: {row['audit_seq'] if row['audit_seq'] != '' else '-'}"))
    for style, text in lines:
        pdf.set_font(FONT, style, 9)
        pdf.multi_cell(0, 4.5, safe(text), new_x="LMARGIN", new_y="NEXT", wrapmode="CHAR")
    pdf.ln(2)
