"""Hidden checks for task4: Neuron, Layer, MLP with weights injected through parameters(), and zero_grad."""
from autograder.checks import close, fail, fmt, pairs
from autograder.grade import group

X3 = [2.0, 3.0, -1.0]


def numbers(n):
    """Distinct, non-zero weights (so that a missing bias or a swapped order changes the output)."""
    return [round(((i * 7) % 19 - 9 + 0.5) / 10, 3) for i in range(n)]


def blocks(kind, args):
    """Each neuron's parameter count, in contract order."""
    if kind == "neuron":
        return [args[0] + 1]
    if kind == "layer":
        return [args[0] + 1] * args[1]
    sizes = [args[0], *args[1]]
    return [sizes[i] + 1 for i in range(len(args[1])) for _ in range(sizes[i + 1])]


def rearranged(nums, sizes, how):
    out, i = [], 0
    for size in sizes:
        block = nums[i:i + size]
        i += size
        out += {"no-bias": block[:-1] + [0.0], "bias-first": block[1:] + block[:1]}[how]
    return out


def check_module(student, reference, kind, args, x, label):
    sizes = blocks(kind, args)
    nums = numbers(sum(sizes))
    call = dict(kind=kind, args=args, numbers=nums, x=x)
    want, got = reference.run("module", **call), student.run("module", **call)
    if got["count"] != want["count"]:
        fail(f"{label}.parameters() returns {got['count']} parameters, expected {want['count']} "
             f"({' + '.join(map(str, sizes))}: each neuron's weights and its bias)", "parameter-count")
    if not got["all_values"]:
        fail(f"{label}.parameters() must return the Value objects themselves", "parameter-count")
    if not got["distinct"]:
        fail(f"{label}.parameters() lists the same Value more than once", "parameters-shared")
    if not got["same_objects"]:
        fail(f"{label}.parameters() gave other Value objects on a second call: it must return the model's own "
             "Values, not copies", "parameter-copies")
    out, expected = got["out"], want["out"]
    if expected["kind"] == "value" and out["kind"] == "list":
        fail(f"{label}(x) returned a list; with one output neuron it must return the Value itself",
             "layer-returns-list")
    if out["kind"] != expected["kind"]:
        fail(f"{label}(x) returned a {out['kind']}, expected a {expected['kind']}")
    if len(out["data"]) == len(expected["data"]) and all(close(g, w) for g, w in zip(out["data"], expected["data"])):
        if not got["in_order"]:
            fail(f"{label}.parameters() is not in contract order (each neuron's w + [b], neurons and layers in "
                 "order)", "parameter-order")
        for i, (g, w) in enumerate(pairs(got.get("grads", []), want["grads"], f"{label}: the parameters' grads")):
            if not close(g, w):
                fail(f"{label} on x={x}, then backward() from its output{'s (summed)' if kind != 'neuron' else ''}: "
                     f"parameter {i}'s grad is {fmt(g)}, expected {fmt(w)}", "parameters-not-in-graph")
        return
    variants = [("bias-missing", rearranged(nums, sizes, "no-bias")),
                ("parameter-order", rearranged(nums, sizes, "bias-first"))]
    if kind == "neuron" or len(args) > 2:  # the nonlin flag is last: Neuron(nin, nonlin), Layer(nin, nout, nonlin)
        variants.append(("nonlin-wrong", nums, [*args[:-1], not args[-1]]))
    code = None
    for name, alt, *alt_args in variants:
        other = reference.run("module", kind=kind, args=alt_args[0] if alt_args else args, numbers=alt, x=x)["out"]
        if all(close(g, w) for g, w in zip(out["data"], other["data"])):
            code = name
            break
    shown = ", ".join(fmt(v) for v in out["data"])
    fail(f"{label} with parameters set to {nums} (in parameters() order) on x={x}: output {shown}, expected "
         f"{', '.join(fmt(v) for v in expected['data'])}", code)


@group("task4", "Neuron: parameters and output", weight=2)
def test_neuron(student, reference):
    check_module(student, reference, "neuron", [3, True], X3, "Neuron(3)")
    check_module(student, reference, "neuron", [2, False], [0.5, -1.5], "Neuron(2, nonlin=False)")


@group("task4", "Layer: outputs, and one Value when nout == 1", weight=1.5)
def test_layer(student, reference):
    check_module(student, reference, "layer", [3, 2], X3, "Layer(3, 2)")
    check_module(student, reference, "layer", [3, 1], X3, "Layer(3, 1)")
    check_module(student, reference, "layer", [3, 2, False], X3, "Layer(3, 2, nonlin=False)")


@group("task4", "MLP: parameter count, order and output", weight=2)
def test_mlp(student, reference):
    check_module(student, reference, "mlp", [3, [4, 4, 1]], X3, "MLP(3, [4, 4, 1])")
    check_module(student, reference, "mlp", [2, [3, 2]], [0.5, -1.0], "MLP(2, [3, 2])")


@group("task4", "zero_grad() resets grads and keeps data", weight=1)
def test_zero_grad(student, reference):
    got = student.run("zero_grad", nin=2, nouts=[3, 1])
    count = len(reference.run("zero_grad", nin=2, nouts=[3, 1])["grads"])
    if any(not isinstance(got[key], list) or len(got[key]) != count for key in ("before", "grads", "data")):
        fail(f"MLP(2, [3, 1]).parameters() returns {len(got['grads'])} parameters, expected {count}", "parameter-count")
    want = got["before"]
    if not got["same_objects"]:
        fail("MLP(2, [3, 1]).parameters() gives new Value objects on each call, so zero_grad() cannot reach the "
             "model's own Values", "parameter-copies")
    if not all(close(g, w) for g, w in zip(got["data"], want)):
        left = "and left the grads at 5.0" if all(close(g, 5.0) for g in got["grads"]) else "as well as the grads"
        fail(f"MLP(2, [3, 1]).zero_grad() changed the parameters' data {left}; it must only reset the grads",
             "zero-grad-zeroes-data")
    if all(close(g, 5.0) for g in got["grads"]):
        fail("after setting every grad to 5.0, MLP(2, [3, 1]).zero_grad() left them at 5.0", "zero-grad-missing")
    if not all(close(g, 0.0, abs_tol=0.0) for g in got["grads"]):
        fail(f"after zero_grad() some grads are not 0.0: {got['grads']}", "zero-grad-missing")
