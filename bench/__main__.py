"""``python -m bench``: the scoring core's speed and memory (see bench/run.py)."""

import sys

from bench.run import main

sys.exit(main())
