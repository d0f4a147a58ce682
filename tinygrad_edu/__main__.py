"""``python -m tinygrad_edu``: the command line."""

import sys

from tinygrad_edu.cli import main

sys.exit(main())
