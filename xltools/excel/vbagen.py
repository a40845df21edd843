"""VBA module sources the add-in is built from: generated UDF wrappers and xlwings' runtime.

Everything here returns module text in the form Office stores it (Attribute lines first, CRLF
line ends, ASCII only, so the project's code page never matters). ``macros/generate.py`` writes
these into ``macros/``; the build compiles ``macros/`` as it stands.
"""
from __future__ import annotations

import importlib.metadata
import importlib.util
import re
from pathlib import Path

from .udf_specs import CATEGORY, SPECS, UDF_MODULE, UdfSpec

PROJECT_NAME = "xltools"
CRLF = "\r\n"
CLASS_BASE = "0{FCFB3D2A-A0FA-1068-A738-08002B3371B5}"
WORKBOOK_BASE = "0{00020819-0000-0000-C000-000000000046}"
WORKSHEET_BASE = "0{00020820-0000-0000-C000-000000000046}"
# Excel's error values by the text the UDFs return for them (CVErr numbers, xlErr* constants).
ERROR_CODES = {"#NULL!": 2000, "#DIV/0!": 2007, "#VALUE!": 2015, "#REF!": 2023, "#NAME?": 2029,
               "#NUM!": 2036, "#N/A": 2042}

_VERSION_LINE = re.compile(r'^Public Const XLWINGS_VERSION As String = "([^"]*)"', re.M)
_PROJECT_LINE = re.compile(r'^Public Const PROJECT_NAME As String = "[^"]*"', re.M)


class VbaSourceError(RuntimeError):
    """The installed xlwings does not look as expected (missing files, changed layout)."""


def xlwings_dir() -> Path:
    """The installed xlwings package folder, found without importing xlwings."""
    spec = importlib.util.find_spec("xlwings")
    if spec is None or spec.origin is None:
        raise VbaSourceError("xlwings is not installed (pip install xlwings)")
    return Path(spec.origin).parent


def installed_xlwings_version() -> str | None:
    """The xlwings version pip installed here, or None."""
    try:
        return importlib.metadata.version("xlwings")
    except importlib.metadata.PackageNotFoundError:
        return None


def xlwings_version_of(source: str) -> str | None:
    """The XLWINGS_VERSION constant of an xlwings runtime module's source, or None."""
    m = _VERSION_LINE.search(source)
    return m.group(1) if m else None


def _read_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("cp1252")
    except OSError as exc:
        raise VbaSourceError(f"cannot read {path}: {exc}") from None


def xlwings_runtime_source(folder: Path | None = None) -> str:
    """xlwings' custom-add-in module (``xlwings_custom_addin.bas``) with PROJECT_NAME "xltools".

    PROJECT_NAME decides where the add-in reads its settings: ``%USERPROFILE%\\.xltools\\
    xltools.conf`` on Windows and ``xltools.conf`` in Excel's sandbox home on macOS.

    Raises:
        VbaSourceError: when the file is missing or no longer has the constants this relies on.
    """
    folder = folder or xlwings_dir()
    text = _read_text(folder / "xlwings_custom_addin.bas")
    if not _VERSION_LINE.search(text):
        raise VbaSourceError("xlwings_custom_addin.bas has no XLWINGS_VERSION constant")
    text, n = _PROJECT_LINE.subn(f'Public Const PROJECT_NAME As String = "{PROJECT_NAME}"', text)
    if n != 1:
        raise VbaSourceError("xlwings_custom_addin.bas: expected one PROJECT_NAME constant")
    return _crlf(text)


def dictionary_class_source(folder: Path | None = None) -> str:
    """xlwings' Dictionary class (Scripting.Dictionary for macOS) in stored form.

    The xlwings module declares ``Dim d As Dictionary`` on macOS, so without this class the
    module would not compile there. An exported .cls starts with a VERSION/BEGIN/END header
    that is not part of the stored source; Office also stores VB_Base, VB_TemplateDerived and
    VB_Customizable for class modules, which the export leaves out.
    """
    folder = folder or xlwings_dir()
    return class_module_source(_read_text(folder / "addin" / "Dictionary.cls"))


def class_module_source(exported: str) -> str:
    """An exported class module (.cls file) as Office stores it in the project."""
    lines = _crlf(exported).split(CRLF)
    start = next((i for i, line in enumerate(lines) if line.startswith("Attribute VB_Name")), None)
    if start is None:
        raise VbaSourceError("class module without Attribute VB_Name")
    lines = lines[start:]
    out = [lines[0], f'Attribute VB_Base = "{CLASS_BASE}"']
    i = 1
    while (i < len(lines) and lines[i].startswith("Attribute VB_")
           and not lines[i].startswith("Attribute VB_Description")):
        out.append(lines[i])
        if lines[i].startswith("Attribute VB_Exposed"):
            out += ["Attribute VB_TemplateDerived = False", "Attribute VB_Customizable = False"]
        i += 1
    out += lines[i:]
    return CRLF.join(out)


def document_module_source(name: str, base: str, body: str = "") -> str:
    """A workbook or worksheet code module: its fixed attributes, then ``body``."""
    head = [f'Attribute VB_Name = "{name}"', f'Attribute VB_Base = "{base}"',
            "Attribute VB_GlobalNameSpace = False", "Attribute VB_Creatable = False",
            "Attribute VB_PredeclaredId = True", "Attribute VB_Exposed = True",
            "Attribute VB_TemplateDerived = False", "Attribute VB_Customizable = True"]
    return CRLF.join(head) + CRLF + _crlf(body)


