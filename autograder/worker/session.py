"""Objects of one experiment, by number: Values made with the student's operations, their children, numbers.

The grader's process describes a graph, asks for a node's children one level at a time (a build lists two),
and says in which order to call the closures; this file only does as it is told (it has no graph walk and no
derivative).
"""

import math
import operator

MAX_OBJECTS = 5000  # one experiment's objects: a student graph larger than this is cut off
MAX_CHILDREN = 64  # children listed per node

# spec: {"leaves": [x0, ...], "nodes": [[op, arg, ...], ...]}: node k has index len(leaves) + k and may use any
# earlier index; the last node is the root. Ops: add mul sub div (i j), neg tanh exp log relu (i), pow (i k),
# cadd cmul csub cdiv (c i: the constant on the left), addc mulc (i c), sum ([i, j, ...]); any other name is a
# method of the Value called with no argument (i): tanh, exp, log, relu, or one a course adds.
BINARY = {'add': operator.add, 'mul': operator.mul, 'sub': operator.sub, 'div': operator.truediv}


def num(x):
    """A float for the answer channel; NaN and infinity travel as strings."""
    x = float(x)
    return x if math.isfinite(x) else str(x)


def set_backward(node, closure):
    """node._backward = closure. A Value whose _backward is a method of its class and that has no slot for
    one (__slots__ without '_backward') cannot take it: the node then gets a class of its own, a subclass of
    its class with no slots of its own (so the same layout) whose _backward is the closure."""
    try:
        node._backward = closure
    except AttributeError:
        cls = type(node)
        node.__class__ = type(cls.__name__, (cls,), {'__slots__': (), '_backward': staticmethod(closure)})


def build(V, spec):
    """The spec's nodes, made with the student's Value and operators (a constant on the left reaches the
    reflected operator: `5 - a` is operator.sub(5, a))."""
    nodes = [V(x) for x in spec['leaves']]
    for op, *args in spec['nodes']:
        node = lambda i: nodes[i]  # noqa: E731
        if op in BINARY:
            out = BINARY[op](node(args[0]), node(args[1]))
        elif op == 'neg':
            out = -node(args[0])
        elif op == 'pow':
            out = node(args[0]) ** args[1]
        elif op[0] == 'c' and op[1:] in BINARY:
            out = BINARY[op[1:]](args[0], node(args[1]))
        elif op[-1] == 'c' and op[:-1] in BINARY:
            out = BINARY[op[:-1]](node(args[0]), args[1])
        elif op == 'sum':
            out = sum(node(i) for i in args[0])
        elif op.isidentifier() and not op.startswith('_'):
            value = node(args[0])
            out = getattr(value, op)()
            if out is value:  # e.g. relu returning self for a positive input: no node to check
                raise TypeError(f"`{op}()` returned its input itself, not a new Value (its result node)")
        else:
            raise ValueError(f"unknown op {op!r} in graph spec")
        if not isinstance(out, V):  # the grader names the operation; numbers go on only with Values
            raise TypeError(f"`{op}` returned {type(out).__name__}, not a Value")
        nodes.append(out)
    return nodes


def shift_ids(repeat):
    """Allocate some objects so that the next graph's nodes get other addresses: bugs that depend on set
    iteration (which follows ids) then show up in one repeat or another."""
    return [object() for _ in range(37 * repeat)]


def recording_closure(log, label, cap, seen=None, node=None):
    """A closure that logs its label; the output's also notes the output's grad when it runs (backward()
    must seed it before calling any closure)."""

    def _backward():
        if seen is not None and not seen:
            seen.append(node.grad if isinstance(node.grad, (int, float)) and not isinstance(node.grad, bool) else 'nan')
        if len(log) < cap:
            log.append(label)

    return _backward


