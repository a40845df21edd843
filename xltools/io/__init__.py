"""Adapters for files: reading workbooks, writing annotated/filled copies, LibreOffice."""
