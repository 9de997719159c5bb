"""What tests share: factories, archive builders, boards of scored teams (import from here, not from conftests)."""
