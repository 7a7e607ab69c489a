"""The optional compiled helpers: ``classifier/_speedups.c``, built when the package is installed
and a C compiler is at hand (``setup.py`` marks the extension optional: without a compiler the
install goes on and prints a warning).

:data:`speedups` is the extension module, or None when it was not built or when the environment
variable ``BUDGET_ROUTER_PURE_NUMPY`` is set to anything but ``0`` (to measure or test the numpy
versions). Callers keep a numpy version of each helper, which is the definition the compiled one
follows; ``tests/test_speedups.py`` checks that they agree.
"""

from __future__ import annotations

import importlib
import os
from typing import Any

speedups: Any = None
if os.environ.get("BUDGET_ROUTER_PURE_NUMPY", "") in ("", "0"):
    try:
        speedups = importlib.import_module("classifier._speedups")
    except ImportError:  # not built: the numpy versions are used
        speedups = None
