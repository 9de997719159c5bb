"""The scorer's version: stored with every score; bump it on any change to a metric or a check.

1.1.0: the bootstrap interval is the Poisson bootstrap (docs/evaluation.md), so that shards
compute their parts of it; the official metrics are unchanged.
"""

SCORER_VERSION = "1.1.0"
