"""The one exception family bib2table raises: fatal errors that stop a run.

Anything that loses a single entry is not an exception but a :class:`~bib2table.problems.Problem`;
these errors are for what stops the whole run (unreadable input, broken settings or templates,
an output that cannot be written). The CLI turns them into one message and exit status 1.
"""


class Bib2TableError(Exception):
    """Base class: a fatal error with a message meant for the user."""


class InputError(Bib2TableError):
    """The input file cannot be read or decoded."""


class SettingsError(Bib2TableError):
    """The settings file is missing, unreadable or invalid."""


class TemplateError(Bib2TableError):
    """A template is missing or fails to render."""


class OutputError(Bib2TableError):
    """An output cannot be written."""


class Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM arrived: the run stops, cleaning up as it goes (temporary files, the
    second core's worker), and the command exits with 128 + the signal's number."""

    def __init__(self, number: int) -> None:
        super().__init__(number)
        self.signal = number

    @property
    def status(self) -> int:
        return 128 + self.signal
