"""The nbgrader path: the same tasks as one nbgrader assignment, graded by the same sandboxed grader.

notebook.py    builds the assignment notebook from solutions/ and docs/lessons/ (with ../notebook_cells.py,
               shared with the student release's notebooks), and turns a submitted notebook back into a
               mygrad/ package;
stubs.py       generate_assignment's stubs: the same as `mygrad build` writes in exercises/;
preprocessor.py  the trusted step that replaces nbgrader's Execute during `nbgrader autograde`;
course.py      `mygrad nbgrader init`: a ready nbgrader course;
parallel.py    `mygrad nbgrader autograde`: many notebooks at once, into nbgrader's gradebook.
"""
