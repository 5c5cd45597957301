"""Example third-party Lanterna plugin: the 'strict' device, backed by array-api-strict.

Nothing here is imported by Lanterna except :mod:`lanterna_array_api_strict.plugin`, which the
``lanterna.backends`` entry point names.
"""

__version__ = "0.1.0"
