"""The environment for running nbgrader and Jupyter in a test: every folder they write to is the test's own."""

import os
import sys
from pathlib import Path

BIN = Path(sys.executable).parent


def jupyter_env(top: Path) -> dict[str, str]:
    """os.environ with HOME and Jupyter's config, data and runtime folders under top, and the venv's bin first
    on PATH (nbgrader runs alembic from PATH)."""
    return dict(
        os.environ,
        HOME=str(top / "home"),
        JUPYTER_CONFIG_DIR=str(top / "jupyter-config"),
        JUPYTER_DATA_DIR=str(top / "jupyter-data"),
        JUPYTER_RUNTIME_DIR=str(top / "jupyter-runtime"),
        PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    )
