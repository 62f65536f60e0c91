"""The pickle policy's name patterns are matched with string tests (no regular expressions compiled at import,
for start-up time); they must read every name exactly as the regular expressions they replaced:
``re.escape(pattern)`` with ``*`` as ``.*``, anchored at both ends, ``.`` not matching a newline."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from weighbridge.formats.pickle import policy as P

_ALL = sorted(
    {p for patterns in P._PATTERN_FAMILIES.values() for p in patterns}
    | {
        "*.__pyx_unpickle_*",
        "sklearn.*._unpickle*",
        "sklearn.neighbors.*.newObj",
        "*.download*",
        "ab*ba",
        "a*b*c",
    }
)


def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(re.escape(pattern).replace(r"\*", ".*") + r"\Z")


def _names() -> st.SearchStrategy[str]:
    pieces = st.sampled_from(
        [*(p for pattern in _ALL for p in pattern.split("*") if p), ".", "_", "\n", "x", "é"]
    )
    return st.lists(pieces | st.text(max_size=3), max_size=6).map("".join)


@settings(max_examples=3000, deadline=None)
@given(pattern=st.sampled_from(_ALL), name=_names())
def test_glob_match_reads_names_as_the_regular_expression(pattern: str, name: str) -> None:
    assert P.glob_match(P._glob(pattern), name) == bool(_regex(pattern).match(name))


def test_every_policy_pattern_on_names_built_from_it() -> None:
    for pattern in _ALL + [
        p for globs in (P._RECONSTRUCTORS, P._PRIMITIVE_PATTERNS) for p in map("*".join, globs)
    ]:
        for fill in ("", "x", "a.b", "\n", "x\ny", "_"):
            for name in (pattern.replace("*", fill), pattern.replace("*", fill, 1), fill + pattern + fill):
                assert P.glob_match(P._glob(pattern), name) == bool(_regex(pattern).match(name)), (
                    pattern,
                    name,
                )


def test_prefix_and_suffix_may_not_overlap_and_middles_stay_between_them() -> None:
    for pattern, name in (("ab*ba", "aba"), ("a*bc*c", "abc"), ("ab*ba", "abba"), ("a*bc*c", "abcc")):
        assert P.glob_match(P._glob(pattern), name) == bool(_regex(pattern).match(name)), (pattern, name)


def test_classification_compares_by_value() -> None:
    a = P.classify("os", "system")
    b = P.Classification(a.verdict, a.family, a.qualname, a.pattern)
    assert a == b and hash(a) == hash(b) and a != P.classify("os", "popen") and "os.system" in repr(a)
