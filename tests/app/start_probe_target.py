"""A module for tests/app/test_start_imports.py to import on a helper thread."""

IMPORTED = True
