"""Template builder: compile a designer's workbook once, stamp out forms from a master workbook."""
from __future__ import annotations

__all__ = ["compile_template", "stamp", "FormData", "StampOptions", "build_all", "BuildResult", "rollover",
           "read_master", "safe_filename", "TemplateError"]


def __getattr__(name: str):
    # Lazy: `import xltools.templating` must stay cheap for the CLI's start-up.
    if name == "compile_template":
        from .compiler import compile_template
        return compile_template
    if name in ("stamp", "FormData", "StampOptions"):
        from . import engine
        return getattr(engine, name)
    if name in ("build_all", "BuildResult"):
        from . import builder
        return getattr(builder, name)
    if name == "rollover":
        from .rollover import rollover
        return rollover
    if name == "read_master":
        from .master import read_master
        return read_master
    if name == "safe_filename":
        from .names import safe_filename
        return safe_filename
    if name == "TemplateError":
        from .placeholders import TemplateError
        return TemplateError
    raise AttributeError(name)
