"""The LID challenge command-line client (``lid``)."""

__version__ = "1.0.0"
