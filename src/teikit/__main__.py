"""Allow ``python -m teikit``."""

import sys

try:
    from teikit.cli import main
except KeyboardInterrupt:  # Ctrl-C while Python is still loading teikit: 130 all the same
    sys.stderr.write("teikit: interrupted\n")
    raise SystemExit(130) from None

if __name__ == "__main__":  # pragma: no cover
    main()
