"""Text in diagrams: the one place where user text becomes Graphviz markup.

Every label in a diagram is drawn from an HTML-like label (``label=<...>``), and every
piece of text that came from the user (a Value's label, a formatted number) goes
through :func:`html_text` before it is put there. Graphviz reads such a label as XML,
so escaping ``& < > "`` makes any text plain characters: quotes, braces and ``|``
have no meaning inside it, and a ``>`` can no longer end the label. Graphviz still
expands ``\\N`` (the node's name), ``\\G`` and friends in the text, so every backslash
is doubled, which Graphviz draws as one. Newlines and the Unicode line and paragraph
separators (U+2028, U+2029) become line breaks; characters XML cannot carry at all
(control characters, lone surrogates, unassigned code points) and invisible format
characters (zero-width spaces, byte-order marks, bidirectional overrides that would
reorder the text around them) are shown as their Python escape instead.

>>> html_text('a<b> & "c"|{d}')
'a&lt;b&gt; &amp; &quot;c&quot;|{d}'
>>> html_text('two\\nlines')
'two<BR/>lines'
"""

from __future__ import annotations

import unicodedata

__all__ = ['html_text', 'SPELLED_OUT']

_ENTITIES = {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\\': '\\\\',
             '\n': '<BR/>', '\u2028': '<BR/>', '\u2029': '<BR/>'}

# Cc: control characters (XML 1.0 forbids most of them even as &#...;);
# Cs: lone surrogates, which cannot be encoded as UTF-8 at all;
# Cn: unassigned code points, among them U+FFFE and U+FFFF, which XML forbids;
# Cf: format characters, invisible, and the bidirectional ones reorder what follows.
SPELLED_OUT = ('Cc', 'Cs', 'Cn', 'Cf')


def _visible(char: str) -> str:
    if unicodedata.category(char) in SPELLED_OUT:
        return html_text(repr(char)[1:-1])
    return char


def html_text(text: str) -> str:
    r"""``text`` as the content of a Graphviz HTML-like label, shown exactly as written.

    >>> html_text('σ(x) ≥ 0')
    'σ(x) ≥ 0'
    >>> print(html_text('\\N is not the node name'))
    \\N is not the node name
    >>> print(html_text('bell\a'))
    bell\\x07
    >>> html_text('one\u2028two'), html_text('\u202eevil')
    ('one<BR/>two', '\\\\u202eevil')
    """
    out = []
    for char in text:
        replacement = _ENTITIES.get(char)
        if replacement is None:
            replacement = char if char.isprintable() or char == ' ' else _visible(char)
        out.append(replacement)
    return ''.join(out)
