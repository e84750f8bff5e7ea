"""Instructor tooling for mygrad-kit: the build of exercises/, the verification, and the autograder."""
