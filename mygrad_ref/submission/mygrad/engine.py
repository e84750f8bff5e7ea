"""The reference seen as a student submission, so the public tests can run on it (mygrad verify)."""

from mygrad_ref.engine import *  # noqa: F401,F403
from mygrad_ref.engine import __all__  # noqa: F401
