"""`/_sim/sdk/stream` (no key): SDK-only stream faults — a `warning` frame, a malformed frame, a silence."""

from __future__ import annotations

import math
from typing import Any

from fastapi import APIRouter, Request

from fxbot.simulator.errors import SimError
from fxbot.simulator.request_parsing import bad_request, read_json_object, reject_unknown
from fxbot.simulator.sdk_face import SdkFace

router = APIRouter(prefix="/_sim/sdk")

MAX_SILENCE_S = 3600
_FIELDS = ("warning", "malformed", "silence_s", "account_id")


@router.post("/stream")
async def stream_faults(request: Request) -> dict[str, Any]:
    """Act on every open SDK stream (or those of `account_id`): answers how many connections it reached."""
    face = request.app.state.sdk
    assert isinstance(face, SdkFace)
    body = await read_json_object(request)
    reject_unknown(body, _FIELDS, "an SDK stream fault")
    if not any(name in body for name in _FIELDS[:3]):
        raise bad_request('send {"warning": N}, {"malformed": true} and/or {"silence_s": S}')
    warning = body.get("warning", 0)
    if isinstance(warning, bool) or not isinstance(warning, int) or warning < 0:
        raise bad_request("'warning' must be a whole number >= 0 (the dropped count the frame reports)")
    malformed = body.get("malformed", False)
    if not isinstance(malformed, bool):
        raise bad_request("'malformed' must be true or false")
    silence = body.get("silence_s")
    if silence is not None and (
        isinstance(silence, bool) or not isinstance(silence, int | float) or not math.isfinite(silence)
    ):
        raise bad_request("'silence_s' must be a number of seconds (0 ends a silence)")
    if silence is not None and not 0 <= silence <= MAX_SILENCE_S:
        raise bad_request(f"'silence_s' must be between 0 and {MAX_SILENCE_S}")
    account_id = body.get("account_id")
    if account_id is not None and account_id not in face.engine.account_ids():
        raise SimError(404, "not_found", f"account {account_id!r} not found")
    reached = face.streams.inject(account_id=account_id, warning=warning, malformed=malformed,
                                  silence_s=None if silence is None else float(silence))  # fmt: skip
    return {"connections": reached}
