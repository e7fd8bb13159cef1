"""Text from users and addresses, made safe to put inside the Markdown Streamlit renders.

Streamlit renders ``st.markdown``, ``st.warning``, captions and labels as
GitHub-flavoured Markdown. Backslash escapes are not enough there: bare
``https://`` and ``www.`` text becomes a link after escapes are resolved. A code
span is the one construct whose content is shown exactly as typed, so
:func:`literal` wraps a value in one.
"""

from __future__ import annotations

import re


def literal(value: object) -> str:
    """``value`` as an inline code span (one line; a fence longer than any backtick run inside); "" for ""."""
    text = " ".join(str(value).split())
    if not text:
        return ""
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"
