"""Probes: small experiments on an engine that answer with plain numbers.

The same code runs on the student's engine (inside the sandboxed worker) and on mygrad_ref (in the
grader's process), so each hidden check is written once. Stdlib only: this file is copied into the sandbox.
Every probe takes `mods` (a function: module name -> the engine's module) and JSON-able arguments, and
returns JSON-able results; numbers go through `num`, which turns NaN and infinity into strings.
"""
import math
import random

# --- plumbing --------------------------------------------------------------------------------------


def num(x):
    x = float(x)
    return x if math.isfinite(x) else str(x)


def shift_ids(repeat):
    """Allocate some objects so that the next graph's nodes get other addresses: order bugs that depend on
    set iteration (which follows ids) then show up in one repeat or another."""
    return [object() for _ in range(37 * repeat)]


def topo(root):
    """The grader's own topological order (iterative), used to drive closures without the student's sort."""
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((c, False) for c in node._prev if id(c) not in seen)
    return order


def drive(root, out_grad=1.0):
    """Backpropagate with the student's closures but the grader's ordering."""
    root.grad = out_grad
    for node in reversed(topo(root)):
        node._backward()


# --- known-good nodes: built through the student's constructor, with closures written here ---------


def good_node(V, op, args):
    if op == 'add':
        a, b = args
        out = V(a.data + b.data, (a, b), '+')

        def _backward():
            a.grad += out.grad
            b.grad += out.grad
    elif op == 'mul':
        a, b = args
        out = V(a.data * b.data, (a, b), '*')

        def _backward():
            a.grad += b.data * out.grad
            b.grad += a.data * out.grad
    elif op == 'tanh':
        (a,) = args
        out = V(math.tanh(a.data), (a,), 'tanh')

        def _backward():
            a.grad += (1 - out.data ** 2) * out.grad
    else:
        raise ValueError(f"no known-good node for {op}")
    out._backward = _backward
    return out


# --- graphs from a spec ----------------------------------------------------------------------------
# spec: {"leaves": [x0, x1, ...], "nodes": [[op, arg, ...], ...]}; node k has index len(leaves) + k and
# may use any earlier index; the last node is the root. Ops: add mul sub div (i j), neg tanh exp log relu (i),
# pow (i k), cadd cmul csub cdiv (c i: the constant on the left), addc mulc (i c), sum ([i, j, ...]).

BINARY = {'add': lambda a, b: a + b, 'mul': lambda a, b: a * b, 'sub': lambda a, b: a - b,
          'div': lambda a, b: a / b}
UNARY = {'neg': lambda a: -a, 'tanh': lambda a: a.tanh(), 'exp': lambda a: a.exp(), 'log': lambda a: a.log(),
         'relu': lambda a: a.relu()}
LEFT_CONST = {'cadd': lambda c, a: c + a, 'cmul': lambda c, a: c * a, 'csub': lambda c, a: c - a,
              'cdiv': lambda c, a: c / a}
RIGHT_CONST = {'addc': lambda a, c: a + c, 'mulc': lambda a, c: a * c}


def build(V, spec, known_good=False):
    nodes = [V(x) for x in spec['leaves']]
    for op, *args in spec['nodes']:
        if known_good:
            nodes.append(good_node(V, op, [nodes[i] for i in args]))
        elif op in BINARY:
            nodes.append(BINARY[op](nodes[args[0]], nodes[args[1]]))
        elif op in UNARY:
            nodes.append(UNARY[op](nodes[args[0]]))
        elif op == 'pow':
            nodes.append(nodes[args[0]] ** args[1])
        elif op in LEFT_CONST:
            nodes.append(LEFT_CONST[op](args[0], nodes[args[1]]))
        elif op in RIGHT_CONST:
            nodes.append(RIGHT_CONST[op](nodes[args[0]], args[1]))
        elif op == 'sum':
            nodes.append(sum(nodes[i] for i in args[0]))
        else:
            raise ValueError(f"unknown op {op!r} in graph spec")
    return nodes


