"""teikit in the editor: a language server (Language Server Protocol) and its parts."""
