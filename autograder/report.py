"""The terminal report of a Results: one row per task and check, points, status, feedback, total."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from . import catalogue
from .results import Results


def render(results: Results, console: Console | None = None, title: str = "") -> None:
    console = console or Console(width=None if Console().is_terminal else 120)
    tasks = catalogue.load()
    table = Table(title=escape(title) or None, show_lines=True, expand=True)
    table.add_column("Task", no_wrap=True)
    table.add_column("Check", ratio=3)
    table.add_column("Points", justify="right", no_wrap=True)
    table.add_column("Status", no_wrap=True)
    table.add_column("Feedback", ratio=6)
    totals = results.task_scores()
    for t in results.tests:
        check = t.name.split(" · ", 1)[-1]
        status = (
            "[green]passed[/]"
            if t.status == "passed"
            else "[yellow]warning[/]"
            if t.max_score == 0
            else "[red]failed[/]"
        )
        feedback = "" if t.status == "passed" else t.output
        # feedback quotes student code and messages: brackets in it are text, never rich markup
        table.add_row(escape(t.task), escape(check), f"{t.score:.2f} / {t.max_score:.2f}", status, escape(feedback))
    console.print(table)
    hints = results.hints()
    for task_id, (score, most) in totals.items():
        name = tasks[task_id].title if task_id in tasks else task_id
        console.print(escape(f"  {task_id}  {name:<48} {score:6.2f} / {most:g}"))
        if task_id in hints:
            console.print(f"[dim]         hint: {escape(hints[task_id])}[/]")
    console.print(
        f"[bold]Total: {results.score:.2f} / {results.max_score:g}[/]   "
        f"({results.execution_time:.1f} s, student code ran in {results.isolation} isolation)"
    )
    for note in results.notes:
        console.print(f"[yellow]{escape(note)}[/]")
