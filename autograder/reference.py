"""The reference answers: the worker's own plumbing run in this (trusted) process on mygrad_ref.

Only numbers that mygrad_ref computes here are expected values; the student's worker runs the same requests.
"""

from __future__ import annotations

import importlib

from . import oracle
from .worker import nets
from .worker.session import Session


class Reference:
    def __init__(self):
        self.session = Session(lambda name: importlib.import_module(f"mygrad_ref.{name}"), oracle.answer)

    def run(self, probe: str, slow: bool = False, fresh: bool = False, touches: frozenset[str] = frozenset(), **args):
        return nets.run(self.session, probe, args)
