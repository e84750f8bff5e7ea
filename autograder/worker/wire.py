"""JSON lines for the worker, written and read by json's own C parts (the `_json` module that `json` uses).

`import json` imports re and enum too: about a third of the instructions a worker's start costs (and a grade
starts two). Where `_json` is missing or does not answer as json would (another Python), json itself is used.
"""

try:
    from _json import encode_basestring_ascii, make_encoder, make_scanner

    class _Decoding:  # what json.JSONDecoder hands its scanner
        strict, object_hook, object_pairs_hook = True, None, None
        parse_float, parse_int, parse_constant = float, int, float

    def _unserializable(o):
        raise TypeError(f'Object of type {type(o).__name__} is not JSON serializable')

    _scan = make_scanner(_Decoding())
    _encode = make_encoder(None, _unserializable, encode_basestring_ascii, None, ':', ',', False, False, True)

    def loads(line):
        return _scan(line, 0)[0]

    def dumps(message):
        return ''.join(_encode(message, 0))

    if dumps({'a': [1.5, 'é\n', None, True, float('nan')]}) != '{"a":[1.5,"\\u00e9\\n",null,true,NaN]}' or loads(
        '{"a": [1.5, -Infinity, "x"], "b": null}\n'
    ) != {'a': [1.5, float('-inf'), 'x'], 'b': None}:
        raise ImportError('_json does not answer as json does')
except (ImportError, TypeError, AttributeError):
    from json import JSONEncoder, loads  # noqa: F401

    dumps = JSONEncoder(separators=(',', ':')).encode  # the same lines: the grader matches its status lines whole
