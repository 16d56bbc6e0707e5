"""A reply carrying a document (a CSV export) goes to Telegram as sendDocument with its bytes and file name, over
the fake Bot API and over real loopback HTTP."""

from __future__ import annotations

from fxbot.chat.types import Document, Reply
from tests.fakes.telegram_api import FakeBotApi
from tests.fakes.telegram_transports import serve_bot_api
from tests.integration.telegram.test_adapter import ALICE, PRIVATE, ScriptedCore, running

CSV = Document(b"ticket,symbol\n1,EURUSD\n", "history-20260402.csv", caption="1 closed trade(s)",
               mime_type="text/csv")


async def test_an_export_goes_as_a_document_with_its_caption() -> None:
    api = FakeBotApi()
    core = ScriptedCore(answer=lambda c: [Reply(title="Export: history", text=("1 closed trade(s)",), document=CSV)])
    async with serve_bot_api(api) as base_url, running(api, core, base_url=base_url, poll_timeout_s=1):
        api.send_text(PRIVATE, ALICE, "/export history")
        sent = await api.wait_for("sendDocument")
    assert [data for _, data in sent.files.values()] == [CSV.data]
    assert [name for name, _ in sent.files.values()] == [CSV.filename]
    assert "<b>Export: history</b>" in sent.text
