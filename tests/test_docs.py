"""Docs generated from code must match the code (run scripts/gen_docs.py after changing either)."""
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load_gen():
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "scripts" / "gen_docs.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_generated_docs_are_current():
    gen = load_gen()
    for rel, make in gen.GENERATED.items():
        assert (ROOT / rel).read_text(encoding="utf-8") == make(), f"{rel} is stale: run python scripts/gen_docs.py"
