"""Sub-commands of the ``budget-router`` CLI, one module each (see :mod:`router.cli`)."""
