"""More options in one string: ``make invoke ... ARGS='--seed-params {"n": 50}'``.

Make pastes ``$(ARGS)`` into a shell command, and the shell then splits a JSON object at its
spaces and strips its quotes (``{n:``), so the Makefile passes the string untouched (through the
environment) and it is split here instead. A shell's rules alone cannot do it: JSON's double quotes
are shell quotes. So the rule is a shell's (``shlex``), except that a JSON object or array where a
word begins is one word, exactly as written: what a person typing that line means.
"""

from __future__ import annotations

import json
import shlex
from io import StringIO

_JSON = json.JSONDecoder()


def split_extra_args(text: str) -> list[str]:
    """``'--seed-params {"n": 50} --timeout 9'`` -> ``['--seed-params', '{"n": 50}', '--timeout',
    '9']``. A ``{`` or ``[`` that does not start valid JSON is read as a shell word (and then
    refused by the option that takes it, with its own message). ValueError for an unclosed quote."""
    words: list[str] = []
    rest = text.lstrip()
    while rest:
        if rest[0] in "{[":
            try:
                _, end = _JSON.raw_decode(rest)
            except ValueError:
                pass
            else:
                words.append(rest[:end])
                rest = rest[end:].lstrip()
                continue
        stream = StringIO(rest)
        lexer = shlex.shlex(stream, posix=True)
        lexer.whitespace_split = True
        lexer.commenters = ""
        word = lexer.get_token()
        if word is None:
            break
        words.append(word)
        # shlex stops after the whitespace that ended the word (or at the end of the text).
        rest = rest[stream.tell() :].lstrip()
    return words
