"""Entry point of the sandboxed worker: imports the student's mygrad and answers the grader's requests.

Runs with `python -S -s` inside the sandbox, so only the standard library and the submission exist. It
speaks one JSON object per line: requests on stdin, answers on the original stdout (a question back to the
grader, `{"ask": ...}`, is answered on stdin before the request's answer); the student's prints go to stderr.
Nothing here is trusted by the grader: every answer is checked against a schema, then compared.
"""

import gc
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import nets  # noqa: E402  (imported before the submission is reachable)
import session as sessions  # noqa: E402
from protocol import FORBIDDEN, NOT_STARTED  # noqa: E402
from wire import dumps, loads  # noqa: E402

sys.path[:] = [p for p in sys.path if p != HERE]  # a submission's session.py must not be found as ours
for name in ('nets', 'session', 'protocol', 'wire'):
    del sys.modules[name]


def import_module(name):
    """importlib.import_module without importing importlib (nor types, below): each import is paid at every
    worker start."""
    __import__(name)
    return sys.modules[name]


def load_package(submission):
    """Make `mygrad` importable file by file: a broken nn.py must not stop the engine's checks, so when the
    package's __init__ fails, fall back to a bare package whose submodules import on their own."""
    sys.path.append(submission)  # last, so a submission's json.py shadows nothing of ours
    try:
        import_module('mygrad')
    except BaseException as err:  # noqa: B036 - anything the student's __init__ does
        for name in [n for n in sys.modules if n == 'mygrad' or n.startswith('mygrad.')]:
            del sys.modules[name]
        package = type(sys)('mygrad')  # a bare module, as types.ModuleType makes
        package.__path__ = [os.path.join(submission, 'mygrad')]
        package.__getattr__ = names_of_modules(package.__path__[0], f"{type(err).__name__}: {err}"[:300])
        sys.modules['mygrad'] = package


def names_of_modules(folder, failed):
    """The bare package's __getattr__: `from mygrad import Value` in nn.py finds Value in the first file of the
    package that imports and has it (as the package's __init__ would have given it), so a syntax error in
    warmup.py costs warmup's checks only."""

    def __getattr__(name):
        if not name.startswith('__'):
            for file in sorted(os.listdir(folder)):
                if file.endswith('.py') and file != '__init__.py':
                    try:
                        module = import_module(f'mygrad.{file[:-3]}')
                    except BaseException:  # noqa: B036, S112 - that file's own checks say what is wrong with it
                        continue
                    if hasattr(module, name):
                        return getattr(module, name)
        raise AttributeError(f"module 'mygrad' has no attribute {name!r} (its __init__.py failed: {failed})")

    return __getattr__


def last_frame_in_mygrad(tb):
    """Where in the submission's mygrad/ the traceback last passes, as "file.py:line in name" (the traceback
    module would cost every worker that meets an exception its import: 38 M instructions, with linecache,
    tokenize and re)."""
    where = ''
    for _ in range(10**6):  # along the chain of frames, as deep as the stack was (the worker has no while loop)
        if tb is None:
            break
        code = tb.tb_frame.f_code
        if '/mygrad/' in code.co_filename.replace(os.sep, '/'):
            where = f"{os.path.basename(code.co_filename)}:{tb.tb_lineno} in {code.co_name}"
        tb = tb.tb_next
    return where


def describe(err):
    where = last_frame_in_mygrad(err.__traceback__)
    try:
        message = str(err)[:500]
    except Exception:  # noqa: BLE001 - a student exception whose __str__ fails
        message = '(the message could not be read)'
    stub = None
    if isinstance(err, NotImplementedError):
        import re  # here: only a stub's error needs it, and its import costs a worker start 23 M instructions

        stub = re.search(NOT_STARTED, message)
    return {
        'type': type(err).__name__[:80],
        'message': message,
        'where': where[:200],
        'task': stub.group(1) if stub else None,
        'import': isinstance(err, (ImportError, SyntaxError)),
    }


def main():
    answers = os.fdopen(os.dup(1), 'w')
    os.dup2(2, 1)
    requests = sys.stdin

    def send(message):
        answers.write(dumps(message) + '\n')
        answers.flush()

    def ask(question):
        send({'ask': question})
        return loads(requests.readline())['answer']

    def module(name):
        """mygrad.<name>, imported on first use when the package's __init__ did not import it: its top-level
        code runs now, so the grader is told, and treats the time as an import's (only the deadline)."""
        full = f'mygrad.{name}'
        if full in sys.modules:
            return sys.modules[full]
        send({'importing': name})
        try:
            return import_module(full)
        finally:
            send({'ready': True})

    send({'started': True})  # before any code of the submission: a "bwrap:" line after this one is not bwrap's
    nets.random.seed(0)  # the submission's own random numbers, the same in every worker: the same files, the same grade
    load_package(sys.argv[1])
    send({'ready': True})  # the submission is imported: a timeout from here on is not its import's
    # Every node of a student's graph is in a reference cycle through its closure, so the cyclic collector
    # runs again and again over graphs that are still in use: 80-87% of a training step with the default
    # thresholds. Collect far less often; the address-space limit still bounds what a submission can hold.
    gc.freeze()
    gc.set_threshold(200_000, 50, 100)
    session = sessions.Session(module, ask)
    seen = [-1, []]  # how many modules were loaded when last looked at, and which of them are forbidden
    for line in requests:
        request = loads(line)
        try:
            reply = {'ok': nets.run(session, request['probe'], request['args'])}
        except Exception as err:  # the student's error is an answer, not the worker's failure
            reply = {'error': describe(err)}
        reply['id'] = request.get('id')
        if len(sys.modules) != seen[0]:  # looked at again only when an import changed the count
            seen[:] = len(sys.modules), sorted(m for m in sys.modules if m.split('.')[0] in FORBIDDEN)[:20]
        reply['forbidden'] = seen[1]
        send(reply)
    os._exit(0)  # end of requests: leave at once (no student atexit hook or finaliser runs, nothing to flush)


if __name__ == '__main__':
    main()
