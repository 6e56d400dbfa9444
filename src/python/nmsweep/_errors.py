"""Exceptions of the Python layer.

`SpecError` carries the engine's own message (the text the command line
prints after ``nmsweep: error:``), parsed into its location parts, so that
an error from Python reads exactly as the CLI's.
"""

from __future__ import annotations

import re
from typing import Optional

__all__ = ["SpecError", "ResultIncomplete"]

# FILE:LINE[:COLUMN]: REST  (the column: text tables, "weights.txt:3:5: ...");
# FILE holds no ": " (that ends the location)
_FILE = r"(?P<file>(?:(?!: )[^\n])*?)"
_WITH_LINE = re.compile(_FILE + r":(?P<line>\d+)(?::\d+)?: (?P<rest>.*)", re.S)
# FILE: REST
_WITHOUT_LINE = re.compile(_FILE + r": (?P<rest>.*)", re.S)
# [section] key: REST   or   [section]: REST
_SECTION = re.compile(r"\[(?P<section>[^\]\s]+)\](?: (?P<key>[^:\n]+?))?: (?P<rest>.*)", re.S)
# [section] REST  (a message from below the table: "[output.sensors] eeg.txt:3: ...")
_SECTION_ONLY = re.compile(r"\[(?P<section>[^\]\s]+)\] (?P<rest>.*)", re.S)
_EXTENSION = re.compile(r"\.[A-Za-z0-9_]{1,10}$")


def _is_file(text: str) -> bool:
    """Whether `text` (what precedes the first ': ') names a file.

    The engine writes paths as given, unquoted; the other prefixes it writes
    (``connectome 'x'``, ``shard 1/2``, ``spectra``) have quotes, words
    without a file extension, or no path separator and no extension.
    """
    if not text or any(c in text for c in "'\"\n"):
        return False
    if text.endswith(">"):  # "<dict>", "/some/dir/<dict>"
        return True
    has_ext = _EXTENSION.search(text) is not None
    if re.search(r"\s", text):
        return has_ext  # a path with spaces: only when it ends like a file
    return has_ext or "/" in text or "\\" in text


class SpecError(ValueError):
    """An invalid sweep specification or input file, as the engine reports it.

    Parameters
    ----------
    message : str
        The engine's message, ``FILE:LINE: [section] key: what`` (also
        ``FILE:LINE: [section]: what``, ``FILE:LINE: what``, ``FILE: what``
        or a message without a location). ``str(error)`` is this text,
        unchanged.

    Attributes
    ----------
    file : str or None
        The file the message names first (the spec, or an input file).
    line : int or None
        Its 1-based line number.
    section : str or None
        The TOML table, e.g. ``"integrator"``, ``"output.spectra"``.
    key : str or None
        The key in that table, e.g. ``"dt"``, ``"params.x0"``.
    detail : str
        What is wrong: the message after the location, section and key.
    message : str
        The whole message.
    """

    file: Optional[str]
    line: Optional[int]
    section: Optional[str]
    key: Optional[str]
    detail: str
    message: str

    def __init__(self, message: str) -> None:
        message = str(message)
        super().__init__(message)
        self.message = message
        self.file = self.line = self.section = self.key = None
        rest = message
        m = _WITH_LINE.fullmatch(message)
        if m and _is_file(m["file"]):
            self.file, self.line, rest = m["file"], int(m["line"]), m["rest"]
        else:
            m = _WITHOUT_LINE.fullmatch(message)
            if m and _is_file(m["file"]):
                self.file, rest = m["file"], m["rest"]
        m = _SECTION.fullmatch(rest)
        if m:
            self.section, self.key, rest = m["section"], m["key"], m["rest"]
        else:
            m = _SECTION_ONLY.fullmatch(rest)
            if m:
                self.section, rest = m["section"], m["rest"]
        self.detail = rest

    @classmethod
    def from_message(cls, text: str) -> "SpecError":
        """Build the error from an engine message (see the class)."""
        return cls(text)

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class ResultIncomplete(RuntimeError):
    """A result file whose run has not finished (stopped, killed or running).

    Parameters
    ----------
    path : str
        The result file.
    message : str, optional
        What to say; by default a sentence naming `path`.

    Attributes
    ----------
    path : str
        The result file.
    """

    def __init__(self, path: str, message: Optional[str] = None) -> None:
        self.path = str(path)
        self.message = message or (
            f"{self.path}: the run has not finished (its 'complete' attribute is not 1)")
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message

    def __reduce__(self):
        return (type(self), (self.path, self.message))
