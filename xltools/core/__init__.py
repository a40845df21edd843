"""The pure domain core: no file I/O, no xlwings."""
