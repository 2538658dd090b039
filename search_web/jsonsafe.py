"""JSON that is safe to serve even if a client mistakes it for HTML: <, > and & are escaped."""

from __future__ import annotations

import json

from flask.json.provider import DefaultJSONProvider

_ESCAPES = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})


def dumps(value, **kwargs) -> str:
    """Serialise like json.dumps (non-ASCII kept) with <, > and & as \\u escapes."""
    kwargs.setdefault("ensure_ascii", False)
    return json.dumps(value, **kwargs).translate(_ESCAPES)


class SafeJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider with the escaping above."""

    ensure_ascii = False

    def dumps(self, obj, **kwargs) -> str:
        kwargs.setdefault("default", self.default)
        kwargs.setdefault("sort_keys", self.sort_keys)
        return dumps(obj, **kwargs)
