"""The nine workflow steps, one module each (their names and order: :mod:`minopy.workflow`)."""
