"""JSON read from outside (request bodies, uploaded credentials) with a nesting limit.

Python's json module recurses once per nesting level: `[[[[…]]]]` a few thousand deep raises
RecursionError (a 500) in whatever parses it. No document this app reads nests deeper than a
handful of levels, so anything past MAX_DEPTH is refused before the parser sees it.
"""

import json
import re

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_DEPTH = 32
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")


class JsonTooDeep(ValueError):
    pass


def json_depth_check(text: str, *, max_depth: int = MAX_DEPTH) -> None:
    """Raise JsonTooDeep when arrays and objects nest deeper than `max_depth` (strings don't count)."""
    brackets = _NOT_BRACKETS.sub("", _STRINGS.sub("", text))
    depth = 0
    for bracket in brackets:
        if bracket in "[{":
            depth += 1
            if depth > max_depth:
                raise JsonTooDeep(max_depth)
        else:
            depth -= 1


def json_loads(data: str | bytes, *, max_depth: int = MAX_DEPTH):
    """json.loads with the nesting limit; raises JsonTooDeep or ValueError (json.JSONDecodeError)."""
    text = data.decode("utf-8") if isinstance(data, bytes | bytearray) else data
    json_depth_check(text, max_depth=max_depth)
    return json.loads(text)


def too_deep_message(max_depth: int = MAX_DEPTH) -> str:
    return _("The JSON is nested deeper than %(depth)d levels.") % {"depth": max_depth}


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser with the nesting limit: too deep is a 400 with a message, never a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = stream.read().decode(encoding)
        except UnicodeDecodeError:
            raise ParseError(_("The JSON is not valid UTF-8 text.")) from None
        try:
            json_depth_check(text)
        except JsonTooDeep:
            raise ParseError(too_deep_message()) from None
        try:
            return json.loads(text, parse_constant=_refuse_constant)
        except ValueError as error:
            raise ParseError(_("The JSON cannot be read: %(error)s") % {"error": error}) from None


def _refuse_constant(name):
    raise ValueError(f"{name} is not valid JSON")
