"""The demo's Block Kit → text renderer."""

from __future__ import annotations

from bot.demo.blocktext import readable, render_blocks
from bot.slack.views import common as ui

NAMES = {"U0ALICE001": "Alice Nguyen", "C0ITOPS001": "it-ops"}


def test_mrkdwn_reads_as_a_person_sees_it():
    text = ("*Hi* <@U0ALICE001>, see <#C0ITOPS001> and <https://x.example|the docs>: ends "
            "<!date^1793610000^{date_short_pretty}|2026-11-02 09:00 UTC> &lt;b&gt; @\u2060here")
    assert readable(text, NAMES) == "Hi @Alice Nguyen, see #it-ops and the docs: ends 2026-11-02 09:00 UTC <b> @here"
    assert readable("<@U0NOBODY|bob>", NAMES) == "@bob"


def test_blocks_become_lines_with_buttons_in_brackets():
    blocks = [ui.header("Access request #3"), *ui.fields([("Requester", "<@U0ALICE001>"), ("Duration", "4 hours")]),
              ui.context("first", "second"), ui.actions(ui.button("Approve", "approve"), ui.button("Deny", "deny")),
              ui.divider()]
    assert render_blocks(blocks, NAMES) == ["## Access request #3", "Requester: @Alice Nguyen", "Duration: 4 hours",
                                            "  first · second", "[Approve] [Deny]", "----"]
