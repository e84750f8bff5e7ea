"""The warm-ups, neural networks and training, run as the grader says, answered with plain numbers.

Where a check must not depend on the student's engine (train() on its own), the numbers come from the
grader's process: the model and the loss ask it for their value and their coefficients, and the closures
made here only apply the coefficients they were sent.
"""

import random

try:
    from .session import num, set_backward
except ImportError:  # inside the sandbox this folder is on sys.path, not a package
    from session import num, set_backward


def warmup(session, fn, args):
    w = session.mods('warmup')
    if fn in ('forward_difference', 'central_difference'):
        coeffs = args['coeffs']
        poly = lambda t: sum(c * t**i for i, c in enumerate(coeffs))  # noqa: E731
        return num(getattr(w, fn)(poly, args['x'], args['h']))
    if fn == 'partials_of_d':
        return [num(v) for v in w.partials_of_d(*args)]
    got = w.backprop_by_hand(*args)
    return {key: num(got[key]) for key in 'abcdef'}


def listed(params):
    """parameters()'s answer as a list; a generator (which a second pass would find empty) is a mistake."""
    if not isinstance(params, (list, tuple)):
        raise TypeError(f"parameters() must return a list of Values, not a {type(params).__name__}")
    return list(params)


def grad_of(p):
    return num(p.grad) if isinstance(p.grad, (int, float)) else str(type(p.grad).__name__)


def inject(params, numbers):
    if len(params) != len(numbers):
        return False
    for p, x in zip(params, numbers):
        p.data, p.grad = x, 0.0
    return True


def module(session, kind, args, numbers, x, seed=0):
    """Make a Neuron/Layer/MLP, describe its parameters, set them to `numbers` through parameters(), run x.
    The output and the parameters are numbered, so the grader can look for the parameters in its graph."""
    random.seed(seed)
    session.reset()
    V, nn = session.mods('engine').Value, session.mods('nn')
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
    report = {
        'count': len(params),
        'all_values': all(isinstance(p, V) for p in params),
        'in_order': len(params) == len(expected) and all(p is q for p, q in zip(params, expected)),
        'distinct': len({id(p) for p in params}) == len(params),
        'same_objects': all(p is q for p, q in zip(params, listed(m.parameters()))),
    }
    if not inject(params, numbers):
        return report
    out = m([V(v) for v in x])  # Values in: a constant-handling slip of the engine is task1's, not task4's
    outs = list(out) if isinstance(out, (list, tuple)) else [out]
    report['kind'] = (
        'value' if isinstance(out, V) else 'list' if isinstance(out, (list, tuple)) else type(out).__name__[:40]
    )
    report['out'] = [num(o.data if isinstance(o, V) else o) for o in outs] if report['kind'] != 'other' else []
    report['outputs'] = [session.number(o) for o in outs if isinstance(o, V)]
    report['params'] = [session.number(p) for p in params]
    return report


def zero_grad(session, nin, nouts, grads, data, seed=0):
    """Set every parameter's grad and data to the grader's numbers (the first ones, however many parameters
    there are), call zero_grad(), read them back. parameters() as any iterable: its count, order and type
    are judged in task4's own rows, zero_grad() alone here."""
    random.seed(seed)
    m = session.mods('nn').MLP(nin, nouts)
    params = once(m.parameters())
    if len(params) > len(grads):
        return {'count': len(params), 'grads': [], 'data': [], 'same_objects': True}
    for p, g, d in zip(params, grads, data):
        p.grad, p.data = g, d
    m.zero_grad()
    return {
        'count': len(params),
        'grads': [grad_of(p) for p in params],
        'data': [num(p.data) for p in params],
        'same_objects': all(p is q for p, q in zip(params, once(m.parameters()))),
    }


def once(params):
    """parameters() as a list, each object once (by identity: a Layer that repeats one Neuron lists its
    Values several times, and zero_grad() is judged on what it holds, not on how parameters() lists it)."""
    seen = set()
    return [p for p in params if not (id(p) in seen or seen.add(id(p)))]


def mse(session, preds, targets):
    """The student's mse_loss on Values holding `preds`: its value, numbered with the predictions."""
    session.reset()
    V = session.mods('engine').Value
    ps = [V(p) for p in preds]
    loss = session.mods('train').mse_loss(ps, targets)
    return {'loss': num(loss.data), 'root': session.number(loss), 'preds': [session.number(p) for p in ps]}


