"""Fixtures shared by the kit's own tests."""

import shutil
import tempfile

import pytest
from isolation import reachable_folder


@pytest.fixture
def private_tmp(monkeypatch):
    """This test's own temporary folder for the grader: what is left there, and processes that name it, are
    this test's alone (other grades may run on the machine at the same time)."""
    folder = reachable_folder()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)
