"""Hidden checks for task2: topological_sort and backward(), on graphs whose closures only record their calls
(so only the sort and the order of the calls are judged, whatever the student's operations do)."""

from autograder.checks import Mistake
from autograder.diagnoses import explain
from autograder.harness import group
from autograder.order_checks import backward_check, check_backward, check_together, sort_check
from autograder.strategies import KNOWN_GOOD_OPS, random_graphs
from autograder.student import ProbeFailure

# Hand-made graphs (ops add/mul only).
SEED = {"leaves": [2.0], "nodes": [["add", 0, 0], ["mul", 0, 1], ["add", 2, 1]]}  # a; b=a+a; c=a*b; d=c+b
DIAMOND_EQUAL = {"leaves": [1.0, 1.0], "nodes": [["mul", 0, 1], ["add", 0, 1], ["add", 2, 3]]}
SQUARE_REUSED = {"leaves": [1.5, -2.0], "nodes": [["mul", 0, 0], ["add", 2, 1], ["mul", 3, 2], ["add", 4, 3]]}
CHAIN_AND_FAN = {
    "leaves": [0.5, -1.25, 2.0],
    "nodes": [["mul", 0, 1], ["add", 3, 2], ["mul", 4, 3], ["add", 5, 0], ["mul", 6, 4]],
}
GRAPHS = (SEED, DIAMOND_EQUAL, SQUARE_REUSED, CHAIN_AND_FAN)


@group("task2", "topological_sort: each node once, children first", weight=3)
def test_topological_sort(student, reference, rng):
    check_together(student, [sort_check(reference, spec, rng) for spec in GRAPHS])


@group("task2", "backward() on shared nodes: each closure once, after its parents'", weight=3)
def test_backward(student, reference, rng):
    check_together(student, [backward_check(reference, spec, rng) for spec in GRAPHS])


@group("task2", "a second backward() call does the same again", weight=1)
def test_second_backward(student, reference, rng):
    check_together(student, [backward_check(reference, spec, rng, calls=2) for spec in (SQUARE_REUSED, CHAIN_AND_FAN)])


@group("task2", "random graphs with shared nodes", weight=2)
def test_random_graphs(student, reference, rng, seed):
    """The smallest failing graph is reported: each graph's sort, then its backward(), smallest graph first."""
    checks = [
        check
        for spec in random_graphs(KNOWN_GOOD_OPS, seed)
        for check in (sort_check(reference, spec, rng, repeats=1), backward_check(reference, spec, rng, repeats=1))
    ]
    check_together(student, checks)


@group("task2", "challenge, no points: a deep graph (1,500 nodes)", weight=0, challenge=True)
def test_deep_graph(student, reference, rng):
    spec = {"leaves": [0.5, 1.0], "nodes": [["add", 0, 1]] + [["add", i, 1] for i in range(2, 1501)]}
    data = [0.5, 1.0] + [1.5 + i for i in range(1500)]  # n2 = 0.5 + 1.0, then + 1.0 each: no reference graph
    try:
        check_backward(
            student, reference, spec, rng, repeats=1, slow=True, what="a chain of 1,500 additions: ", data=data
        )
    except ProbeFailure as err:
        if err.error_type == "RecursionError" or err.kind in ("crashed", "out-of-memory"):
            raise Mistake(
                "challenge: backward() on a chain of 1,500 additions failed (" + err.kind + "): a "
                "recursive topological sort hits Python's recursion limit near depth 1,000; an explicit "
                "stack handles any depth." + explain("recursion-limit"),
                "recursion-limit",
            ) from None
        raise
