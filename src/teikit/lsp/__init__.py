"""The language server: teikit's checks, registers and proposals in any LSP editor (issue 16).

``teikit lsp`` speaks the Language Server Protocol on standard input and output
(:mod:`teikit.lsp.server`, built on pygls, an optional dependency: ``pip install
teikit[lsp]``). See docs/editors.md for the set-up in VS Code, Neovim, Emacs and Helix.
"""

from __future__ import annotations

from teikit.lsp.project import Checker, Settings

__all__ = ["Checker", "Settings"]
