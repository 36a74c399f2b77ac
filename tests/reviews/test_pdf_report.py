"""``accessbot review report --format pdf``: every item with its decision, reviewer, reason, time, the
removal's confirmation and the audit seq; hostile names (bidi overrides, scripts a core font cannot
encode, control characters) never break it and are shown as visible code points."""

from __future__ import annotations

import re
import zlib

import typer
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli.review import review_app
from bot.directory import service as directory
from bot.domain.enums import Trigger
from bot.operations import perform
from bot.reviews import decide as decisions
from bot.reviews import queries
from bot.reviews.report_pdf import safe
from bot.store.models import AuditEvent, ReviewItem
from tests.reviews.conftest import holding

cli = typer.Typer()
cli.add_typer(review_app, name="review")
HOSTILE = "Ali\u202ece \u0410\u043b\u0438\u0441\u0430 \U0001F600 (x) \\ \x07 \u200b"


def pdf_text(data: bytes) -> str:
    """The text shown by a PDF fpdf2 wrote with a core font: the literal strings of its page streams."""
    assert data.startswith(b"%PDF-")
    shown = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            content = zlib.decompress(stream)
        except zlib.error:
            continue
        for literal in re.findall(rb"\((.*?)(?<!\\)\)\s*Tj", content, re.S):
            shown.append(re.sub(rb"\\(.)", rb"\1", literal).decode("latin-1"))
    return " ".join(shown)


def test_the_pdf_report_lists_every_decision_with_its_audit_seq(world, deps, tmp_path):
    holding(world, "alice@acme.test", "github:member")
    holding(world, "olga@acme.test", "github:member")
    run = CliRunner().invoke
    assert run(cli, ["review", "start", "github-owners", "--as", "ivan@acme.test"], obj=deps).exit_code == 0
    with world.store.uow() as s:
        alice = s.scalar(select(ReviewItem.id).where(ReviewItem.holder_id == directory.require(s, "alice@acme.test").id))
    perform(deps, world.ctx("olga@acme.test", Trigger.SLACK).actor, "review.decide", lambda s, ctx: decisions.decide(
        s, ctx, item_id=alice, reviewer=directory.require(s, "olga@acme.test"), verdict="revoke",
        reason="moved team " + HOSTILE))
    assert run(cli, ["review", "close", "github-owners", "--as", "ivan@acme.test"], obj=deps).exit_code == 0
    world.run()  # the removals reach the target
    out = tmp_path / "evidence.pdf"
    written = run(cli, ["review", "report", "github-owners", "--format", "pdf", "--output", str(out)], obj=deps)
    assert written.exit_code == 0, written.output
    text = pdf_text(out.read_bytes())
    with world.store.uow() as s:
        seqs = s.scalars(select(AuditEvent.seq).where(AuditEvent.action == "review.decided")
                         .order_by(AuditEvent.seq)).all()
        rows = queries.report_rows(s, queries.find_campaign(s, "github-owners"))
    assert len(seqs) == 2
    for row, seq in zip(rows, seqs, strict=True):
        assert f"Item {row['item_id']} " in text and f"Audit seq: {seq}" in text
        assert row["revoke_confirmed_at"] and row["revoke_confirmed_at"] in text
    assert "alice@acme.test" in text and "olga@acme.test" in text and "by the deadline" in text
    assert "not reviewed by the deadline of campaign github-owners" in text and "by the reviewer" in text
    assert "moved team Ali<U+202E>ce <U+0410>" in text and "(x) \\" in text
    # stdout is the same document
    assert run(cli, ["review", "report", "1", "--format", "pdf"], obj=deps).stdout_bytes.startswith(b"%PDF-")


def test_hostile_unicode_is_shown_as_code_points():
    shown = safe(HOSTILE)
    assert shown.encode("latin-1")  # a core font can encode all of it
    assert "<U+202E>" in shown and "<U+0410>" in shown and "<U+1F600>" in shown and "<U+0007>" in shown
    assert "<U+200B>" in shown and "(x) \\" in shown
