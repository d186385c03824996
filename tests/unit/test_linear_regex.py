"""The service model's patterns, matched in linear time: the same answers as Python's ``re`` on every pattern of the
two operations, and a step count bounded by ``2 x (len + 1) x states`` on hostile values up to each field's maximum
length (a bound on work done, so the test does not depend on the machine's speed)."""

from __future__ import annotations

import random
import re
import string

import pytest
from bedrock_customization_provider import linear_regex, rules, shapes
from bedrock_customization_provider.linear_regex import UnsupportedPattern, compile_pattern

ALPHABET = string.ascii_letters + string.digits + "-._:/+=@$!*'() \t\n?[]{}|\\,~#%&"
#: Values up to this length are safe for ``re`` even on the backtracking patterns (used only as the oracle); patterns
#: without a repeated group (optional ones are fine) cannot backtrack exponentially and are compared on longer values.
ORACLE_LENGTH = 14
LONG_ORACLE_LENGTH = 160


def _oracle_length(pattern: str) -> int:
    return ORACLE_LENGTH if re.search(r"\)[*+{]", pattern) else LONG_ORACLE_LENGTH


def _patterns() -> dict[str, tuple[str, int]]:
    """Every pattern in the input shapes of the two operations: shape name -> (pattern, max length)."""
    found: dict[str, tuple[str, int]] = {}
    seen: set[str] = set()

    def walk(shape) -> None:
        if shape.name in seen:
            return
        seen.add(shape.name)
        if shape.metadata.get("pattern"):
            found[shape.name] = (shape.metadata["pattern"], shape.metadata.get("max") or shapes.MAX_PATTERN_INPUT)
        if shape.type_name == "structure":
            for member in shape.members.values():
                walk(member)
        elif shape.type_name == "list":
            walk(shape.member)
        elif shape.type_name == "map":
            walk(shape.key)
            walk(shape.value)

    for operation in (rules.JOB_OPERATION, rules.MODEL_OPERATION):
        walk(shapes.input_shape(operation))
    return found


PATTERNS = _patterns()


def _accepted_sample(compiled: linear_regex.Pattern, rng: random.Random, limit: int) -> str | None:
    """A random value the automaton accepts (a walk through it), at most ``limit`` characters; None if none found."""
    for _ in range(50):
        state, value = compiled.start, ""
        for _ in range(4 * limit + 40):
            kind = compiled.kinds[state]
            if kind == linear_regex._MATCH:
                return value
            if kind == linear_regex._CHAR:
                if len(value) >= limit:
                    break
                options = [c for c in ALPHABET if compiled.tests[state](c)]
                if not options:
                    break
                value += rng.choice(options)
            elif kind == linear_regex._START and value:
                break
            state = rng.choice(compiled.outs[state])
    return None


def test_every_pattern_of_both_operations_compiles():
    assert len(PATTERNS) >= 15
    for name, (pattern, _) in PATTERNS.items():
        assert compile_pattern(pattern).states > 0, name


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_answers_agree_with_re_on_accepted_random_and_mutated_values(name):
    pattern, _ = PATTERNS[name]
    compiled, oracle = compile_pattern(pattern), re.compile(pattern)
    rng = random.Random(name)
    limit = _oracle_length(pattern)
    accepted = [v for v in (_accepted_sample(compiled, rng, limit) for _ in range(150)) if v is not None]
    assert len(accepted) >= 20, f"the sampler found too few accepted values for {name}"
    mutated = []
    for value in accepted:
        at = rng.randrange(len(value) + 1)
        mutated += [value[:at] + rng.choice(ALPHABET) + value[at:], value[:at] + value[at + 1 :]]
    noise = ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, limit))) for _ in range(300)]
    for value in accepted:
        assert oracle.fullmatch(value), (name, value)  # what the automaton accepts, re accepts
    for value in accepted + mutated + noise:
        if len(value) <= limit + 1:
            assert compiled.fullmatch(value) == (oracle.fullmatch(value) is not None), (name, value)


def _hostile(max_length: int) -> list[str]:
    """Values that make a backtracking matcher explore exponentially many ways before failing at the last char."""
    body = max_length - 1
    return [
        "a" + "-" * (body - 1) + "!",  # the job-name pattern's worst case
        ("a-" * max_length)[:body] + "!",
        ("a_" * max_length)[:body] + "!",
        ("ab.cd" * max_length)[:body] + "!",
        ("a." * max_length)[:body] + "\n",
        "arn:aws:bedrock:us-east-1:" + ("1" * max_length)[: max(0, body - 26)] + "!",
        "s3://" + ("a/" * max_length)[: max(0, body - 5)] + "\\",
        "x" * max_length,
    ]


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_hostile_values_up_to_the_maximum_length_cost_linear_steps(name):
    pattern, max_length = PATTERNS[name]
    compiled = compile_pattern(pattern)
    for value in _hostile(max_length):
        compiled.fullmatch(value)
        assert compiled.steps <= 2 * (len(value) + 1) * compiled.states, (name, len(value), compiled.steps)


def test_the_job_name_that_hung_the_provider_is_refused_by_the_validator():
    # 1.6 s in re at 26 characters, past Lambda's timeout at about 32; here: a problem naming the field and the rule
    name = "a" + "-" * 61 + "!"
    problems = shapes.validate_request(rules.JOB_OPERATION, {"jobName": name}, ignore={"clientRequestToken"})
    assert [p for p in problems if p.path == "jobName" and "must match pattern" in p.rule]
    compiled = compile_pattern(PATTERNS["JobName"][0])
    assert compiled.fullmatch(name) is False
    assert compiled.steps <= 2 * (len(name) + 1) * compiled.states


def test_a_value_longer_than_its_maximum_is_refused_for_its_length_without_matching():
    problems = shapes.validate_request(rules.JOB_OPERATION, {"jobName": "a" * 100_000}, ignore={"clientRequestToken"})
    rules_for_name = [p.rule for p in problems if p.path == "jobName"]
    assert rules_for_name == ["must be at most 63 characters (got 100000)"]


@pytest.mark.parametrize(
    "pattern",
    [r"(a)\1", r"a(?=b)", r"(?<!a)b", r"(?i)abc", r"[[:alpha:]]", r"a{3,1}", r"(ab", r"ab)", r"*a", r"\p{L}"],
)
def test_what_cannot_be_matched_linearly_is_refused_not_guessed(pattern):
    with pytest.raises(UnsupportedPattern):
        compile_pattern(pattern)


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("a$", "a", True),
        ("a$b", "ab", False),
        ("^ab", "ab", True),
        ("(a|b)*c", "ababc", True),
        ("(a|)*", "aaa", True),
        ("[^a-c]+", "xyz", True),
        ("[^a-c]+", "xbz", False),
        (r"[\s.]{2}", " .", True),
        ("a{2,3}", "aaaa", False),
        ("a{2,}", "aaaaa", True),
        ("(?:ab)+?", "abab", True),
        ("[-.a]+", "-.a", True),
        ("[a\\-z]", "-", True),
        ("[a\\-z]", "b", False),
        ("", "", True),
    ],
)
def test_syntax_the_service_model_uses(pattern, value, expected):
    assert compile_pattern(pattern).fullmatch(value) is expected
    assert (re.fullmatch(pattern, value) is not None) is expected
