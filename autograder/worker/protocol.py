"""Names both sides of the sandbox agree on (the grader imports this file; it imports nothing)."""

# The kit's own code and other autograd libraries: a submission that imports one gets no points.
KIT = ('mygrad_ref', 'solutions', 'autograder')
FORBIDDEN = KIT + ('micrograd', 'torch', 'tinygrad', 'jax', 'tensorflow')
# A stub's message, e.g. "task1 not started: ...", written by `mygrad build` (a pattern for re.search: the worker
# imports re only once a request has raised).
NOT_STARTED = r'(task\w+) not started'
