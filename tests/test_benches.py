"""Every benchmark under bench/ starts from a clean checkout: a module renamed in the code must not
leave a bench that fails at import (scale_mover.py did, after the restructure). ``--help`` imports
everything a bench needs and runs nothing. One child process runs them all, as ``python bench/x.py``
would (the bench folder first on sys.path), so the shared imports are paid once."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = sorted(p.name for p in (ROOT / "bench").glob("*.py") if "__main__" in p.read_text())

RUN_EACH = r"""
import contextlib, io, json, runpy, sys, traceback
results = {}
for name in sys.argv[1:]:
    path = "bench/" + name
    sys.argv, out = [path, "--help"], io.StringIO()
    sys.path.insert(0, "bench")
    try:
        with contextlib.redirect_stdout(out):
            runpy.run_path(path, run_name="__main__")
        results[name] = "no SystemExit from --help"
    except SystemExit as done:
        results[name] = "ok" if done.code in (0, None) and "usage:" in out.getvalue() else f"exit {done.code}"
    except BaseException:
        results[name] = traceback.format_exc(limit=3)
    finally:
        sys.path.remove("bench")
print(json.dumps(results))
"""


def test_every_bench_starts():
    assert len(SCRIPTS) >= 10
    done = subprocess.run([sys.executable, "-c", RUN_EACH, *SCRIPTS], capture_output=True, text=True, timeout=300,
                          cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads(done.stdout.strip().splitlines()[-1])
    assert {name: outcome for name, outcome in results.items() if outcome != "ok"} == {}
    assert sorted(results) == SCRIPTS
