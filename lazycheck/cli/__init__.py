"""The command line: the only layer that prints or exits.  ``main.main`` is the entry point."""
