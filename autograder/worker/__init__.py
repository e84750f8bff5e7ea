"""What runs inside the sandbox, next to the student's code: generic plumbing and nothing that knows an answer.

The sandbox copies this folder and nothing else of the grader. Its files build Values with the student's own
operations, hand them out by number, set and read plain numbers, call what the grader names in the order the
grader sends, and ask the grader's process when a number is needed. No derivative, no graph walk, no model
answer lives here (tests/test_trust_boundary.py enforces it); every verdict is made in the grader's process.
Files here import only the standard library and each other, never the rest of `autograder`.
"""