def sgd(session, data, grads, lr):
    class P:  # anything with data and grad: sgd_step should not care
        def __init__(self, d, g):
            self.data, self.grad = d, g

    params = [P(d, g) for d, g in zip(data, grads)]
    session.mods('train').sgd_step(params, lr)
    return [num(p.data) for p in params]


def asked_node(V, answer, children):
    """A Value with the grader's number and a closure that adds the grader's coefficients times out.grad."""
    out = V(answer['data'], tuple(children))
    coefs = answer['coefs']

    def _backward():
        for child, c in zip(children, coefs):
            child.grad += c * out.grad

    set_backward(out, _backward)
    return out


def asking_values(session, V):
    """A subclass of the student's Value whose arithmetic the grader does (+ - * / ** and negation, with
    numbers or Values): the model's outputs are of it, so a train() that writes its loss inline, as the
    lecture does (`sum((yout - ygt)**2 ...)`), is judged on its own too, not on the student's operations.
    Its backward() calls the closures of the nodes made since the last backward() up to this node, newest
    first (again the same ones when called again on the same node): a node is always made after its
    children, and one that the loss does not use has grad 0 and passes nothing on. A tape, not a walk of
    anyone's graph: the student's sort is not used either."""
    tape, place, starts, floor = [], {}, {}, [0]

    def record(out):
        place[id(out)] = len(tape)
        tape.append(out)  # kept: ids stay unique while the tape lives
        return out

    def op(name, *args):
        values = [isinstance(a, V) for a in args]
        question = {'ask': 'op', 'op': name, 'values': values}
        question['args'] = [num(a.data) if v else num(a) for a, v in zip(args, values)]
        return record(asked_node(Asked, session.ask(question), [a for a, v in zip(args, values) if v]))

    def backward(self):
        end = place[id(self)]
        start = starts.setdefault(id(self), floor[0])
        self.grad = 1.0
        for node in reversed(tape[start : end + 1]):
            node._backward()
        floor[0] = max(floor[0], end + 1)

    def operator(name, reflected=False):
        return (lambda self, other: op(name, other, self)) if reflected else (lambda self, other: op(name, self, other))

    methods = {f'__{name}__': operator(name) for name in ('add', 'sub', 'mul', 'truediv', 'pow')}
    methods.update({f'__r{name}__': operator(name, True) for name in ('add', 'sub', 'mul', 'truediv')})
    methods.update(__neg__=lambda self: op('neg', self), backward=backward, record=staticmethod(record))
    # no slots of its own: the student's layout, whatever it is (a node may get its closure on a subclass)
    Asked = type(V.__name__, (V,), {'__slots__': (), **methods})
    return Asked


class AskingModel:
    """A model whose forward pass the grader computes: train() is tested on its own, whatever the engine."""

    def __init__(self, session, numbers):
        self.session, self.V = session, session.mods('engine').Value
        self.Asked = asking_values(session, self.V)
        self.params = [self.V(x) for x in numbers]

    def __call__(self, x):
        answer = self.session.ask(
            {
                'ask': 'forward',
                'params': [num(p.data) for p in self.params],
                'x': [num(v.data if isinstance(v, self.V) else v) for v in x],
            }
        )
        return self.Asked.record(asked_node(self.Asked, answer, self.params))

    def parameters(self):
        return list(self.params)

    def zero_grad(self):
        for p in self.params:
            p.grad = 0.0


def asking_loss(session, Asked):
    def mse_loss(predictions, targets):
        """The grader's loss, whichever way round a train() passes the model's outputs and the targets (a
        symmetric loss of the student's own may take them as (targets, predictions)), targets as numbers or
        Values."""
        first, second = list(predictions), list(targets)
        preds, ys = (second, first) if any(isinstance(x, Asked) for x in second) else (first, second)
        ys = [num(y.data) if isinstance(y, Asked.__base__) else num(y) for y in ys]
        answer = session.ask({'ask': 'loss', 'preds': [num(p.data) for p in preds], 'ys': ys})
        return Asked.record(asked_node(Asked, answer, preds))

    return mse_loss


