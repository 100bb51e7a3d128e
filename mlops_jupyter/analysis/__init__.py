"""Pure analysis: pandas objects in, frozen dataclasses out (no IPython, views or store)."""