def graph(mods, spec, mode='engine', calls=1, repeats=3):
    """Build the graph `repeats` times with fresh objects; report every listed node's data and grad.

    mode 'engine': the student's operations and backward(); 'closures': the student's operations, the
    grader's ordering (isolates the closures); 'known-good': the grader's closures, the student's
    backward() (isolates the sort); 'topo': the grader's closures, the order from the student's
    topological_sort, as indices into the node list (-1 for an object that is not one of them)."""
    engine = mods('engine')
    runs = []
    for r in range(repeats):
        padding = shift_ids(r)
        nodes = build(engine.Value, spec, known_good=mode in ('known-good', 'topo'))
        root = nodes[-1]
        if mode == 'topo':
            index = {id(n): i for i, n in enumerate(nodes)}
            first, again = ([index.get(id(n), -1) for n in engine.topological_sort(root)][:10 * len(nodes) + 10]
                            for _ in range(2))  # a second call must give the same list: no state kept
            runs.append({'order': first, 'again': again})
            continue
        for _ in range(calls):
            drive(root) if mode == 'closures' else root.backward()
        runs.append({'data': [num(n.data) for n in nodes], 'grads': [num(n.grad) for n in nodes]})
        del padding
    return runs


def closure(mods, op, x, y=None, k=None, preset=(0.0, 0.0), out_grad=1.0):
    """One operation's backward pass, driven by the grader after presetting the inputs' grads and out.grad.

    op: add mul (a, b), add_self mul_self (a, a), pow (a ** k), tanh exp log relu (a)."""
    V = mods('engine').Value
    a = V(x)
    b = V(y) if y is not None else None
    out = {'add': lambda: a + b, 'mul': lambda: a * b, 'add_self': lambda: a + a, 'mul_self': lambda: a * a,
           'pow': lambda: a ** k, 'tanh': lambda: a.tanh(), 'exp': lambda: a.exp(), 'log': lambda: a.log(),
           'relu': lambda: a.relu()}[op]()
    a.grad = preset[0]
    if b is not None:
        b.grad = preset[1]
    reached = {id(n) for n in topo(out)}  # an input missing from out's graph is never reached by backward()
    linked = id(a) in reached and (b is None or id(b) in reached)
    drive(out, out_grad)  # all of out's closures, in the grader's order: tanh built from exp and / is fine too
    return {'out': num(out.data), 'grads': [num(a.grad)] + ([num(b.grad)] if b is not None else []),
            'linked': linked}


def expression(mods, expr, x, y=None):
    """A one-line expression with constants (e.g. '5 - a', 'sum([a, b])'), forward value and gradients,
    backpropagated with the grader's ordering so only the operations themselves are tested."""
    V = mods('engine').Value
    a, b = V(x), V(y if y is not None else 0.0)
    out = eval(expr, {'__builtins__': {'sum': sum}}, {'a': a, 'b': b})  # expr comes from the grader
    reached = {id(n) for n in topo(out)}
    drive(out)
    return {'out': num(out.data), 'grads': [num(a.grad), num(b.grad)], 'linked': [id(a) in reached, id(b) in reached]}


# --- warm-ups ---------------------------------------------------------------------------------------


def warmup(mods, fn, args):
    w = mods('warmup')
    if fn in ('forward_difference', 'central_difference'):
        coeffs, x, h = args['coeffs'], args['x'], args['h']
        poly = lambda t: sum(c * t ** i for i, c in enumerate(coeffs))  # noqa: E731
        return num(getattr(w, fn)(poly, x, h))
    if fn == 'partials_of_d':
        return [num(v) for v in w.partials_of_d(*args)]
    got = w.backprop_by_hand(*args)
    return {key: num(got[key]) for key in 'abcdef'}


# --- neural networks ----------------------------------------------------------------------------


def inject(params, numbers):
    if len(params) != len(numbers):
        return False
    for p, x in zip(params, numbers):
        p.data, p.grad = x, 0.0
    return True


def listed(params):
    """parameters()'s answer as a list; a generator (which a second pass would find empty) is a mistake."""
    if not isinstance(params, (list, tuple)):
        raise TypeError(f"parameters() must return a list of Values, not a {type(params).__name__}")
    return list(params)


def grad_of(p):
    return num(p.grad) if isinstance(p.grad, (int, float)) else repr(p.grad)


