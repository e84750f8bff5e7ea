"""Entry point of the sandboxed worker: imports the student's mygrad and answers probe requests.

Runs with `python -S -s` inside the sandbox, so only the standard library and the submission exist. It
speaks one JSON object per line: requests on stdin, answers on the original stdout; the student's own
prints are moved to stderr. Nothing here is trusted by the grader: answers are only numbers to check.
"""
import importlib
import json
import os
import re
import sys
import traceback
import types

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import probes  # noqa: E402  (everything the worker needs is imported before the submission is reachable)

# Out of plain sight of student code: `import probes` no longer finds the grader's helpers (the grader's
# scan flags code that names them; verdicts never depend on this).
sys.path[:] = [p for p in sys.path if p != HERE]
del sys.modules['probes']

FORBIDDEN = ('mygrad_ref', 'solutions', 'autograder', 'micrograd', 'torch', 'tinygrad', 'jax', 'tensorflow')
NOT_STARTED = re.compile(r'(task\w+) not started')


def load_package(submission):
    """Make `mygrad` importable file by file: a broken nn.py must not stop the engine's checks, so when the
    package's __init__ fails, fall back to a bare package whose submodules import on their own."""
    sys.path.append(submission)  # last, so a submission's json.py or probes.py shadows nothing of ours
    try:
        importlib.import_module('mygrad')
    except BaseException:  # noqa: B036 - anything the student's __init__ does
        for name in [n for n in sys.modules if n == 'mygrad' or n.startswith('mygrad.')]:
            del sys.modules[name]
        package = types.ModuleType('mygrad')
        package.__path__ = [os.path.join(submission, 'mygrad')]
        sys.modules['mygrad'] = package


def mods(name):
    return importlib.import_module(f'mygrad.{name}')


def describe(err):
    frames = traceback.extract_tb(err.__traceback__)
    student = [f for f in frames if '/mygrad/' in f.filename.replace(os.sep, '/')]
    where = f"{os.path.basename(student[-1].filename)}:{student[-1].lineno} in {student[-1].name}" if student else ''
    message = str(err)[:500]
    stub = NOT_STARTED.search(message) if isinstance(err, NotImplementedError) else None
    return {'type': type(err).__name__, 'message': message, 'where': where,
            'task': stub.group(1) if stub else None, 'import': isinstance(err, (ImportError, SyntaxError))}


def main():
    answers = os.fdopen(os.dup(1), 'w')
    os.dup2(2, 1)
    load_package(sys.argv[1])
    for line in sys.stdin:
        request = json.loads(line)
        try:
            reply = {'ok': probes.run(mods, request['probe'], request['args'])}
        except Exception as err:  # the student's error is an answer, not the worker's failure
            reply = {'error': describe(err)}
        reply['id'] = request.get('id')
        reply['forbidden'] = sorted(m for m in sys.modules if m.split('.')[0] in FORBIDDEN)
        answers.write(json.dumps(reply) + '\n')
        answers.flush()


if __name__ == '__main__':
    main()
