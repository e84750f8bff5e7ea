"""One home for diagnoses: every code in the table is named by a variant (autograder/diagnoses/*.py), by a check
(checks.py, order_checks.py, the hidden suites) or by the grader's machinery at a place listed in ELSEWHERE;
and every code that any of them names is in the table. Read from the source, so a code no grade happens to
reach is checked too."""

import ast
import re

from autograder.catalogue import KIT_ROOT
from autograder.diagnoses import DIAGNOSES, ELSEWHERE

GRADER = KIT_ROOT / "autograder"
FAMILIES = sorted(p for p in (GRADER / "diagnoses").glob("*.py") if p.name != "__init__.py")
CHECKS = [GRADER / "checks.py", GRADER / "order_checks.py", *sorted((GRADER / "hidden").glob("test_*.py"))]
EVERYWHERE = [p for p in sorted(GRADER.rglob("*.py")) if not {"worker", "samples"} & set(p.parts)]
SLUG = re.compile(r"[a-z]+(?:-[a-z]+)+")  # the form of a code; a family module's strings of this form are codes


def strings(node) -> list[str]:
    return [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value]


def variant_codes(source: str) -> set[str]:
    """The codes a family module names: its code-shaped strings ('lr-sign+train-no-zero-grad' and
    'train-step-order:step-first' name their parts), and any string that is a code."""
    parts = {p.split(":")[0] for s in strings(ast.parse(source)) for p in s.split("+")}
    return {p for p in parts if SLUG.fullmatch(p) or p in DIAGNOSES}


def raised_codes(source: str) -> set[str]:
    """The codes given to fail(text, code), Mistake(text, *codes) and explain(code) in a module."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        args = {
            "fail": node.args[1:2] + [k.value for k in node.keywords if k.arg == "code"],
            "Mistake": node.args[1:],
            "explain": node.args[:1],
        }.get(name, [])
        found |= {s for arg in args for s in strings(arg)}
    return found


def test_the_scanners_find_codes_and_would_find_an_unknown_one():
    assert raised_codes(
        "fail('x', 'no-such-code')\nraise Mistake(t, *(c or ['lr-ignored']))\nexplain('a-b' if x else 'c-d')"
    ) == {"no-such-code", "lr-ignored", "a-b", "c-d"}
    assert variant_codes("K = ('lr-sign+train-no-zero-grad', 'train-step-order:step-first', 'exception', 'a b')") == {
        "lr-sign",
        "train-no-zero-grad",
        "train-step-order",
        "exception",
    }
    assert variant_codes((GRADER / "diagnoses" / "closures.py").read_text()) >= {
        "assign-not-accumulate",
        "closure-on-wrong-node",
    }


def test_every_code_in_the_table_is_named_by_a_variant_a_check_or_a_listed_place():
    named = {c for p in FAMILIES for c in variant_codes(p.read_text())}
    named |= {c for p in CHECKS for c in raised_codes(p.read_text())}
    unnamed = sorted(set(DIAGNOSES) - named - set(ELSEWHERE))
    assert not unnamed, f"in the table but named by no variant, check or ELSEWHERE entry: {unnamed}"


def test_every_place_listed_in_elsewhere_names_its_code():
    for code, place in ELSEWHERE.items():
        paths = re.findall(r"autograder/[\w/]+\.py", place)
        assert paths, f"{code}: ELSEWHERE must name the file: {place!r}"
        for path in paths:
            assert code in strings(ast.parse((KIT_ROOT / path).read_text())), f"{path} does not name {code}"


def test_every_code_a_variant_or_a_check_names_is_in_the_table():
    unknown = {
        f"{p.relative_to(KIT_ROOT)}: {c}" for p in FAMILIES for c in variant_codes(p.read_text()) if c not in DIAGNOSES
    }
    unknown |= {
        f"{p.relative_to(KIT_ROOT)}: {c}" for p in EVERYWHERE for c in raised_codes(p.read_text()) if c not in DIAGNOSES
    }
    unknown |= {f"ELSEWHERE: {c}" for c in ELSEWHERE if c not in DIAGNOSES}
    assert not unknown, sorted(unknown)


def test_the_checks_hold_no_variant():
    """Moving code, not copying it: the variant generators live only in autograder/diagnoses/."""
    generators = {
        "closure_variants",
        "closure_on_input",
        "log_problem",
        "paths_to",
        "mistake_of",
        "rearranged",
        "loss_variants",
        "sgd_mistake",
        "failure_text",
        "diagnose",
    }
    for path in EVERYWHERE:
        if path.parent.name != "diagnoses":
            defined = {n.name for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.FunctionDef)}
            assert not defined & generators, f"{path.relative_to(KIT_ROOT)} defines {defined & generators}"
