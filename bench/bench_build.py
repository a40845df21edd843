"""Benchmark: build N forms with xltools, openpyxl load-fill-save, xltpl, and the raw XML+zip floor.

Usage:
    python bench/bench_build.py [--n 2000] [--kind project-selfeval] [--jobs 1] [--sample 200]
    python bench/bench_build.py --n 10000 --jobs 2 --full-only      # the --jobs 2 target
    python bench/bench_build.py --scan 1000,4000,10000 --jobs 2     # peak memory as N grows

Per-form times of openpyxl, xltpl and the floor are measured on ``--sample`` forms of the same
master (they are slow or need precomputed cells); xltools is measured on all N. Everything
runs in one process, one after another, so the ratios compare like with like.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from make_master import make_master  # noqa: E402
from xltools.templating.builder import build_all, default_template_dir, load_templates  # noqa: E402
from xltools.templating.checks import settings_of  # noqa: E402
from xltools.templating.engine import stamp  # noqa: E402
from xltools.templating.forms import form_data, owners  # noqa: E402
from xltools.templating.master import read_master  # noqa: E402


def peak_mb() -> tuple[float, float]:
    """(this process, largest child) peak resident memory in MB."""
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return me, kids


# --- xltools ------------------------------------------------------------------------------

def bench_xltools(master: Path, kind: str, out: Path) -> dict:
    """Stamp every form of the master in this process: form values + stamp + write."""
    m = read_master(master)
    settings, _ = settings_of(m)
    ct = load_templates([kind])[kind]
    fam = owners(m, unit=kind.startswith("unit"))
    carry = "fund.carryover.budget" in ct.positions
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    for k, o in enumerate(fam):
        data = form_data(m, o, kind, settings, has_carryover_row=carry)
        (out / f"{k:06d}.xlsx").write_bytes(stamp(ct, data))
    dt = time.perf_counter() - t0
    return {"forms": len(fam), "seconds": dt, "ms_per_form": dt / len(fam) * 1000}


def _cpu() -> tuple[float, float, float]:
    """CPU seconds (user + system) of this process and of its finished children, and the
    children's system part (file creation shows up there)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime, kids.ru_stime


def bench_build_all(master: Path, kind: str, out: Path, jobs: int) -> dict:
    """The whole `xltools build`: read the master, run every check, stamp, move into place.

    Besides wall time, the CPU seconds of this process and of the workers: on a machine other
    programs load, wall time varies by 2x from run to run while CPU seconds move much less.
    """
    c0 = _cpu()
    t0 = time.perf_counter()
    r = build_all(master, out, kinds=[kind], jobs=jobs, force=True)
    dt = time.perf_counter() - t0
    c1 = _cpu()
    assert r.written, r.message
    return {"forms": len(r.files), "seconds": dt, "ms_per_form": dt / max(1, len(r.files)) * 1000,
            "exit_code": r.exit_code, "cpu_main": c1[0] - c0[0], "cpu_workers": c1[1] - c0[1],
            "cpu_workers_system": c1[2] - c0[2]}


# --- the floor: the same parts written as strings and zipped ----------------------------------

_CELL = re.compile(r'<c r="([A-Z]+\d+)"([^>]*?)(?:/>|>(.*?)</c>)', re.S)
_ROW = re.compile(r'<row r="(\d+)"([^>]*)>(.*?)</row>', re.S)


def _floor_inputs(xlsx: Path) -> tuple[list[tuple[str, bytes]], str, str, list]:
    """What a hand-written writer would hold before writing: every constant part as text, and
    the sheet's rows as (row, attributes, [(ref, attributes, inner XML)]). Done outside the timing."""
    with zipfile.ZipFile(xlsx) as z:
        parts = [(n, z.read(n)) for n in z.namelist()]
    sheet_name = "xl/worksheets/sheet1.xml"
    sheet = dict(parts)[sheet_name].decode()
    head = sheet[:sheet.index("<sheetData>")]
    tail = sheet[sheet.index("</sheetData>") + len("</sheetData>"):]
    rows = [(int(r), attrs, [(ref, a, inner) for ref, a, inner in _CELL.findall(body)])
            for r, attrs, body in _ROW.findall(sheet)]
    others = [(n, d) for n, d in parts if n != sheet_name]
    return others, head, tail, rows


def _floor_write(path: Path, others, head: str, tail: str, rows) -> None:
    out = [head, "<sheetData>"]
    for r, attrs, cells in rows:
        out.append(f'<row r="{r}"{attrs}>')
        for ref, a, inner in cells:
            out.append(f'<c r="{ref}"{a}>{inner}</c>' if inner else f'<c r="{ref}"{a}/>')
        out.append("</row>")
    out.append("</sheetData>")
    out.append(tail)
    sheet = "".join(out)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in others:
            if name == "xl/worksheets/sheet1.xml":
                continue
            z.writestr(name, data)
        z.writestr("xl/worksheets/sheet1.xml", sheet)


