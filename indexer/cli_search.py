"""CLI commands for search (filled in by the search issue)."""


def register(sub) -> None:
    """Add this module's sub-commands to the parser."""
