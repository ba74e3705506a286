"""`python -m kairflow.operator`: the same as `kairflow operator`."""

from __future__ import annotations

import sys

from kairflow.cli.main import main

if __name__ == "__main__":
    sys.argv = [sys.argv[0], "operator", *sys.argv[1:]]
    main()
