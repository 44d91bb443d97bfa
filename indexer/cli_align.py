"""CLI commands for align (filled in by the align issue)."""


def register(sub) -> None:
    """Add this module's sub-commands to the parser."""