def asking_sgd(session):
    def sgd_step(parameters, lr):
        """The update's numbers from the grader: train() is judged on its own, whatever sgd_step does."""
        params = list(parameters)
        answer = session.ask(
            {'ask': 'sgd', 'data': [num(p.data) for p in params], 'grads': [num(p.grad) for p in params], 'lr': lr}
        )
        for p, d in zip(params, answer['data']):
            p.data = float(d)

    return sgd_step


def losses_of(losses):
    """train()'s losses as numbers; anything else is the student's mistake, said plainly."""
    if not isinstance(losses, (list, tuple)):
        raise TypeError(f"train() must return a list of losses, not {type(losses).__name__}")
    for x in losses:
        if not isinstance(x, (int, float)):
            raise TypeError(f"train() must return the losses as floats (loss.data), not {type(x).__name__} objects")
    return [num(x) for x in losses]


def swap_defaults(fn, swaps):
    """Give fn's default arguments that are keys of swaps (by id) their new value, and return the old ones (None
    when fn is not a plain function). For a train(..., loss_fn=mse_loss, step_fn=sgd_step): its defaults were
    bound when it was defined, before the module's names were swapped."""
    try:
        old = fn.__defaults__, fn.__kwdefaults__
        fn.__defaults__ = tuple(swaps.get(id(d), d) for d in old[0]) if old[0] else old[0]
        fn.__kwdefaults__ = {k: swaps.get(id(d), d) for k, d in old[1].items()} if old[1] else old[1]
        return old
    except (AttributeError, TypeError):
        return None


def training(session, numbers, xs, ys, steps, lr):
    """The student's train() on a model and a loss whose numbers come from the grader."""
    train = session.mods('train')
    model = AskingModel(session, numbers)
    saved = train.__dict__.get('mse_loss'), train.__dict__.get('sgd_step')
    ours = asking_loss(session, model.Asked), asking_sgd(session)
    train.mse_loss, train.sgd_step = ours  # train()'s own loss and update, if it calls them by name
    defaults = swap_defaults(train.train, {id(s): o for s, o in zip(saved, ours) if s is not None})  # or by default
    try:
        losses = train.train(model, xs, ys, steps, lr)
    finally:
        train.mse_loss, train.sgd_step = saved
        if defaults:
            train.train.__defaults__, train.train.__kwdefaults__ = defaults
    return {'losses': losses_of(losses), 'params': [num(p.data) for p in model.params]}


def own_training(session, nin, nouts, numbers, xs, ys, steps, lr, seed=0):
    """Everything the student wrote together: their MLP (set to `numbers`), engine and train(); the grader
    judges the fit from their own model's predictions before and after (what train() returns is judged
    elsewhere: its losses' form costs this check nothing)."""
    random.seed(seed)
    model = session.mods('nn').MLP(nin, nouts)
    if not inject(listed(model.parameters()), numbers):
        return {'before': [], 'after': [], 'error': 'parameter count'}

    before = predictions(model, xs)
    session.mods('train').train(model, xs, ys, steps, lr)
    return {
        'before': before,
        'after': predictions(model, xs),
        'params': [num(p.data) for p in listed(model.parameters())],
    }


def predictions(model, xs):
    outs = [model(x) for x in xs]
    return [num(o.data if hasattr(o, 'data') else o) for o in outs]


def predict(session, nin, nouts, numbers, xs, seed=0):
    """The student's MLP with these parameters, on xs (the grader runs it in a fresh worker)."""
    random.seed(seed)
    model = session.mods('nn').MLP(nin, nouts)
    if not inject(listed(model.parameters()), numbers):
        return []
    return predictions(model, xs)


def batch(session, requests):
    """Requests in a row, each answered as if alone; the first exception ends them all."""
    return [run(session, r['probe'], r['args']) for r in requests if r['probe'] != 'batch']


PROBES = {f.__name__: f for f in (warmup, module, zero_grad, mse, sgd, training, own_training, predict, batch)}
GRAPH_REQUESTS = ('graph', 'children', 'drive', 'recorded')


def run(session, name, args):
    """One request: a graph request of the session, or one of the probes above."""
    if name in GRAPH_REQUESTS:
        return getattr(session, name)(**args)
    return PROBES[name](session, **args)
