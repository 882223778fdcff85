"""Exceptions: user errors carry diagnostics; engines never raise for verdicts."""

from __future__ import annotations

from lazycheck.diagnostics import Diagnostic


class LazycheckError(Exception):
    """Root of lazycheck's own exceptions."""


class ModelError(LazycheckError):
    """Bad input: one or more diagnostics; the CLI renders them and exits 2."""

    def __init__(self, diagnostics: list[Diagnostic] | tuple[Diagnostic, ...],
                 sources: dict[str, str] | None = None) -> None:
        self.diagnostics = tuple(diagnostics)
        self.sources = dict(sources or {})
        super().__init__("; ".join(d.message for d in self.diagnostics))


class ReplayError(LazycheckError):
    """A trace does not replay through the concrete semantics: an internal bug."""
