"""The Excel add-in: UDFs, the ribbon, the xlwings adapter, and building the .xlam on any OS.

Nothing here is imported by ``import xltools`` or the CLI at start-up; only ``udfs``,
``ribbon.run`` and ``xlwings_book`` import xlwings, and only Excel loads them.
"""