def outputs(out, V):
    if isinstance(out, V):
        return {'kind': 'value', 'data': [num(out.data)]}
    if isinstance(out, (list, tuple)):
        return {'kind': 'list', 'data': [num(o.data if isinstance(o, V) else o) for o in out]}
    return {'kind': type(out).__name__, 'data': []}


def module(mods, kind, args, numbers, x, seed=0, reference=False):
    """Make a Neuron/Layer/MLP, describe its parameters, inject `numbers` through parameters(), run x.
    The operations are the grader's known-good ones, so an engine bug does not cost task4's points."""
    random.seed(seed)
    V = mods('engine').Value
    nn = mods('nn')
    with KnownGoodEngine(V, active=not reference):
        if kind == 'neuron':
            m = nn.Neuron(args[0], nonlin=args[1])
            parts = [m.w, [m.b]]
        elif kind == 'layer':  # args: nin, nout[, nonlin passed on to the neurons]
            m = nn.Layer(args[0], args[1], **({'nonlin': args[2]} if len(args) > 2 else {}))
            parts = [n.parameters() for n in m.neurons]
        else:
            m = nn.MLP(args[0], args[1])
            parts = [layer.parameters() for layer in m.layers]
        params = listed(m.parameters())
        expected = [p for part in parts for p in part]
        report = {'count': len(params), 'all_values': all(isinstance(p, V) for p in params),
                  'in_order': len(params) == len(expected) and all(p is q for p, q in zip(params, expected)),
                  'distinct': len({id(p) for p in params}) == len(params),
                  'same_objects': all(p is q for p, q in zip(params, m.parameters()))}
        if not inject(params, numbers):
            return report
        out = m(x)
        report['out'] = outputs(out, V)
        outs = list(out) if isinstance(out, (list, tuple)) else [out]
        if outs and all(isinstance(o, V) for o in outs):  # do the gradients reach every parameter?
            sum(outs[1:], outs[0]).backward()
            report['grads'] = [grad_of(p) for p in params]
        return report


def zero_grad(mods, nin, nouts, seed=0):
    random.seed(seed)
    m = mods('nn').MLP(nin, nouts)
    params = listed(m.parameters())
    for i, p in enumerate(params):
        p.grad, p.data = 5.0, 0.5 + i
    before = [num(p.data) for p in params]  # read back: a Value listed twice keeps its last number
    m.zero_grad()
    return {'grads': [grad_of(p) for p in params], 'data': [num(p.data) for p in params], 'before': before,
            'same_objects': all(p is q for p, q in zip(params, m.parameters()))}


# --- training: the student's loop, run on a known-good engine and model -----------------------------

GOOD_METHODS = ('__add__', '__radd__', '__mul__', '__rmul__', '__sub__', '__rsub__', '__neg__', '__pow__',
                '__truediv__', '__rtruediv__', 'tanh', 'backward')


def good_methods(V):
    lift = lambda x: x if isinstance(x, V) else V(x)  # noqa: E731

    def power(self, k):
        out = V(self.data ** k, (self,), f'**{k}')

        def _backward():
            self.grad += k * self.data ** (k - 1) * out.grad
        out._backward = _backward
        return out

    def backward(self):
        self.grad = 1.0
        for node in reversed(topo(self)):
            node._backward()

    add = lambda self, other: good_node(V, 'add', [self, lift(other)])  # noqa: E731
    mul = lambda self, other: good_node(V, 'mul', [self, lift(other)])  # noqa: E731
    return {'__add__': add, '__radd__': add, '__mul__': mul, '__rmul__': mul,
            '__sub__': lambda s, o: add(s, mul(lift(o), -1.0)), '__rsub__': lambda s, o: add(mul(s, -1.0), o),
            '__neg__': lambda s: mul(s, -1.0), '__pow__': power,
            '__truediv__': lambda s, o: mul(s, power(lift(o), -1)), '__rtruediv__': lambda s, o: mul(power(s, -1), o),
            'tanh': lambda s: good_node(V, 'tanh', [s]), 'backward': backward}


