"""A template restyled by hand (a logo and a seal image, a moved column, other fonts) builds, and
the images and styles are in every output; the seal below the repeating rows moves with them."""
from __future__ import annotations

import re
import struct
import zipfile
import zlib
from pathlib import Path

import openpyxl
import pytest
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Font

from xltools.templating.builder import build_all
from xltools.templating.compiler import compile_template

ROOT = Path(__file__).resolve().parent.parent
MASTER = ROOT / "samples" / "master.xlsx"
KIND = "project-selfeval"


def _png(width: int = 8, height: int = 4) -> bytes:
    """A tiny valid PNG (solid red), written by hand so the test needs no imaging library."""
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


_ANCHOR = ('<xdr:oneCellAnchor><xdr:from><xdr:col>{col}</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>{row}</xdr:row>'
           '<xdr:rowOff>0</xdr:rowOff></xdr:from><xdr:ext cx="952500" cy="476250"/><xdr:pic><xdr:nvPicPr>'
           '<xdr:cNvPr id="{id}" name="{name}"/><xdr:cNvPicPr><a:picLocks noChangeAspect="1"/></xdr:cNvPicPr>'
           '</xdr:nvPicPr><xdr:blipFill><a:blip r:embed="rIdImg"/><a:stretch><a:fillRect/></a:stretch></xdr:blipFill>'
           '<xdr:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="952500" cy="476250"/></a:xfrm><a:prstGeom prst="rect">'
           '<a:avLst/></a:prstGeom></xdr:spPr></xdr:pic><xdr:clientData/></xdr:oneCellAnchor>')


def _add_images(path: Path, sheet_part: str, anchors: list[tuple[int, int, str]]) -> None:
    """Put a logo and a seal on the sheet the way Excel stores pictures (drawing part + media)."""
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    drawing = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<xdr:wsDr '
               'xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing" '
               'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
               'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
               + "".join(_ANCHOR.format(col=c, row=r, id=k + 2, name=n) for k, (r, c, n) in enumerate(anchors))
               + "</xdr:wsDr>")
    parts["xl/media/logo.png"] = _png()
    parts["xl/drawings/drawing9.xml"] = drawing.encode()
    parts["xl/drawings/_rels/drawing9.xml.rels"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats'
        '.org/package/2006/relationships"><Relationship Id="rIdImg" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/image" Target="../media/logo.png"/></Relationships>').encode()
    rels_name = sheet_part.replace("worksheets/", "worksheets/_rels/") + ".rels"
    rel = ('<Relationship Id="rIdDrawing9" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
           'relationships/drawing" Target="../drawings/drawing9.xml"/>')
    if rels_name in parts:
        parts[rels_name] = parts[rels_name].replace(b"</Relationships>", rel.encode() + b"</Relationships>")
    else:
        parts[rels_name] = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://'
                            'schemas.openxmlformats.org/package/2006/relationships">' + rel + "</Relationships>").encode()
    sheet = parts[sheet_part].decode()
    tag = '<drawing r:id="rIdDrawing9"/>'
    m = re.search(r"<(legacyDrawing|legacyDrawingHF|picture|oleObjects|controls|tableParts|extLst)\b", sheet)
    sheet = sheet[:m.start()] + tag + sheet[m.start():] if m else sheet.replace("</worksheet>", tag + "</worksheet>")
    if 'xmlns:r="' not in sheet[:500]:
        sheet = sheet.replace("<worksheet ", '<worksheet xmlns:r="http://schemas.openxmlformats.org/officeDocument/'
                                            '2006/relationships" ', 1)
    parts[sheet_part] = sheet.encode()
    ct = parts["[Content_Types].xml"].decode()
    if 'Extension="png"' not in ct:
        ct = ct.replace("<Default ", '<Default Extension="png" ContentType="image/png"/><Default ', 1)
    ct = ct.replace("</Types>", '<Override PartName="/xl/drawings/drawing9.xml" ContentType="application/'
                                'vnd.openxmlformats-officedocument.drawing+xml"/></Types>')
    parts["[Content_Types].xml"] = ct.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n, d in parts.items():
            z.writestr(n, d)


