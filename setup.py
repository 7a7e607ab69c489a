"""The one compiled part, optional: ``classifier._speedups``, C twins of two hot numpy steps of the
classifier (see classifier/_compiled.py). Without a C compiler the build skips it with a warning
and the numpy versions are used. Everything else is declared in pyproject.toml."""

from setuptools import Extension, setup

setup(ext_modules=[Extension("classifier._speedups", ["classifier/_speedups.c"], optional=True)])