class KnownGoodEngine:
    """Temporarily give the student's Value class the grader's operations, so a training check does not
    depend on the student's backward passes (their class, constructor and attributes stay)."""

    def __init__(self, V, active=True):
        self.V, self.active, self.saved = V, active, {}

    def __enter__(self):
        if self.active:
            self.saved = {name: self.V.__dict__.get(name, KnownGoodEngine) for name in GOOD_METHODS}
            for name, fn in good_methods(self.V).items():
                setattr(self.V, name, fn)
        return self

    def __exit__(self, *exc):
        for name, fn in self.saved.items():
            if fn is KnownGoodEngine:
                delattr(self.V, name)
            else:
                setattr(self.V, name, fn)


class ProbeModel:
    """A one-hidden-layer tanh network written here, so training checks do not need the student's nn."""

    def __init__(self, V, numbers, nin, hidden):
        it = iter(numbers)
        self.hidden = [([V(next(it)) for _ in range(nin)], V(next(it))) for _ in range(hidden)]
        self.out = ([V(next(it)) for _ in range(hidden)], V(next(it)))

    @staticmethod
    def neuron(ws, b, x):
        act = b
        for w, xi in zip(ws, x):
            act = act + w * xi
        return act.tanh()

    def __call__(self, x):
        h = [self.neuron(ws, b, x) for ws, b in self.hidden]
        return self.neuron(*self.out, h)

    def parameters(self):
        return [p for ws, b in self.hidden + [self.out] for p in ws + [b]]

    def zero_grad(self):
        for p in self.parameters():
            p.grad = 0.0


def mse(mods, preds, targets, reference=False):
    """The student's mse_loss: its value, and the gradient it sends to each prediction."""
    V = mods('engine').Value
    with KnownGoodEngine(V, active=not reference):
        ps = [V(p) for p in preds]
        loss = mods('train').mse_loss(ps, targets)
        loss.backward()
        return {'loss': num(loss.data), 'grads': [num(p.grad) for p in ps]}


def sgd(mods, data, grads, lr):
    class P:  # anything with data and grad: sgd_step should not care
        def __init__(self, d, g):
            self.data, self.grad = d, g
    params = [P(d, g) for d, g in zip(data, grads)]
    mods('train').sgd_step(params, lr)
    return [num(p.data) for p in params]


def losses_of(losses):
    """train()'s losses as numbers; anything else is the student's mistake, said plainly."""
    for x in losses:
        if not isinstance(x, (int, float)):
            raise TypeError(f"train() must return the losses as floats (loss.data), not {type(x).__name__} objects")
    return [num(x) for x in losses]


def training(mods, numbers, xs, ys, steps, lr, hidden=3, reference=False):
    """The student's train() on the grader's model and known-good operations."""
    V = mods('engine').Value
    with KnownGoodEngine(V, active=not reference):
        model = ProbeModel(V, numbers, len(xs[0]), hidden)
        losses = mods('train').train(model, xs, ys, steps, lr)
        return {'losses': losses_of(losses), 'params': [num(p.data) for p in model.parameters()]}


def own_training(mods, nin, nouts, numbers, xs, ys, steps, lr, seed=0):
    """Everything the student wrote, together: their MLP, their engine, their train()."""
    random.seed(seed)
    model = mods('nn').MLP(nin, nouts)
    if not inject(listed(model.parameters()), numbers):
        return {'losses': [], 'params': [], 'error': 'parameter count'}
    losses = losses_of(mods('train').train(model, xs, ys, steps, lr))
    return {'losses': losses, 'params': [num(p.data) for p in model.parameters()]}


def evaluate(mods, nin, nouts, numbers, xs, ys, seed=0):
    """The summed squared error of an MLP with these parameters (the grader runs it on the reference, to
    judge a student's trained parameters by itself rather than by the losses their train() reports)."""
    random.seed(seed)
    model = mods('nn').MLP(nin, nouts)
    inject(model.parameters(), numbers)
    preds = [model(x) for x in xs]
    return {'loss': num(sum((p.data - y) ** 2 for p, y in zip(preds, ys)))}


PROBES = {f.__name__: f for f in (graph, closure, expression, warmup, module, zero_grad, mse, sgd, training,
                                  own_training, evaluate)}


def run(mods, name, args):
    return PROBES[name](mods, **args)