@pytest.fixture(scope="module")
def restyled(tmp_path_factory) -> tuple[Path, Path]:
    """The standard self-evaluation template, restyled as a maintainer would in Excel."""
    tmp = tmp_path_factory.mktemp("restyle")
    src = ROOT / "templates" / f"{KIND}.xlsx"
    wb = openpyxl.load_workbook(src)
    ws = wb.worksheets[0]
    # another font everywhere on the form
    for row in ws.iter_rows():
        for c in row:
            c.font = Font(name="楷体", size=c.font.sz or 10, bold=c.font.b)
    # move the 年度指标值 column (F) of the indicator table to where 计量单位 (G) was
    header = next(c.row for c in ws["C"] if c.value == "三级指标")
    block = header + 1
    for row in ws.iter_rows(min_row=header, max_row=block, min_col=6, max_col=7):
        f, g = row
        f.value, g.value = g.value, f.value
        f._style, g._style = g._style, f._style
    # Excel moves the rules with the cells: the "missing target" format now watches column G
    rules = []
    for rng in list(ws.conditional_formatting):
        for rule in rng.rules:
            rules.append((str(rng.sqref), rule))
    ws.conditional_formatting = type(ws.conditional_formatting)()
    for sqref, rule in rules:
        if sqref == f"F{block}":
            sqref = f"G{block}"
            rule = FormulaRule(formula=[f.replace("$F", "$G") for f in rule.formula], fill=rule.dxf.fill,
                               font=rule.dxf.font)
        ws.conditional_formatting.add(sqref, rule)
    out = tmp / "restyled.xlsx"
    wb.save(out)
    grade_row = next(c.row for c in ws["A"] if c.value == "评价等级")
    ct = compile_template(src)
    _add_images(out, ct.sheet_part, [(0, 10, "logo"), (grade_row - 1, 10, "seal")])
    return out, tmp


def test_restyled_template_builds_and_keeps_images_fonts_and_the_moved_column(restyled):
    tpl, tmp = restyled
    ct = compile_template(tpl)
    assert ct.column_of("ind.target") == 7 and ct.column_of("ind.unit") == 6
    out = tmp / "out"
    r = build_all(MASTER, out, template=tpl, kinds=[KIND])
    assert r.exit_code == 0, r.message
    files = sorted(out.rglob("*.xlsx"))
    assert len(files) == 9
    for f in files:
        with zipfile.ZipFile(f) as z:
            names = z.namelist()
            assert "xl/media/logo.png" in names and z.read("xl/media/logo.png") == _png()
            assert "楷体" in z.read("xl/styles.xml").decode()
            drawing = z.read("xl/drawings/drawing9.xml").decode()
        ws = openpyxl.load_workbook(f).worksheets[0]
        header = next(c.row for c in ws["C"] if c.value == "三级指标")
        first_target = ws.cell(header + 1, 7).value
        assert isinstance(first_target, str) and first_target  # targets land in the moved column
        assert ws.cell(header, 7).value == "年度指标值"
        grade = next(c.row for c in ws["A"] if c.value == "评价等级")
        rows = [int(x) for x in re.findall(r"<xdr:row>(\d+)</xdr:row>", drawing)]
        assert rows == [0, grade - 1]  # the logo stays, the seal follows the grade row
        assert ws["A1"].font.name == "楷体"
        cf = {str(r.sqref) for r in ws.conditional_formatting}
        assert any(s.startswith(f"G{header + 1}:G") for s in cf)


def test_restyled_forms_recalculate_like_the_engine(restyled, tmp_path):
    from xltools.io.libreoffice import recalc
    tpl, tmp = restyled
    out = tmp / "out2"
    build_all(MASTER, out, template=tpl, kinds=[KIND])
    files = sorted(out.rglob("*.xlsx"))[:3]
    flat = []
    for k, f in enumerate(files):
        p = tmp_path / f"f{k}.xlsx"
        p.write_bytes(f.read_bytes())
        flat.append(p)
    recalculated = recalc(flat, tmp_path / "lo")
    for g, r in zip(flat, recalculated):
        mine = openpyxl.load_workbook(g, data_only=True).worksheets[0]
        lo = openpyxl.load_workbook(r, data_only=True).worksheets[0]
        formulas = [c.coordinate for row in openpyxl.load_workbook(g).worksheets[0].iter_rows() for c in row
                    if isinstance(c.value, str) and c.value.startswith("=")]
        for a in formulas:
            x, y = mine[a].value, lo[a].value
            if isinstance(x, (int, float)) and isinstance(y, (int, float)):
                assert round(x, 2) == round(y, 2), (g.name, a, x, y)
            else:
                assert (x or "") == (y or ""), (g.name, a, x, y)
