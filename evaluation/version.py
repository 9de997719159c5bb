"""The scorer's version: stored with every score; bump it on any change to a metric or a check."""

SCORER_VERSION = "1.0.0"