def _crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", CRLF)


def zh_expr(text: str, width: int = 24) -> list[str]:
    """VBA statements that build ``text`` in a variable ``s`` from UTF-16 code units.

    VBA source lives in the project's ANSI code page, so Chinese cannot be written as a
    literal and still read correctly on every system; ChrW of each code unit always works.
    """
    units = text.encode("utf-16-le")
    codes = [f"{int.from_bytes(units[i:i + 2], 'little'):X}" for i in range(0, len(units), 2)]
    out = ['s = ""']
    for i in range(0, len(codes), width):
        out.append(f's = s & Zh("{" ".join(codes[i:i + width])}")')
    return out


def udf_module_source(specs: tuple[UdfSpec, ...] = SPECS) -> str:
    """The XltUdfs module: one VBA wrapper per UDF, the error mapping and the wizard registration.

    Each wrapper is what ``xlwings.udfs.generate_vba_wrapper`` writes for an add-in (call
    ``XLPy.CallUDF`` with ActiveWorkbook and the caller; on failure show the error text),
    except that a returned "#VALUE!"-style text becomes the real Excel error value.
    """
    w: list[str] = [
        'Attribute VB_Name = "XltUdfs"',
        "' Generated by macros/generate.py from xltools/excel/udf_specs.py. Do not edit: regenerate.",
        "' Worksheet functions of the xltools add-in; each one calls the Python function of the same",
        f"' name in {UDF_MODULE} through xlwings.",
        "#Const App = \"Microsoft Excel\"",
        "Option Explicit",
        "",
    ]
    for spec in specs:
        w += _wrapper(spec)
    w += [
        "' Python returns Excel's error values as their text; turn that text into the error itself.",
        "Private Function XltResult(ByVal v As Variant) As Variant",
        "    If VarType(v) = vbString Then",
        "        Select Case v",
    ]
    for text, code in ERROR_CODES.items():
        w.append(f'            Case "{text}": XltResult = CVErr({code})')
    w += [
        "            Case Else: XltResult = v",
        "        End Select",
        "    Else",
        "        XltResult = v",
        "    End If",
        "End Function",
        "",
        "' A string from space-separated UTF-16 code units in hex (keeps this module ASCII).",
        "Private Function Zh(ByVal codes As String) As String",
        "    Dim parts() As String, i As Long, s As String",
        "    parts = Split(codes, \" \")",
        "    For i = LBound(parts) To UBound(parts)",
        "        s = s & ChrW(CLng(\"&H\" & parts(i)))",
        "    Next i",
        "    Zh = s",
        "End Function",
        "",
        "' Shows each function's Chinese description, argument help and the \"xltools\" category in",
        "' the Insert Function dialog. Called from ThisWorkbook's Workbook_Open; never fatal.",
        "Public Sub XltRegisterUdfs()",
        "    Dim s As String, d As String, a() As String",
        "    On Error Resume Next",
    ]
    for spec in specs:
        w.append(f"    ' {spec.name}")
        w += ["    " + line for line in zh_expr(spec.description_zh)]
        w.append("    d = s")
        w.append(f"    ReDim a(0 To {len(spec.args) - 1})")
        for i, arg in enumerate(spec.args):
            w += ["    " + line for line in zh_expr(f"{arg.label_zh}：{arg.doc_zh}")]
            w.append(f"    a({i}) = s")
        w.append(f"    Application.MacroOptions Macro:=\"'\" & ThisWorkbook.Name & \"'!{spec.name}\", "
                 f"Description:=d, Category:=\"{CATEGORY}\", ArgumentDescriptions:=a")
        w.append("    Err.Clear")
    w += ["End Sub", ""]
    return CRLF.join(w)


def _wrapper(spec: UdfSpec) -> list[str]:
    params = ", ".join(("Optional " if a.optional else "") + a.name for a in spec.args)
    call_args = ", ".join(a.name for a in spec.args)
    call = f'XLPy.CallUDF("{UDF_MODULE}", "{spec.name}", Array({call_args})'
    return [
        f"Function {spec.name}({params})",
        '    #If App = "Microsoft Excel" Then',
        "        If TypeOf Application.Caller Is Range Then On Error GoTo failed",
        f"        {spec.name} = XltResult({call}, ActiveWorkbook, Application.Caller))",
        "        Exit Function",
        "    #Else",
        f"        {spec.name} = XltResult({call}))",
        "        Exit Function",
        "    #End If",
        "failed:",
        f"    {spec.name} = Err.Description",
        "End Function",
        "",
    ]


def generated_modules() -> dict[str, str]:
    """File name in ``macros/`` → source, for every module ``macros/generate.py`` writes."""
    return {
        "XltUdfs.bas": udf_module_source(),
        "xlwings.bas": xlwings_runtime_source(),
        "Dictionary.cls": dictionary_class_source(),
    }


def stale_modules(macros: Path) -> list[str]:
    """The generated files in ``macros`` that differ from what would be generated now."""
    out = []
    for name, text in generated_modules().items():
        path = macros / name
        if not path.exists() or path.read_bytes() != text.encode("cp1252"):
            out.append(name)
    return out
