"""`nbgrader generate_assignment` writes the same stubs as `mygrad build`.

Stock ClearSolutions puts one fixed stub in every fenced region; it cannot name the task. Ours runs
build.strip_solutions on each answer cell, so an untouched stub raises
`NotImplementedError("taskN not started: <title>")` on both paths: the grader (worker/protocol.py
NOT_STARTED) reports the task as not started, and a check cell's error names the task to do.
"""

from __future__ import annotations

from nbgrader.preprocessors import ClearSolutions

from .. import build


class MygradStubs(ClearSolutions):
    def _replace_solution_region(self, cell, language: str) -> bool:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if cell.cell_type != "code" or not grade_id.startswith("code-"):  # a cell the kit did not make
            return super()._replace_solution_region(cell, language)
        stub = build.strip_solutions(cell.source, f"mygrad/{grade_id.removeprefix('code-')}.py")
        replaced = stub != cell.source
        cell.source = stub
        return replaced


def generate_preprocessors() -> list:
    """nbgrader's own generate_assignment steps, with MygradStubs where ClearSolutions was."""
    from nbgrader.converters import GenerateAssignment

    steps = GenerateAssignment.class_traits()["preprocessors"].make_dynamic_default()
    if ClearSolutions not in steps:
        raise RuntimeError(f"nbgrader's generate_assignment has no ClearSolutions step to replace: {steps}")
    return [MygradStubs if step is ClearSolutions else step for step in steps]