class Session:
    """The current experiment's objects by number; a node met twice keeps its first number."""

    def __init__(self, mods, ask):
        self.mods, self.ask = mods, ask
        self.slots = {}
        self.reset()

    def reset(self):
        self.objects, self.numbers = [], {}

    def use(self, slot):
        """Make the experiment kept in `slot` the current one (a batch of builds keeps each in a slot of its own,
        for the requests that follow it); None: the current one stays."""
        if slot is not None:
            self.objects, self.numbers = self.slots[slot]

    def number(self, obj):
        i = self.numbers.get(id(obj))
        if i is None:
            if len(self.objects) >= MAX_OBJECTS:
                raise OverflowError(f"more than {MAX_OBJECTS} nodes in one graph")
            i = self.numbers[id(obj)] = len(self.objects)
            self.objects.append(obj)
        return i

    # --- requests -------------------------------------------------------------------------------------

    def graph(self, spec, calls=0, repeats=1, children=False, slot=None):
        """Build the spec with the student's operations `repeats` times, with fresh objects; call the root's
        backward() `calls` times; report every node's data and grad. The last build stays numbered; with
        `children`, two levels of children too, as two `children` requests would list them: those of the
        nodes built here, then those of the nodes first met among them (the constants of `a + 1`). Two fixed
        levels, no walk: what the requests would cost, in one. With `slot`, the build is kept there too (slot 0
        starts a new batch: the slots of the last one are let go)."""
        V = self.mods('engine').Value
        if slot in (None, 0):
            self.slots = {}
        runs = []
        for r in range(repeats):
            padding = shift_ids(r)
            self.reset()
            nodes = build(V, spec)
            for n in nodes:
                self.number(n)
            for _ in range(calls):
                nodes[-1].backward()
            runs.append({'data': [num(n.data) for n in nodes], 'grads': [num(n.grad) for n in nodes]})
            del padding
        if children and runs:
            built = self.children(range(len(nodes)))['children']
            runs[-1]['children'] = built + self.children(range(len(nodes), len(self.objects)))['children']
        if slot is not None:
            self.slots[slot] = self.objects, self.numbers
        return runs

    def children(self, of, slot=None):
        """For each numbered node, the numbers of its children (`_prev`), numbering new ones as they come."""
        self.use(slot)
        return {
            'children': [[self.number(c) for c in list(self.objects[i]._prev)[:MAX_CHILDREN]] for i in of],
            'data': [num(o.data) for o in self.objects],
        }

    def drive(self, grads, order, read, slot=None):
        """Set grads ([number, grad] pairs), call `_backward` of the numbered nodes in the order given, and
        read the grads of `read`."""
        self.use(slot)
        for i, g in grads:
            self.objects[i].grad = g
        for i in order:
            closure = self.objects[i]._backward
            if closure is not None:  # a leaf's no-op may be written as None (on any other node: nothing flows)
                closure()
        return [num(self.objects[i].grad) for i in read]

    def recorded(self, nodes, creation, grads, labels, call='backward', calls=1, repeats=1):
        """A graph whose closures only record that they were called (each logs its label, a number the grader
        drew, new for each repeat), made with the student's constructor in the order `creation` (not a
        topological order), children set afterwards in that order too; then `calls` calls of the root's
        backward() (logs of closure calls, and every grad after), or of topological_sort(root)."""
        engine = self.mods('engine')
        runs = []
        for r in range(repeats):
            padding = shift_ids(r)
            made = [None] * len(nodes)
            for i in creation:
                made[i] = engine.Value(nodes[i][0])
            for i in creation:
                made[i]._prev = type(made[i]._prev)(made[k] for k in nodes[i][1])
                if nodes[i][1]:  # the contract: '' is a leaf's _op (a sort may rely on it)
                    try:
                        made[i]._op = 'recorded'
                    except AttributeError:
                        pass
            root = made[-1]
            if call == 'sort':
                where = {id(n): i for i, n in enumerate(made)}
                first, again = (
                    [where.get(id(n), -1) for n in engine.topological_sort(root)][: 10 * len(made) + 10]
                    for _ in range(2)
                )  # a second call must give the same list: no state kept
                runs.append({'order': first, 'again': again})
                continue
            logs, seeded = [], []
            for _ in range(calls):
                log, seen = [], []
                for i in creation:
                    mine = (seen, root) if made[i] is root else (None, None)
                    set_backward(made[i], recording_closure(log, labels[r][i], 10 * len(made) + 10, *mine))
                    made[i].grad = grads[i]
                root.backward()
                logs.append(log)
                seeded.append(num(seen[0]) if seen else None)
            runs.append({'logs': logs, 'grads': [num(n.grad) for n in made], 'seeded': seeded})
            del padding
        return runs
