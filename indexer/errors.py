"""User-facing errors: each carries one clear line (in Chinese, with English where useful)."""


def _printable(text: str) -> str:
    """Escape line breaks, ESC and other control characters so a hostile file name stays one inert line."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


class PolicyError(Exception):
    """Base class: the message is shown to the user as is, without a traceback."""


DUPLICATE = "duplicate"  # IngestError.kind of a file skipped because another file has the same content


class IngestError(PolicyError):
    """A file could not be read, or was skipped. The message names the file and the problem.

    `kind` is "error" for a file that could not be read and "duplicate" for one skipped because another file
    holds the same text: that is a notice to the user, not a failure.
    """

    def __init__(self, path: str, problem: str, kind: str | None = None, same_as: str = ""):
        self.path = str(path)
        self.problem = problem
        self.same_as = same_as  # for a duplicate: the doc_id of the document that holds the same text
        # readers and corpus code that predate `kind` mark a duplicate only in its message
        self.kind = kind or (DUPLICATE if "内容相同" in problem else "error")
        super().__init__(f"{_printable(self.path)}: {problem}")

    @property
    def is_notice(self) -> bool:
        return self.kind == DUPLICATE


def notice_or_error(kind: str) -> str:
    """The label a line about a skipped file starts with: a duplicate is a notice, anything else an error."""
    return "提示 / note" if kind == DUPLICATE else "错误 / error"


class IndexError_(PolicyError):
    """The index is missing, incompatible or busy."""


class NotFoundError(PolicyError):
    """A named document, clause or list does not exist."""


class ShippedDocumentError(PolicyError):
    """A change only uploads allow (removal, metadata correction) asked of a document shipped with the corpus."""


def first_line(exc: BaseException) -> str:
    """The first line of an error's message (its type's name when it has none): what a door shows a user."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
