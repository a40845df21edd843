"""Golden files: each kind built from samples/master.xlsx equals tests/golden/<kind>.xlsx part by part.

Parts are compared as canonical XML after volatile content is normalised (XlsxWriter's
comparison tests do the same). Goldens change only through scripts/regen_goldens.py.
"""
from __future__ import annotations

import difflib
import importlib.util
import re
import zipfile
from pathlib import Path

import pytest
from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
_spec = importlib.util.spec_from_file_location("regen_goldens", ROOT / "scripts" / "regen_goldens.py")
regen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(regen)

_VOLATILE = [
    (re.compile(rb"<dcterms:(created|modified)[^>]*>[^<]*</dcterms:\1>"), b""),
    (re.compile(rb'\scalcId="\d+"'), b""),
]


def _canonical(name: str, data: bytes) -> str:
    for pattern, repl in _VOLATILE:
        data = pattern.sub(repl, data)
    if name.endswith((".xml", ".rels")):
        root = etree.fromstring(data, etree.XMLParser(remove_blank_text=True))
        return etree.tostring(root, method="c14n").decode("utf-8")
    return data.hex()


def _parts(path: Path) -> dict[str, str]:
    with zipfile.ZipFile(path) as z:
        return {n: _canonical(n, z.read(n)) for n in z.namelist()}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    return regen.build_picks(tmp_path_factory.mktemp("golden"))


@pytest.mark.parametrize("kind", sorted(regen.PICKS))
def test_form_matches_its_golden_part_by_part(built, kind):
    got, want = _parts(built[kind]), _parts(GOLDEN / f"{kind}.xlsx")
    assert sorted(got) == sorted(want), "package parts differ"
    for name in sorted(want):
        if got[name] != want[name]:
            diff = "\n".join(difflib.unified_diff(want[name].replace("><", ">\n<").splitlines(),
                                                  got[name].replace("><", ">\n<").splitlines(),
                                                  "golden", "built", lineterm="", n=1))
            pytest.fail(f"{kind}: part {name} differs (run scripts/regen_goldens.py if intended):\n{diff[:3000]}")


def test_goldens_are_byte_identical_rebuilds(built):
    # the builder is deterministic, so a regenerated golden is the same bytes, not just the same XML
    for kind, path in built.items():
        assert path.read_bytes() == (GOLDEN / f"{kind}.xlsx").read_bytes(), kind
