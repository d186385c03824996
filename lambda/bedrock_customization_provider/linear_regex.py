"""Regular expressions matched in time linear in the input: the service model's patterns, safe on hostile values.

Python's ``re`` backtracks. Bedrock's job-name pattern ``[a-zA-Z0-9](-*[a-zA-Z0-9\\+\\-\\.])*`` takes exponential time
to reject a name of letters, dashes and one bad character: 26 characters take seconds, 32 outlast the Lambda's
timeout, and synth hangs the same way. So patterns from the service model are compiled here into a Thompson NFA and
run by set simulation: each input character advances every live state once, so a match costs at most
``len(value) x states`` steps, whatever the pattern or the value (:attr:`Pattern.steps` counts them; the tests check
the bound, not the clock).

The syntax is what AWS service models use (Java regexes without backreferences or lookaround): literals and
escapes, ``.``, classes ``[...]`` (ranges, negation, ``\\s \\S \\d \\D \\w \\W``), groups ``(...)`` and ``(?:...)``,
alternation, ``* + ?`` and ``{m}``, ``{m,}``, ``{m,n}`` (lazy and possessive suffixes match the same set), and ``^``
/ ``$`` anchors. Anything else raises :class:`UnsupportedPattern`; the caller decides what an unenforceable pattern
means. Matching is always a full match, as the service applies its patterns.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

#: Counted repetitions are expanded into copies; a pattern needing more states than this is refused (none of the
#: service model's comes close: the longest, BaseModelIdentifier, needs about 1,000).
MAX_STATES = 20_000

_CLASS_ESCAPES: dict[str, Callable[[str], bool]] = {
    "s": lambda c: c in " \t\n\r\f\v",
    "S": lambda c: c not in " \t\n\r\f\v",
    "d": lambda c: "0" <= c <= "9",
    "D": lambda c: not "0" <= c <= "9",
    "w": lambda c: c == "_" or (c.isascii() and c.isalnum()),
    "W": lambda c: not (c == "_" or (c.isascii() and c.isalnum())),
}
_CONTROL_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f", "v": "\v"}


class UnsupportedPattern(ValueError):
    """A pattern this matcher cannot run in linear time (backreferences, lookaround, ...) or cannot read."""


# --- the syntax tree ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Char:
    test: Callable[[str], bool]


@dataclass(frozen=True)
class _Seq:
    items: tuple


@dataclass(frozen=True)
class _Alt:
    options: tuple


@dataclass(frozen=True)
class _Repeat:
    item: object
    low: int
    high: int | None  # None: unbounded


@dataclass(frozen=True)
class _Anchor:
    at: str  # "start" | "end"


class _Parser:
    def __init__(self, pattern: str) -> None:
        self.text = pattern
        self.pos = 0

    def fail(self, why: str) -> UnsupportedPattern:
        return UnsupportedPattern(f"{why} at {self.pos} in {self.text[:120]!r}")

    def peek(self) -> str | None:
        return self.text[self.pos] if self.pos < len(self.text) else None

    def take(self) -> str:
        if self.pos >= len(self.text):
            raise self.fail("unexpected end")
        char = self.text[self.pos]
        self.pos += 1
        return char

    def parse(self) -> object:
        tree = self.alternation()
        if self.pos != len(self.text):
            raise self.fail("unbalanced ')'")
        return tree

    def alternation(self) -> object:
        options = [self.sequence()]
        while self.peek() == "|":
            self.pos += 1
            options.append(self.sequence())
        return options[0] if len(options) == 1 else _Alt(tuple(options))

    def sequence(self) -> object:
        items = []
        while self.peek() not in (None, "|", ")"):
            items.append(self.repeat(self.atom()))
        return _Seq(tuple(items))

    def repeat(self, item: object) -> object:
        while True:
            char = self.peek()
            if char in ("*", "+", "?"):
                self.pos += 1
                low, high = {"*": (0, None), "+": (1, None), "?": (0, 1)}[char]
            elif char == "{" and self._counted_ahead():
                low, high = self.counted()
            else:
                return item
            if isinstance(item, _Anchor):
                raise self.fail("a quantified anchor")
            if self.peek() in ("?", "+"):  # lazy or possessive: the same set of matches for a full match
                self.pos += 1
            item = _Repeat(item, low, high)

    def _counted_ahead(self) -> bool:
        end = self.text.find("}", self.pos)
        body = self.text[self.pos + 1 : end] if end > 0 else ""
        return bool(body) and all(part.isdigit() or part == "" for part in body.split(",", 1)) and body[0].isdigit()

    def counted(self) -> tuple[int, int | None]:
        end = self.text.index("}", self.pos)
        body = self.text[self.pos + 1 : end]
        self.pos = end + 1
        if "," not in body:
            return int(body), int(body)
        low, high = body.split(",", 1)
        bounds = (int(low), int(high) if high else None)
        if bounds[1] is not None and bounds[1] < bounds[0]:
            raise self.fail("a repetition whose maximum is below its minimum")
        return bounds

    def atom(self) -> object:
        char = self.take()
        if char == "(":
            if self.peek() == "?":
                if self.text[self.pos : self.pos + 2] != "?:":
                    raise self.fail("lookaround or a group flag")
                self.pos += 2
            inner = self.alternation()
            if self.take() != ")":
                raise self.fail("unclosed group")
            return inner
        if char == "[":
            return self.char_class()
        if char == ".":
            return _Char(lambda c: c != "\n")
        if char == "^":
            return _Anchor("start")
        if char == "$":
            return _Anchor("end")
        if char == "\\":
            return self.escape(in_class=False)
        if char in "*+?":
            raise self.fail("nothing to repeat")
        return _Char(_literal(char))

    def escape(self, *, in_class: bool) -> _Char:
        char = self.take()
        if char in _CLASS_ESCAPES:
            return _Char(_CLASS_ESCAPES[char])
        if char in _CONTROL_ESCAPES:
            return _Char(_literal(_CONTROL_ESCAPES[char]))
        if char.isdigit() or (char.isalpha() and not in_class):
            raise self.fail(f"the escape \\{char}")
        return _Char(_literal(char))

    def char_class(self) -> _Char:
        negate = self.peek() == "^"
        if negate:
            self.pos += 1
        tests: list[Callable[[str], bool]] = []
        ranges: list[tuple[str, str]] = []
        first = True
        while True:
            char = self.take()
            if char == "]" and not first:
                break
            first = False
            if char == "\\":
                escaped = self.text[self.pos] if self.pos < len(self.text) else ""
                if escaped in _CLASS_ESCAPES:
                    tests.append(self.escape(in_class=True).test)
                    continue
                self.pos += 1
                char = _CONTROL_ESCAPES.get(escaped, escaped)
            if char == "[" and self.peek() == ":":
                raise self.fail("a POSIX class")
            if self.peek() == "-" and self.pos + 1 < len(self.text) and self.text[self.pos + 1] != "]":
                self.pos += 1
                end = self.take()
                if end == "\\":
                    escaped = self.take()
                    if escaped in _CLASS_ESCAPES:
                        raise self.fail("a range ending in a class escape")
                    end = _CONTROL_ESCAPES.get(escaped, escaped)
                if end < char:
                    raise self.fail("a reversed range")
                ranges.append((char, end))
            else:
                ranges.append((char, char))
        frozen = tuple(ranges)
        checks = tuple(tests)

        def test(c: str) -> bool:
            inside = any(low <= c <= high for low, high in frozen) or any(check(c) for check in checks)
            return inside != negate

        return _Char(test)


def _literal(expected: str) -> Callable[[str], bool]:
    return lambda c: c == expected


# --- the automaton -----------------------------------------------------------------------------------------------
_CHAR, _SPLIT, _START, _END, _MATCH = range(5)


@dataclass
class Pattern:
    """A compiled pattern; :meth:`fullmatch` runs in ``O(len(value) x states)``."""

    source: str
    kinds: list[int] = field(default_factory=list)
    tests: list[Callable[[str], bool] | None] = field(default_factory=list)
    outs: list[tuple[int, ...]] = field(default_factory=list)
    start: int = 0
    #: Steps (a live state examined for a character, or followed by an empty move) of the last match: at most
    #: ``(len(value) + 1) x 2 x states``.
    steps: int = 0

    @property
    def states(self) -> int:
        return len(self.kinds)

    def fullmatch(self, value: str) -> bool:
        self.steps = 0
        current = self._closure({self.start}, at_start=True, at_end=not value)
        for index, char in enumerate(value):
            if not current:
                return False
            moved = set()
            for state in current:
                self.steps += 1
                if self.kinds[state] == _CHAR and self.tests[state](char):  # type: ignore[misc]
                    moved.update(self.outs[state])
            current = self._closure(moved, at_start=False, at_end=index == len(value) - 1)
        return any(self.kinds[state] == _MATCH for state in current)

    def _closure(self, states: set[int], *, at_start: bool, at_end: bool) -> set[int]:
        """``states`` and every state reachable from them by empty moves (anchors pass where they hold)."""
        seen: set[int] = set()
        stack = list(states)
        while stack:
            state = stack.pop()
            if state in seen:
                continue
            seen.add(state)
            self.steps += 1
            kind = self.kinds[state]
            if kind == _SPLIT or (kind == _START and at_start) or (kind == _END and at_end):
                stack.extend(self.outs[state])
        return {s for s in seen if self.kinds[s] in (_CHAR, _MATCH)}

    # construction: each node compiles to (entry state, list of dangling exits to patch)
    def _add(self, kind: int, test: Callable[[str], bool] | None = None) -> int:
        if len(self.kinds) >= MAX_STATES:
            raise UnsupportedPattern(f"more than {MAX_STATES} states in {self.source[:120]!r}")
        self.kinds.append(kind)
        self.tests.append(test)
        self.outs.append(())
        return len(self.kinds) - 1

    def _build(self, node: object, follow: int) -> int:
        """States for ``node`` that continue to ``follow``; returns the entry state."""
        if isinstance(node, _Char):
            state = self._add(_CHAR, node.test)
            self.outs[state] = (follow,)
            return state
        if isinstance(node, _Anchor):
            state = self._add(_START if node.at == "start" else _END)
            self.outs[state] = (follow,)
            return state
        if isinstance(node, _Seq):
            entry = follow
            for item in reversed(node.items):
                entry = self._build(item, entry)
            return entry
        if isinstance(node, _Alt):
            state = self._add(_SPLIT)
            self.outs[state] = tuple(self._build(option, follow) for option in node.options)
            return state
        if isinstance(node, _Repeat):
            entry = follow
            if node.high is None:  # a loop: split into the item (which comes back here) or on
                loop = self._add(_SPLIT)
                self.outs[loop] = (self._build(node.item, loop), follow)
                entry = loop
            else:  # up to high - low optional copies, each may skip to the end
                for _ in range(node.high - node.low):
                    skip = self._add(_SPLIT)
                    self.outs[skip] = (self._build(node.item, entry), follow)
                    entry = skip
            for _ in range(node.low):
                entry = self._build(node.item, entry)
            return entry
        raise UnsupportedPattern(f"unknown node {node!r}")


@functools.lru_cache(maxsize=256)
def compile_pattern(pattern: str) -> Pattern:
    """The pattern as an automaton (cached); :class:`UnsupportedPattern` for syntax it cannot run linearly."""
    tree = _Parser(pattern).parse()
    compiled = Pattern(pattern)
    match = compiled._add(_MATCH)
    compiled.start = compiled._build(tree, match)
    return compiled