def bench_floor(samples: list[Path], out: Path) -> dict:
    inputs = [_floor_inputs(p) for p in samples]
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    for k, (others, head, tail, rows) in enumerate(inputs):
        _floor_write(out / f"{k:06d}.xlsx", others, head, tail, rows)
    dt = time.perf_counter() - t0
    return {"forms": len(samples), "seconds": dt, "ms_per_form": dt / len(samples) * 1000}


# --- openpyxl load-fill-save --------------------------------------------------------------

def bench_openpyxl(master: Path, kind: str, n: int, out: Path) -> dict:
    """Load the same template with openpyxl, fill its placeholders, insert the indicator rows, save."""
    import openpyxl
    from xltools.templating.placeholders import PLACEHOLDER
    m = read_master(master)
    settings, _ = settings_of(m)
    ct = load_templates([kind])[kind]
    tpl = default_template_dir() / f"{kind}.xlsx"
    fam = owners(m, unit=kind.startswith("unit"))[:n]
    out.mkdir(parents=True, exist_ok=True)
    block = ct.blocks["ind"]
    datas = [form_data(m, o, kind, settings) for o in fam]
    t0 = time.perf_counter()
    for k, data in enumerate(datas):
        wb = openpyxl.load_workbook(tpl)
        ws = wb[ct.sheet_name]
        inds = data.items["ind"]
        if len(inds) > 1:
            ws.insert_rows(block + 1, len(inds) - 1)
        template_row = {c.column: c.value for c in ws[block]}
        for i, item in enumerate(inds):
            for col, text in template_row.items():
                if isinstance(text, str):
                    mt = PLACEHOLDER.fullmatch(text.strip())
                    if mt and not mt.group(1):
                        ws.cell(block + i, col).value = item.get(mt.group(2).split(".", 1)[1])
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str) and "{{" in c.value:
                    c.value = PLACEHOLDER.sub(lambda mt: str(data.fields.get(mt.group(2), "") or ""), c.value)
        wb.save(out / f"{k:06d}.xlsx")
    dt = time.perf_counter() - t0
    return {"forms": len(datas), "seconds": dt, "ms_per_form": dt / len(datas) * 1000}


# --- xltpl -------------------------------------------------------------------------------

def bench_xltpl(master: Path, kind: str, n: int, out: Path) -> dict:
    """xltpl (Jinja2 tags in cells, on openpyxl) rendering the same template with a row loop."""
    try:
        import openpyxl
        from openpyxl.comments import Comment
        from xltpl.writerx import BookWriter
    except Exception as exc:  # not installed
        return {"skipped": f"xltpl not importable: {exc}"}
    m = read_master(master)
    settings, _ = settings_of(m)
    ct = load_templates([kind])[kind]
    src = default_template_dir() / f"{kind}.xlsx"
    out.mkdir(parents=True, exist_ok=True)
    tpl = out / "xltpl-template.xlsx"
    wb = openpyxl.load_workbook(src)
    ws = wb[ct.sheet_name]
    for row in ws.iter_rows():
        for c in row:
            if isinstance(c.value, str) and "{{" in c.value:
                c.value = re.sub(r"\{\{\s*=\s*", "{{ ", c.value).replace("ind.", "ind.").replace("task.", "task.")
    block = ct.blocks["ind"]
    cells = [c for c in ws[block] if c.value is not None]
    cells[0].comment = Comment("beforerow{%for ind in inds%}", "bench")
    cells[-1].comment = Comment("aftercell{%endfor%}", "bench")
    wb.save(tpl)
    fam = owners(m, unit=kind.startswith("unit"))[:n]
    payloads = []
    for o in fam:
        d = form_data(m, o, kind, settings)
        nested: dict = {}
        from xltools.templating.vocabulary import COMPUTED, VALUES
        everything = {k: None for k in (*VALUES, *COMPUTED) if not k.startswith(("ind.", "task."))}
        everything.update(d.fields)
        for path, v in everything.items():
            cur = nested
            *heads, last = path.split(".")
            for h in heads:
                cur = cur.setdefault(h, {})
            cur[last] = v
        nested["inds"] = d.items["ind"]
        payloads.append(nested)
    try:
        t0 = time.perf_counter()
        for k, p in enumerate(payloads):
            writer = BookWriter(str(tpl))
            p["tpl_name"] = ct.sheet_name
            p["sheet_name"] = ct.sheet_name
            writer.render_book([p])
            writer.save(str(out / f"{k:06d}.xlsx"))
        dt = time.perf_counter() - t0
    except Exception as exc:
        return {"skipped": f"xltpl failed to render: {type(exc).__name__}: {exc}"}
    return {"forms": len(payloads), "seconds": dt, "ms_per_form": dt / len(payloads) * 1000}


