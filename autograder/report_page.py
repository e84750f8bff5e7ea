"""The grade report as a web page: every check with its feedback, and each failed graph check drawn with
graphviz (every node with the student's grad and the expected one, the first wrong node in red), so a
student can see where the gradient went wrong. `mygrad grade --html`, and each student's page in grade-all.
"""

from __future__ import annotations

import html
import shutil

from mygrad_ref.draw import draw_comparison

from .results import Results

STYLE = """body{font:15px/1.45 system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.4em}table{border-collapse:collapse;width:100%;margin:1em 0}
td,th{border-bottom:1px solid #ddd;padding:.35em .6em;text-align:left;vertical-align:top}
.passed{color:#1a7f37}.failed{color:#c62828}.note{color:#9a6700}.row{border:1px solid #ddd;border-radius:6px;
margin:1em 0;padding:.6em 1em}.row pre{white-space:pre-wrap;font:13px/1.4 ui-monospace,monospace;margin:.4em 0}
.graph svg{max-width:100%;height:auto}.total{font-size:1.2em;font-weight:600}"""


def graph_svg(graph: dict) -> str:
    """The failed check's graph as inline SVG ('' when Graphviz's `dot` is not installed)."""
    if shutil.which("dot") is None:
        return ""
    svg = draw_comparison(graph).pipe(format="svg").decode()
    return svg[svg.index("<svg") :]


def page(results: Results, title: str) -> str:
    hints = results.hints()
    totals = "".join(
        f"<tr><td>{html.escape(task)}</td><td>{score:.2f} / {most:g}</td>"
        f"<td>{html.escape(hints.get(task, ''))}</td></tr>"
        for task, (score, most) in results.task_scores().items()
    )
    rows = []
    for t in results.tests:
        status = "passed" if t.status == "passed" else "note" if t.max_score == 0 else "failed"
        body = "" if t.status == "passed" else f"<pre>{html.escape(t.output)}</pre>"
        picture = graph_svg(t.graph) if t.graph and t.status != "passed" else ""
        if picture:
            body += (
                '<div class="graph"><p>The graph of this example: your grad and the expected one at every '
                'node; the first wrong node, counting back from the output, is in red.</p>' + picture + "</div>"
            )
        rows.append(
            f'<div class="row" id="{html.escape(t.name)}"><b class="{status}">{status}</b> '
            f"{html.escape(t.name)} <span>({t.score:.2f} / {t.max_score:.2f})</span>{body}</div>"
        )
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in results.notes)
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{STYLE}</style></head><body><h1>{html.escape(title)}</h1>"
        f'<p class="total">Total: {results.score:.2f} / {results.max_score:g}</p>'
        f"<table><tr><th>task</th><th>points</th><th>hint</th></tr>{totals}</table>"
        + (f"<ul>{notes}</ul>" if notes else "")
        + "".join(rows)
        + f"<p>Student code ran in {html.escape(results.isolation)} isolation.</p></body></html>"
    )
