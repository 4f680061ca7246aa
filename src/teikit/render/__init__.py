"""Rich renderables for the CLI: the only library package besides cli/ that may import rich."""
