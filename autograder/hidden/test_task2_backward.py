"""Hidden checks for task2: topological_sort and backward(), on graphs whose closures are the grader's."""
from autograder.checks import Mistake, check_graph, check_order, check_random_graphs, wrong_order_variants
from autograder.engines import ProbeFailure
from autograder.grade import group
from autograder.strategies import KNOWN_GOOD_OPS

# Hand-made graphs (ops add/mul only: the grader writes their closures).
SEED = {"leaves": [2.0], "nodes": [["add", 0, 0], ["mul", 0, 1], ["add", 2, 1]]}       # a; b=a+a; c=a*b; d=c+b
DIAMOND_EQUAL = {"leaves": [1.0, 1.0], "nodes": [["mul", 0, 1], ["add", 0, 1], ["add", 2, 3]]}
SQUARE_REUSED = {"leaves": [1.5, -2.0], "nodes": [["mul", 0, 0], ["add", 2, 1], ["mul", 3, 2], ["add", 4, 3]]}
CHAIN_AND_FAN = {"leaves": [0.5, -1.25, 2.0], "nodes": [["mul", 0, 1], ["add", 3, 2], ["mul", 4, 3], ["add", 5, 0],
                                                        ["mul", 6, 4]]}
GRAPHS = (SEED, DIAMOND_EQUAL, SQUARE_REUSED, CHAIN_AND_FAN)


@group("task2", "topological_sort: each node once, children first", weight=3)
def test_topological_sort(student, reference):
    for spec in GRAPHS:
        check_order(student, reference, spec)


@group("task2", "backward() on shared nodes (the a + a, c = a*b, d = c + b graph)", weight=3)
def test_backward_known_good(student, reference):
    for spec in GRAPHS:
        check_graph(student, reference, spec, mode="known-good", variants=wrong_order_variants(spec))


@group("task2", "a second backward() call accumulates", weight=1)
def test_second_backward(student, reference):
    spec = {"leaves": [2.0, -3.0], "nodes": [["mul", 0, 1]]}
    once = reference.run("graph", spec=spec, mode="known-good", repeats=1)[0]["grads"]
    check_graph(student, reference, spec, mode="known-good", calls=2,
                variants=[("backward-resets-grads", once)])


@group("task2", "random graphs with shared nodes (known-good closures)", weight=2)
def test_random_graphs(student, reference):
    check_random_graphs(student, reference, KNOWN_GOOD_OPS, mode="known-good")


@group("task2", "challenge: a deep graph (3,000 nodes)", weight=1)
def test_deep_graph(student, reference):
    spec = {"leaves": [0.5, 1.0], "nodes": [["add", 0, 1]] + [["add", i, 1] for i in range(2, 3001)]}
    try:
        check_graph(student, reference, spec, mode="known-good", repeats=1, what="a chain of 3,000 additions: ",
                    slow=True)
    except ProbeFailure as err:
        if err.error_type == "RecursionError" or err.kind in ("crashed", "out-of-memory"):
            raise Mistake("backward() on a chain of 3,000 additions failed: " + err.message +
                          "\n  Diagnosis [recursion-limit]: a recursive topological sort hits Python's recursion "
                          "limit near depth 1,000; an explicit stack handles any depth.", "recursion-limit")
        raise
