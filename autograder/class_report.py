"""class-report.html: one offline page on a whole class, written by `mygrad grade-all`.

Plots (matplotlib, inlined as SVG: the page needs no network and no JavaScript): the score histogram, each
task's share of full, partial and zero marks, and how many students got each diagnosis code; then the
table of submissions that need a human look. Without the `class` extra, the page has the tables only.
"""

from __future__ import annotations

import io
import statistics
from collections import Counter
from html import escape
from urllib.parse import quote

from . import catalogue
from .diagnoses import DIAGNOSES
from .results import Results

STYLE = """body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
figure{margin:1em 0}svg{max-width:100%;height:auto}.num{text-align:right}"""


def svg(figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    text = buffer.getvalue()
    return text[text.index("<svg") :]  # drop the XML prolog and doctype: the SVG sits inside HTML


def preload() -> None:
    """Import the plotting library ahead: grade-all's parent does it in a thread while the class is graded
    (it only waits on its grading processes then), so the report at the end does not wait ~0.3 s for it."""
    try:
        import matplotlib.figure  # noqa: F401
        import matplotlib.ticker  # noqa: F401
    except ImportError:
        pass


def plots(graded: dict[str, Results], codes: Counter) -> list[tuple[str, str]]:
    """(id, SVG) of each plot; an empty list without matplotlib."""
    try:
        import matplotlib
        from matplotlib.figure import Figure
        from matplotlib.ticker import MaxNLocator
    except ImportError:
        return []
    matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text: smaller, searchable, readable in the DOM
    most = max(r.max_score for r in graded.values())
    histogram = Figure(figsize=(7, 3))
    ax = histogram.subplots()
    ax.hist([r.score for r in graded.values()], bins=20, range=(0, most), color="#4c72b0", edgecolor="white")
    ax.set(title="Scores", xlabel=f"points (of {most:g})", ylabel="students")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))

    tasks = list(dict.fromkeys(t for r in graded.values() for t in r.task_scores()))
    shares = {kind: [] for kind in ("full marks", "partial", "nothing")}
    for task in tasks:
        got = [r.task_scores()[task] for r in graded.values() if task in r.task_scores()]
        shares["full marks"].append(sum(s >= m for s, m in got))
        shares["partial"].append(sum(0 < s < m for s, m in got))
        shares["nothing"].append(sum(s == 0 < m for s, m in got))
    per_task = Figure(figsize=(7, 0.5 + 0.45 * len(tasks)))
    ax = per_task.subplots()
    left = [0] * len(tasks)
    for (kind, counts), color in zip(shares.items(), ("#55a868", "#dd8452", "#c44e52")):
        ax.barh(tasks, counts, left=left, label=kind, color=color)
        left = [a + b for a, b in zip(left, counts)]
    ax.invert_yaxis()
    ax.set(title="Marks per task", xlabel="students")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small")  # beside the bars, never on them

    top = codes.most_common(25)
    diagnoses = Figure(figsize=(7, 0.6 + 0.3 * max(len(top), 1)))
    ax = diagnoses.subplots()
    ax.barh([c for c, _ in top], [n for _, n in top], color="#8172b3")
    ax.invert_yaxis()
    ax.set(title="Diagnoses: students with each code", xlabel="students")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    return [("scores", svg(histogram)), ("tasks", svg(per_task)), ("diagnoses", svg(diagnoses))]


def class_report(graded: dict[str, Results], skipped: list[str], needs_a_look) -> str:
    """The page's HTML; needs_a_look(results) lists why a submission needs a human look."""
    titles = {t.id: t.title for t in catalogue.load().values()}
    codes = Counter(code for r in graded.values() for code in {c for t in r.tests for c in t.tags[1:]})
    # the statistics and plots are of the submissions graded: a zero for an unreadable upload is no score
    real = {
        s: r for s, r in graded.items() if not {"not-gradable", "grader-error"} & {c for t in r.tests for c in t.tags}
    }
    scores = [r.score for r in real.values()]
    parts = [
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>Class report</title><style>{STYLE}</style>"
        f"</head><body><h1>Class report</h1>"
    ]
    if scores:
        parts.append(
            f"<p id='summary'>{len(scores)} submissions graded; mean {statistics.mean(scores):.1f}, median "
            f"{statistics.median(scores):g}, full marks {sum(r.score >= r.max_score for r in real.values())}"
            + (f"; {len(graded) - len(real)} could not be graded (below)" if len(real) < len(graded) else "")
            + ".</p>"
        )
    figures = plots(real, codes) if real else []
    if graded and not figures:
        parts.append("<p>Install the class extra for the plots: <code>pip install -e '.[class]'</code></p>")
    for name, picture in figures:
        parts.append(f"<figure id='plot-{name}'>{picture}</figure>")

    look = {s: why for s, r in sorted(graded.items()) if (why := needs_a_look(r))}
    parts.append(
        f"<h2>Needs a look ({len(look)})</h2><table id='needs-a-look'><tr><th>student</th><th>score</th>"
        f"<th>why</th></tr>"
    )
    for student, why in look.items():
        link = f"<a href='students/{quote(student)}/feedback.html'>{escape(student)}</a>"
        parts.append(
            f"<tr><td>{link}</td><td class='num'>{graded[student].score:g}</td>"
            f"<td>{'<br>'.join(escape(w[:400]) for w in why)}</td></tr>"
        )
    parts.append("</table>")

    parts.append("<h2>Diagnoses</h2><table id='diagnoses'><tr><th>code</th><th>students</th><th>meaning</th></tr>")
    for code, count in codes.most_common():
        parts.append(
            f"<tr><td>{escape(code)}</td><td class='num'>{count}</td><td>{escape(DIAGNOSES.get(code, ''))}</td></tr>"
        )
    parts.append(
        "</table><h2>Tasks</h2><ul>" + "".join(f"<li>{escape(t)}: {escape(titles[t])}</li>" for t in titles) + "</ul>"
    )
    if skipped:
        parts.append("<h2>Skipped</h2><ul>" + "".join(f"<li>{escape(s)}</li>" for s in skipped) + "</ul>")
    return "".join(parts) + "</body></html>"
