"""HTML pages: escaping, the page frame and its styles, and a student's
feedback page, built from the result record itself (the same content as
feedback.markdown, from the same helpers of feedback.py; no Markdown is
parsed). Every string goes through html.escape on its way into a page:
submission names, messages, notes and hints may come from student code.
"""

import html

from autograder import feedback

# Colours shared by the page and the plots.
BLUE, GREY, ORANGE, RED, GREEN = "#3b6ea5", "#d5dbe3", "#d98c2b", "#b8433a", "#3f8f4f"


def e(value):
    """Escape anything for HTML text and attribute values."""
    return html.escape(str(value), quote=True)


REPORT_CSS = """
:root { --blue: %(blue)s; --grey: #f4f6f9; --line: #dfe3e8; --text: #222; --muted: #666; }
* { box-sizing: border-box; }
body { font: 15px/1.5 -apple-system, "Segoe UI", "DejaVu Sans", "Liberation Sans", Helvetica, Arial, sans-serif;
       color: var(--text); background: #fff; margin: 0; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 32px 48px; }
header { border-bottom: 3px solid var(--blue); margin-bottom: 8px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 32px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 16px; margin: 20px 0 8px; }
nav { margin: 8px 0 4px; font-size: 14px; }
nav a { margin-right: 14px; }
a { color: var(--blue); text-decoration: none; }
a:hover { text-decoration: underline; }
.muted { color: var(--muted); font-size: 13px; }
.stats { display: flex; flex-wrap: wrap; gap: 12px; margin: 8px 0; }
.stat { background: var(--grey); border: 1px solid var(--line); border-radius: 6px; padding: 10px 18px; min-width: 120px; }
.stat .value { font-size: 24px; font-weight: 600; }
.stat .label { color: var(--muted); font-size: 13px; }
img.plot { display: block; max-width: 100%%; height: auto; margin: 8px 0 12px; }
table { border-collapse: collapse; margin: 8px 0 12px; font-size: 14px; }
th, td { border: 1px solid var(--line); padding: 5px 10px; text-align: left; vertical-align: top; }
th { background: var(--grey); font-weight: 600; }
tbody tr:nth-child(even) { background: #fafbfc; }
th.num, td.num { text-align: right; white-space: nowrap; }
td { overflow-wrap: break-word; }
table.submissions td:first-child, table.submissions td:last-child { white-space: nowrap; }
code { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.92em;
       background: var(--grey); padding: 0 3px; border-radius: 3px; }
.score { display: inline-block; min-width: 2.6em; padding: 0 6px; border-radius: 4px; text-align: right; }
.score.full { background: #e3f2e6; color: %(green)s; }
.score.part { background: #fbeedb; color: #8a5a12; }
.score.zero { background: #f8e1df; color: %(red)s; }
.status.bad { color: %(red)s; font-weight: 600; }
.change.up { color: %(green)s; font-weight: 600; }
.change.down { color: %(red)s; font-weight: 600; }
""" % {"blue": BLUE, "green": GREEN, "red": RED}

FEEDBACK_CSS = """
body { font: 15px/1.55 -apple-system, "Segoe UI", "DejaVu Sans", "Liberation Sans", Helvetica, Arial, sans-serif;
       color: #222; margin: 0; }
main { max-width: 960px; margin: 0 auto; padding: 24px 32px 48px; }
h1 { font-size: 24px; border-bottom: 3px solid %(blue)s; padding-bottom: 6px; }
h2 { font-size: 19px; margin-top: 30px; border-bottom: 1px solid #dfe3e8; padding-bottom: 3px; }
table { border-collapse: collapse; margin: 8px 0 12px; font-size: 14px; }
th, td { border: 1px solid #dfe3e8; padding: 4px 10px; text-align: left; vertical-align: top; }
th { background: #f4f6f9; }
tbody tr:nth-child(even) { background: #fafbfc; }
code { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.92em; background: #f4f6f9;
       padding: 0 3px; border-radius: 3px; }
pre { background: #f4f6f9; border: 1px solid #dfe3e8; border-radius: 4px; padding: 10px 12px; overflow-x: auto;
      font-size: 13px; line-height: 1.4; }
pre code { background: none; padding: 0; }
li { margin: 4px 0; }
""" % {"blue": BLUE}

def page(title, body, css):
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{e(title)}</title>\n<style>{css}</style>\n</head>\n"
        f"<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )



def _message(text):
    """A message or note: its first line as a paragraph, the rest (what the student's code wrote) preformatted."""
    first, _, rest = str(text).partition("\n")
    return f"<p>{e(first)}</p>" + (f"\n<pre><code>{e(rest)}</code></pre>" if rest.strip() else "")


def _question(question, part):
    parts = [f"<h2>{part}. {e(question.title)} (<code>{e(question.function)}</code>)</h2>",
             f"<p><strong>{question.score:g}/{question.max_score:g}</strong> ({e(question.status)})</p>"]
    if feedback.shows_message(question):
        parts.append(_message(question.message))
    else:
        rows = "".join(f"<tr><td>{e(case)}</td><td><code>{e(output)}</code></td><td>{e(verdict)}</td><td>{e(measured)}</td></tr>"
                       for case, output, verdict, measured in feedback.check_rows(question))
        parts.append("<table><thead><tr><th>case</th><th>output</th><th>result</th><th>measured</th></tr></thead>"
                     f"<tbody>{rows}</tbody></table>")
        failures = feedback.failure_messages(question)
        if failures:
            parts.append("<p>What went wrong:</p>\n<ul>" + "".join(f"<li>{_message(text)}</li>" for text in failures) + "</ul>")
    for found in question.diagnoses:
        parts.append(f"<p><strong>Diagnosis: {e(question.function)} {e(found['mistake'])}.</strong> {e(found['hint'])}</p>")
    step = feedback.next_step(question, part)
    if step:
        parts.append(f"<p>Next: {e(step)}</p>")
    return parts


def feedback_page(result, previous_score=None):
    """A student's feedback as a standalone, safe HTML page, from their result."""
    parts = [f"<h1>{e(result.submission)}: {e(feedback.headline(result))}</h1>"]
    if previous_score is not None and previous_score != result.score:
        parts.append(f"<p>Regraded: the score changed from {previous_score:g} to {result.score:g}.</p>")
    for number, question in enumerate(result.questions, 1):
        parts += _question(question, number)
    if result.notes:
        parts.append("<h2>Running your notebook</h2>\n<ul>" + "".join(f"<li>{_message(note)}</li>" for note in result.notes) + "</ul>")
    parts.append(f"<p><em>Graded in {result.seconds:.2f} s; isolation: {e(result.isolation)}.</em></p>")
    return page(f"{result.submission}: feedback", "\n".join(parts), FEEDBACK_CSS)