def tracemalloc_peak(master: Path, kind: str, out: Path, n: int) -> float:
    """Peak Python allocation (MB) while stamping ``n`` forms (tracemalloc slows the run)."""
    m = read_master(master)
    settings, _ = settings_of(m)
    ct = load_templates([kind])[kind]
    fam = owners(m, unit=kind.startswith("unit"))[:n]
    out.mkdir(parents=True, exist_ok=True)
    tracemalloc.start()
    for k, o in enumerate(fam):
        (out / f"{k:06d}.xlsx").write_bytes(stamp(ct, form_data(m, o, kind, settings)))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="xltools build benchmark")
    ap.add_argument("--n", type=int, default=2000, help="forms (projects in the generated master)")
    ap.add_argument("--kind", default="project-selfeval")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--sample", type=int, default=200, help="forms for openpyxl/xltpl/floor")
    ap.add_argument("--full-only", action="store_true", help="only time `xltools build` end to end")
    ap.add_argument("--scan", help="comma-separated N values: peak memory of `xltools build` per N")
    ap.add_argument("--keep", type=Path, help="keep outputs here instead of a temporary folder")
    ap.add_argument("--json", action="store_true", help="print results as JSON")
    a = ap.parse_args(argv)
    work = a.keep or Path(tempfile.mkdtemp(prefix="xlt-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    results: dict = {"n": a.n, "kind": a.kind, "jobs": a.jobs, "cpus": os.cpu_count()}
    try:
        if a.scan:
            rows = []
            for n in [int(x) for x in a.scan.split(",")]:
                cmd = [sys.executable, __file__, "--n", str(n), "--kind", a.kind, "--jobs", str(a.jobs),
                       "--full-only", "--json"]
                res = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)
                rows.append((n, res["build"]["seconds"], res["peak_mb_self"], res["peak_mb_child"]))
                print(f"N={n:>6}  build {res['build']['seconds']:7.2f} s (CPU s: main {res['build']['cpu_main']:.1f}, "
                      f"workers {res['build']['cpu_workers']:.1f})  peak RSS main {res['peak_mb_self']:6.1f} MB"
                      f"  largest worker {res['peak_mb_child']:6.1f} MB", flush=True)
            return 0
        master = work / "master.xlsx"
        t = time.perf_counter()
        make_master(a.n, master)
        results["make_master_s"] = time.perf_counter() - t
        results["build"] = bench_build_all(master, a.kind, work / "build", a.jobs)
        if not a.full_only:
            results["xltools"] = bench_xltools(master, a.kind, work / "xltools")
            samples = sorted((work / "xltools").glob("*.xlsx"))[: a.sample]
            results["floor"] = bench_floor(samples, work / "floor")
            results["openpyxl"] = bench_openpyxl(master, a.kind, min(a.sample, 100), work / "openpyxl")
            results["xltpl"] = bench_xltpl(master, a.kind, min(a.sample, 100), work / "xltpl")
            results["tracemalloc_mb"] = tracemalloc_peak(master, a.kind, work / "traced", min(a.n, 500))
        results["peak_mb_self"], results["peak_mb_child"] = peak_mb()
    finally:
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)
    if a.json:
        print(json.dumps(results, ensure_ascii=False))
        return 0
    b = results["build"]
    print(f"master: {a.n} projects, kind {a.kind}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    print(f"xltools build (read master + all checks + stamp, --jobs {a.jobs}): {b['seconds']:.2f} s, "
          f"{b['ms_per_form']:.2f} ms/form")
    print(f"  CPU seconds: main process {b['cpu_main']:.2f}, workers {b['cpu_workers']:.2f} "
          f"(of which system {b['cpu_workers_system']:.2f})")
    if not a.full_only:
        x, f, o = results["xltools"], results["floor"], results["openpyxl"]
        print(f"xltools stamp (values + formulas + cached values + zip + write): {x['ms_per_form']:.2f} ms/form")
        print(f"floor   (same parts as strings, zipfile deflate, write):        {f['ms_per_form']:.2f} ms/form")
        print(f"openpyxl load-fill-save of the same template:                 {o['ms_per_form']:.2f} ms/form")
        xt = results["xltpl"]
        print("xltpl:                                                        " +
              (f"{xt['ms_per_form']:.2f} ms/form" if "ms_per_form" in xt else xt["skipped"]))
        print(f"ratios: xltools/floor = {x['ms_per_form'] / f['ms_per_form']:.2f}×, "
              f"openpyxl/xltools = {o['ms_per_form'] / x['ms_per_form']:.1f}×"
              + (f", xltpl/xltools = {xt['ms_per_form'] / x['ms_per_form']:.1f}×" if "ms_per_form" in xt else ""))
        print(f"peak Python allocations while stamping (tracemalloc): {results['tracemalloc_mb']:.1f} MB")
    print(f"peak RSS: main {results['peak_mb_self']:.1f} MB, largest worker {results['peak_mb_child']:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
