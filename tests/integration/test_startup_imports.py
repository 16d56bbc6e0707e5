"""The bot process loads matplotlib, the simulator's web server and FastAPI/uvicorn (the ops endpoint, the webhook
receiver) only when it uses them (idle memory)."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("matplotlib", "numpy", "PIL", "fxbot.simulator.runner", "fxbot.services.chart_render", "fastapi", "uvicorn")


def test_starting_the_bot_imports_no_charting_and_no_simulator() -> None:
    code = ("import json, sys; import fxbot.cli, fxbot.app, fxbot.services.charts, fxbot.services.digests; "
            f"print(json.dumps([m for m in {list(HEAVY)!r} if m in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, timeout=120)
    assert json.loads(out.stdout) == []


def test_the_first_chart_brings_matplotlib() -> None:
    code = ("import json, sys; from zoneinfo import ZoneInfo; from fxbot.services.charts import render_equity_curve; "
            "render_equity_curve([], title='t', currency='USD', zone=ZoneInfo('UTC')); "
            "print(json.dumps('matplotlib' in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, timeout=120)
    assert json.loads(out.stdout) is True
