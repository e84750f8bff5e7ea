"""nbgrader's own command line, started without a slow optional import: `python -m autograder.nbgrader.app ARGS`
does what `nbgrader ARGS` does.

Importing nbgrader imports nbformat, which imports jsonschema, which registers an "iri" format checker when
rfc3987_syntax is installed (jupyter-events asks for it); importing rfc3987_syntax builds a Lark grammar:
1.2 s on an idle core, a third of nbgrader's start-up and more than it spends recording a class of 8. Nothing
nbgrader runs checks that format (nbformat and nbgrader validate with no format checker, and their schemas
use no "iri"), so the module is marked absent, as if not installed: start-up is all this changes.
"""

import sys

sys.modules.setdefault("rfc3987_syntax", None)  # `import rfc3987_syntax` now raises ImportError, which jsonschema skips

from nbgrader.apps.nbgraderapp import main  # noqa: E402 (after the line above, or it is too late)

if __name__ == "__main__":
    sys.exit(main())
