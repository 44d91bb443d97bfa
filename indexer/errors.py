"""User-facing errors: each carries one clear line (in Chinese, with English where useful)."""


class PolicyError(Exception):
    """Base class: the message is shown to the user as is, without a traceback."""


class IngestError(PolicyError):
    """A file could not be read. The message names the file and the problem."""

    def __init__(self, path: str, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class IndexError_(PolicyError):
    """The index is missing, incompatible or busy."""


class NotFoundError(PolicyError):
    """A named document, clause or list does not exist."""
