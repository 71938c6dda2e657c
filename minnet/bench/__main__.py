"""``python -m minnet.bench``."""

import sys

from minnet.bench.cli import main

sys.exit(main())
