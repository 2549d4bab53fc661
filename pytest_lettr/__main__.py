"""``python -m pytest_lettr serve``: the same as ``lettr-mock serve``."""

import sys

from .cli import main

sys.exit(main())
