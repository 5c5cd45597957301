"""Example kernel-override plugin: a CPU ``im2col`` for Lanterna's convolutions.

See :mod:`lanterna_fastconv.plugin`.
"""

__version__ = "0.1.0"
