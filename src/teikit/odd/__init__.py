"""ODD customisations: compile an ODD into RELAX NG and Schematron without Java (issue 15).

A capability package: it imports teikit's core (document loading, errors) and nothing but the
CLI and the validation schema resolution import it.
"""

from __future__ import annotations

from teikit.odd.compiler import BUNDLED_VERSION, CompiledOdd, bundled_p5subset, compile_odd
from teikit.odd.doc import document_odd

__all__ = ["BUNDLED_VERSION", "CompiledOdd", "bundled_p5subset", "compile_odd", "document_odd"]
