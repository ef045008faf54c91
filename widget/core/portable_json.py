"""Reading a JSON export as a stream: one row at a time, never the whole document at once.

`json.loads` of a 500 MB file holds some ten times that in Python objects before a single
check runs. Here the top-level object is walked by hand and each value in it -- a header
field, the settings, or one row of a section's list -- is decoded on its own by the standard
decoder and handed to a `Collector`, which counts and checks it at once. What is held is the
text of one value (at most `MAX_ENTRY_CHARS`) and the rows checked so far.

The JSON is as strict as `portable_csv.parse_json`: no NaN or Infinity, no name twice in one
object, nothing after the document. Only the text chunks come in; opening and decoding the
file is the caller's.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from widget.core.portable import refused
from widget.core.portable_read import ROW_SECTIONS, Collector
from widget.errors import ImportRefused

# The longest single value a real export holds is an app with 500 rules of 1,000 characters,
# each written as \\uXXXX escapes: about 3 million characters.
MAX_ENTRY_CHARS = 8 * 1024 * 1024
_SPACE = " \t\r\n"


class _Repeated(ValueError):
    pass


def _no_constants(name: str) -> object:
    raise ValueError(name)


def _unique(pairs: list[tuple[str, object]]) -> dict[str, object]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise _Repeated()
    return result


_DECODER = json.JSONDecoder(object_pairs_hook=_unique, parse_constant=_no_constants)


class _Text:
    """The file's text as it comes, with a read position and line numbers for messages."""

    def __init__(self, chunks: Iterator[str]) -> None:
        self._chunks = chunks
        self.buf = ""
        self.pos = 0
        self.eof = False
        self._line = 1  # the line and column at which `buf` begins
        self._column = 1

    def more(self) -> bool:
        """Read the next chunk (dropping what has been read); False at the end."""
        if self.eof:
            return False
        chunk = next(self._chunks, None)
        if chunk is None:
            self.eof = True
            return False
        gone = self.buf[: self.pos]
        lines = gone.count("\n")
        self._line += lines
        self._column = len(gone) - gone.rfind("\n") if lines else self._column + len(gone)
        self.buf = self.buf[self.pos:] + chunk
        self.pos = 0
        return True

    def peek(self) -> str:
        """The next character that is not white space, without taking it; "" at the end."""
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in _SPACE:
                self.pos += 1
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self.more():
                return ""

    def take(self, char: str) -> None:
        if self.peek() != char:
            raise self.invalid(self.pos)
        self.pos += 1

    def value(self) -> object:
        """The JSON value that starts here, decoded by the standard decoder."""
        self.peek()
        while True:
            try:
                value, end = _DECODER.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as error:
                if self._grow():
                    continue
                raise self.invalid(error.pos) from None
            except RecursionError:
                raise refused("the file is nested too deeply to be an export") from None
            except _Repeated:
                raise refused("the file names the same field twice in one object") from None
            except ValueError:  # a number of thousands of digits, NaN
                raise refused("the file is not valid JSON; it may be cut short or "
                              "damaged") from None
            if end == len(self.buf) and self._grow():
                continue  # a number may go on in the next chunk
            self.pos = end
            return value

    def _grow(self) -> bool:
        if len(self.buf) - self.pos > MAX_ENTRY_CHARS:
            raise refused("one entry of the file is larger than any export of driftcheck "
                          "holds")
        return self.more()

    def invalid(self, at: int) -> ImportRefused:
        before = self.buf[:at]
        lines = before.count("\n")
        line = self._line + lines
        column = at - before.rfind("\n") if lines else self._column + at
        return refused(f"the file is not valid JSON (line {line}, column {column}); it may "
                       "be cut short or damaged")


def read_document(chunks: Iterator[str], collector: Collector) -> None:
    """Walk the export's top-level object, handing each field and each row to `collector`."""
    text = _Text(chunks)
    if text.peek() != "{":
        raise collector.not_an_export()
    text.take("{")
    seen: set[str] = set()
    if text.peek() == "}":
        text.take("}")
    else:
        while True:
            key = text.value() if text.peek() == '"' else None
            if not isinstance(key, str):
                raise text.invalid(text.pos)
            if key in seen:
                raise refused("the file names the same field twice in one object")
            seen.add(key)
            text.take(":")
            if key in ROW_SECTIONS and text.peek() == "[":
                collector.section(key)
                _rows(text, key, collector)
            else:
                collector.field(key, text.value())
            if text.peek() == ",":
                text.take(",")
                continue
            text.take("}")
            break
    if text.peek() != "":
        raise text.invalid(text.pos)


def _rows(text: _Text, section: str, collector: Collector) -> None:
    text.take("[")
    if text.peek() == "]":
        text.take("]")
        return
    while True:
        collector.row(section, text.value())
        if text.peek() == ",":
            text.take(",")
            continue
        text.take("]")
        return
