"""User-facing errors: each carries one clear line (in Chinese, with English where useful)."""


def _printable(text: str) -> str:
    """Escape line breaks, ESC and other control characters so a hostile file name stays one inert line."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


class PolicyError(Exception):
    """Base class: the message is shown to the user as is, without a traceback."""


class IngestError(PolicyError):
    """A file could not be read. The message names the file and the problem."""

    def __init__(self, path: str, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{_printable(self.path)}: {problem}")


class IndexError_(PolicyError):
    """The index is missing, incompatible or busy."""


class NotFoundError(PolicyError):
    """A named document, clause or list does not exist."""
