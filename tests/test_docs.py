"""Docs generated from code must match the code (run scripts/gen_docs.py after changing either).

The check runs in a fresh interpreter: click caches each command's help option on first use,
so help rendered after other tests have invoked commands could differ from a real run.
"""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_generated_docs_are_current():
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_docs.py"), "--check"],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
