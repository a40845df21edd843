"""One workbook holding many forms: each form a sheet, sharing the template's styles and lists."""
from __future__ import annotations

import posixpath
import re

from .compiler import CompiledTemplate, _rels_path, _resolve
from .engine import SheetOut, StampOptions, _lists_member, _lists_names, _name_xml, _workbook_level_names, _workbook_xml
from .placeholders import TemplateError
from ..io.xmltext import esc
from .zipwriter import member, zip_bytes

__all__ = ["package_many"]

_WS_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
_WS_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"


def _copy_name(part: str, k: int) -> str:
    stem, ext = posixpath.splitext(part)
    return f"{stem}_f{k}{ext}"


def package_many(ct: CompiledTemplate, sheets: list[SheetOut], opts: StampOptions = StampOptions()) -> bytes:
    """The bytes of one .xlsx whose first sheets are ``sheets`` (rendered from ``ct``), followed by
    the template's other sheets (the hidden list sheet, instructions a designer added)."""
    files = ct.files
    sheet_rels_part = _rels_path(ct.sheet_part)
    sheet_rels = files.get(sheet_rels_part)
    satellites: list[tuple[str, str]] = []  # (target as written, resolved part)
    if sheet_rels:
        for target in re.findall(rb'Target="([^"]+)"', sheet_rels):
            t = target.decode()
            part = _resolve(ct.sheet_part, t)
            if part.endswith((".vml",)) or "comments" in part:
                raise TemplateError("一个工作簿多张表单的模式不支持含批注的模板")
            satellites.append((t, part))
    members = []
    ctypes = files["[Content_Types].xml"].decode("utf-8")
    overrides = []
    rels = files["xl/_rels/workbook.xml.rels"].decode("utf-8")
    form_rid = next(s["rid"] for s in ct.workbook_sheets if s["part"] == ct.sheet_part)
    rels = re.sub(rf'<Relationship [^>]*Id="{form_rid}"[^>]*/>', "", rels)
    new_rels = []
    sheet_elems = []
    names: list[str] = []
    sheet_dir = posixpath.dirname(ct.sheet_part)
    for k, out in enumerate(sheets, start=1):
        part = f"{sheet_dir}/form{k}.xml"
        rid = f"rIdXltForm{k}"
        new_rels.append(f'<Relationship Id="{rid}" Type="{_WS_TYPE}" Target="{posixpath.relpath(part, "xl")}"/>')
        overrides.append(f'<Override PartName="/{part}" ContentType="{_WS_CT}"/>')
        sheet_elems.append(f'<sheet name="{esc(out.sheet_name)}" sheetId="{k}" r:id="{rid}"/>')
        members.append(member(part, out.xml.encode("utf-8")))
        if sheet_rels:
            rel_text = sheet_rels.decode("utf-8")
            for target, sat in satellites:
                copy = _copy_name(sat, k)
                rel_text = rel_text.replace(f'Target="{target}"', f'Target="{posixpath.relpath(copy, posixpath.dirname(ct.sheet_part))}"')
                data = out.drawing.encode("utf-8") if sat == ct.drawing_part and out.drawing is not None else files[sat]
                members.append(member(copy, data))
                sat_rels = files.get(_rels_path(sat))
                if sat_rels is not None:
                    members.append(member(_rels_path(copy), sat_rels))
                ctype = re.search(rf'<Override PartName="/{re.escape(sat)}" ContentType="([^"]+)"/>', ctypes)
                if ctype:
                    overrides.append(f'<Override PartName="/{copy}" ContentType="{ctype.group(1)}"/>')
            members.append(member(_rels_path(part), rel_text.encode("utf-8")))
        for name, attrs, text, _local in out.names:
            names.append(_name_xml(name, attrs, text, k - 1))  # every form name is local to its sheet
    others = [s for s in ct.workbook_sheets if s["part"] != ct.sheet_part]
    for j, s in enumerate(others, start=len(sheets) + 1):
        xml = re.sub(r'sheetId="\d+"', f'sheetId="{j}"', s["xml"])
        sheet_elems.append(xml)
        old = s["index"]
        for n in ct.workbook_names:
            if n["local"] is not None and int(n["local"]) == old:
                names.append(_name_xml(n["name"], n["attrs"], esc(n["text"]), j - 1))
    names += [_name_xml(n, a, t, None) for n, a, t in _workbook_level_names(ct)]
    names += _lists_names(ct, opts.framework)
    wb = _workbook_xml(ct, "".join(sheet_elems), names)
    rels = rels.replace("</Relationships>", "".join(new_rels) + "</Relationships>")
    ctypes = re.sub(rf'<Override PartName="/{re.escape(ct.sheet_part)}"[^>]*/>', "", ctypes)
    for _, sat in satellites:
        ctypes = re.sub(rf'<Override PartName="/{re.escape(sat)}"[^>]*/>', "", ctypes)
    ctypes = ctypes.replace("</Types>", "".join(overrides) + "</Types>")
    skip = {ct.sheet_part, sheet_rels_part, *(p for _, p in satellites), *(_rels_path(p) for _, p in satellites)}
    head = []
    for name, m in ct.constant_members:
        if name in skip:
            continue
        if name == "[Content_Types].xml":
            head.append(member(name, ctypes.encode("utf-8")))
        elif name == "xl/_rels/workbook.xml.rels":
            head.append(member(name, rels.encode("utf-8")))
        elif name == "xl/workbook.xml":
            head.append(member(name, wb.encode("utf-8")))
        elif name == "docProps/app.xml":
            app = files[name].decode("utf-8")
            app = re.sub(r"<HeadingPairs>.*?</HeadingPairs>|<TitlesOfParts>.*?</TitlesOfParts>", "", app, flags=re.S)
            head.append(member(name, app.encode("utf-8")))
        elif name == ct.lists_part:
            head.append(_lists_member(name, opts.framework))
        elif m is not None:
            head.append(m)
    return zip_bytes(head + members)
