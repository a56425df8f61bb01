"""A submission's bytes as the code cells the grader runs, without running any of it.

A notebook gives its code cells; its outputs are never kept, so that they
cannot count against the code limit (a plotted image is not code). A .py
file is cut into cells the way a student sees it: at `# %%` markers (or
nbconvert's `# In[ ]:` ones) when it has them, else at each blank line
followed by top-level code, so that one failing line does not take the rest
of the file with it. IPython magics and shell lines are left out of every
cell, with a note.

The release's given cells (the forward passes and helpers) are what the
grader runs, whatever the student's copy holds, the way nbgrader restores
read-only cells: a cell that defines only given functions is replaced by
the release's, a given cell the student deleted is run all the same, and a
given function redefined in another cell is defined again after it.

The student sees no cell numbers in Jupyter: cells are named by their first
line and the functions they define (`label`).
"""

import ast
import codecs
import functools
import io
import itertools
import json
import re
import tokenize
from dataclasses import dataclass, field

MAX_CODE_BYTES = 20 * 1024 * 1024
# The values of a notebook's JSON (outputs included) the grader parses: each is an object in its own memory.
MAX_JSON_VALUES = 2_000_000
# Beyond this many cells, the rest of the code runs as one cell: each cell
# costs the worker a round trip, and a file of a million one-line paragraphs
# must not spend the submission's time budget on them.
MAX_CELLS = 500
# Code longer than this is never parsed in the grader's own process (its
# memory is not the sandbox's: an AST takes hundreds of times the source's
# size); the grader goes by `def` lines and text instead.
AST_LIMIT = 256 * 1024
GIVEN_TAG = "autograder_given"
_MARKER = re.compile(r"^# ?(?:%%|In\[[ 0-9]*\]:)[^\n]*(?:\n|$)", re.M)
_PARAGRAPH = re.compile(r"\n[ \t]*\n(?=[^ \t\r\n#)\]}])")  # a blank line, then code at the margin
_MAGIC_PREFIXES = ("%", "!", "get_ipython()")
# The cell magics whose body IPython runs as Python in the notebook's namespace (what it defines stays);
# %%timeit's body runs in a function of its own, %%bash and the like are not Python.
_PYTHON_CELL_MAGICS = ("%%time", "%%capture", "%%prun")
_MAGIC_LINE = re.compile(r"^[ \t]*(%|!|get_ipython\(\))", re.M)
# What ast.parse raises for code it cannot read (deep nesting included).
_UNPARSABLE = (SyntaxError, ValueError, RecursionError, MemoryError)
_SURROGATE = re.compile("[\ud800-\udfff]")  # json.loads pairs what it can: only lone ones are left
_JSON_STRING = re.compile(r'"(?:[^"\\]++|\\.)*+"', re.S)
_DEF = re.compile(r"^(?:async[ \t]+)?def[ \t]+([A-Za-z_]\w*)", re.M)


@dataclass
class Parsed:
    cells: list = field(default_factory=list)   # [(number, source)], in the order they run
    labels: dict = field(default_factory=dict)  # number -> how the student recognises the cell
    defines: dict = field(default_factory=dict)  # number -> names of the functions it defines
    notes: list = field(default_factory=list)
    edited_given: list = field(default_factory=list)  # labels of the student's given cells that differ from the release
    code_bytes: int = 0
    not_run: int = 0  # cells left out because they are in `skip`
    error: str = ""


def _parsed(source):
    """The statements of `source`, or None when it does not parse or is too long to parse here."""
    if len(source) > AST_LIMIT:
        return None
    try:
        return ast.parse(source).body
    except _UNPARSABLE:
        return None


@dataclass(frozen=True)
class _Summary:
    """What the grader needs of one source, from one parse of it."""

    names: tuple        # the top-level functions it defines
    functions: object   # {name: source} of those without decorators, or None when it cannot be parsed here
    other_code: bool    # whether it holds statements other than those functions (True when not parsed)


def _summary(source):
    body = _parsed(source)
    if body is None:
        return _Summary(tuple(dict.fromkeys(_DEF.findall(source))), None, True)
    defs = [node for node in body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]
    lines = _lines(source) if defs else []
    functions = {node.name: _segment(lines, node) for node in defs if not node.decorator_list}
    return _Summary(tuple(dict.fromkeys(node.name for node in defs)), functions, len(functions) < len(body))


def _lines(source):
    """The lines of `source` as the parser counts them (ast.get_source_segment's split, done once per source)."""
    return re.findall(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z", source)


def _segment(lines, node):
    """ast.get_source_segment(source, node), from the source's `lines` (its
    column offsets count UTF-8 bytes)."""
    first, last = node.lineno - 1, node.end_lineno - 1
    if first == last:
        return lines[first].encode()[node.col_offset:node.end_col_offset].decode()
    head = lines[first].encode()[node.col_offset:].decode()
    tail = lines[last].encode()[:node.end_col_offset].decode()
    return "".join([head, *lines[first + 1:last], tail])


class _Summaries(dict):
    """Each source's summary, parsed once for the whole of one submission's parse."""

    def __missing__(self, source):
        self[source] = summary = _summary(source)
        return summary


def defined_functions(source):
    """The names of the top-level functions `source` defines (by their `def`
    lines when it does not parse: a cell with a syntax error still defined them)."""
    return _summary(source).names


def bound_names(source, from_line=1, until=None):
    """The global names bound by the top-level statements of `source` that
    start on line from_line or later and end before line `until`: functions
    and classes (also under an `if` or a `try`), imports, assignments
    (`f = lambda ...`, `f = C.f`)."""
    found = set()
    for node in _parsed(source) or ():
        if node.lineno < from_line or (until is not None and node.end_lineno >= until):
            continue
        for inner in _outside_bodies(node):
            if isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                found.add(inner.name)
            elif isinstance(inner, (ast.Import, ast.ImportFrom)):
                found |= {alias.asname or alias.name.split(".")[0] for alias in inner.names if alias.name != "*"}
            elif isinstance(inner, ast.Name) and isinstance(inner.ctx, ast.Store):
                found.add(inner.id)
    return found


def _outside_bodies(node):
    """`node` and the nodes under it, but not inside a function's or class's body (their names are local)."""
    yield node
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
        return
    for child in ast.iter_child_nodes(node):
        yield from _outside_bodies(child)


def label(source, defines=()):
    """How a student finds a cell: its first line of code, and what it defines."""
    lines = (match[0].strip() for match in re.finditer(r"[^\n]*\S[^\n]*", source))  # lazily: a cell may be long
    first = fallback = next(lines, "")
    if first.startswith(("#", *_MAGIC_PREFIXES)):
        first = next((line for line in lines if not line.startswith(("#", *_MAGIC_PREFIXES))), fallback)
    first = first if len(first) <= 60 else first[:57] + "..."
    text = f"the cell starting `{first}`"
    if defines:
        shown = ", ".join(defines[:3]) + (", ..." if len(defines) > 3 else "")
        text += f" (defining {shown})"
    return text


def relabel(text, labels):
    """A traceback of the worker with its cells named as the student sees them."""
    return re.sub(r'"<cell (\d{1,9})>"', lambda m: f'"<{labels.get(int(m[1]), "cell " + m[1])}>"', text)


def magic_lines(lines):
    """For each of `lines` (a cell's, with their line ends), whether IPython reads it as a magic or a
    shell line: one starting with %, ! or get_ipython() at the start of a logical line. A line inside
    brackets, a string or after a backslash is Python: `!= b)` continuing a condition, `%d` in a
    docstring (a correct answer lost its function when such a line was left out). The cell is read
    by the tokenizer once, each magic line blanked as it comes; where it cannot be read further (an
    indentation error), and in a cell longer than AST_LIMIT (never parsed here), each line goes by its
    start alone."""
    magic = [line.lstrip().startswith(_MAGIC_PREFIXES) for line in lines]
    if not any(magic) or sum(map(len, lines)) > AST_LIMIT:
        return magic
    state = {"depth": 0, "last": tokenize.NEWLINE, "row": 0}  # what the tokenizer has given so far
    read = [0]

    def readline():
        index = read[0]
        if index >= len(lines):
            return ""
        read[0] += 1
        at_start = state["depth"] == 0 and state["last"] in (tokenize.NEWLINE, tokenize.NL, tokenize.DEDENT,
                                                              tokenize.INDENT) and state["row"] >= index
        magic[index] = magic[index] and at_start
        return "\n" if magic[index] else lines[index]

    try:
        for token in tokenize.generate_tokens(readline):
            if token.type == tokenize.OP and token.string in "([{":
                state["depth"] += 1
            elif token.type == tokenize.OP and token.string in ")]}":
                state["depth"] = max(0, state["depth"] - 1)
            if token.type not in (tokenize.COMMENT, tokenize.ENDMARKER):
                state["last"], state["row"] = token.type, token.end[0]
            elif token.type == tokenize.COMMENT:
                state["row"] = token.end[0]
    except (tokenize.TokenError, SyntaxError):
        pass
    return magic


def strip_magics(source, describe, notes):
    """The cell without IPython magics and shell escapes, which plain Python
    cannot run; describe() names the cell in the notes."""
    if not _MAGIC_LINE.search(source):
        return source
    name = describe()
    if source.lstrip().startswith("%%"):
        magic = source.strip().splitlines()[0]
        if magic.split()[0] not in _PYTHON_CELL_MAGICS:
            notes.append(f"{name}: skipped the whole cell (a cell magic, {magic[:60]!r})")
            return ""
        # Its body is Python run in the notebook's namespace: run it, the magic's line left blank.
        head, _, body = source.partition(magic)
        source = head + body
        notes.append(f"{name}: ran the cell without its first line {magic[:60]!r} (a cell magic)")
        if not _MAGIC_LINE.search(source):
            return source
    lines = source.splitlines()
    magics = magic_lines([line + "\n" for line in lines])
    if not any(magics):  # each line that starts like one continues Python code
        return source
    kept, skipped = [], []
    for line, magic in zip(lines, magics):
        if magic:
            skipped.append(repr(line.strip()[:60]))
            kept.append("")  # keep line numbers of the cell's tracebacks right
        else:
            kept.append(line)
    shown = ", ".join(skipped[:3]) + (f" and {len(skipped) - 3} more lines" if len(skipped) > 3 else "")
    notes.append(f"{name}: skipped {shown} (IPython magics and shell commands are not run)")
    return "\n".join(kept)


def decoded(data):
    """A .py submission's text, as Python reads the file: UTF-8 (a byte-order mark, Notepad's "UTF-8
    with BOM", no part of it) or the encoding its coding cookie names (`# -*- coding: latin-1 -*-`,
    whose accents read as U+FFFD); or UTF-16 when it starts with UTF-16's byte-order mark (what
    Windows PowerShell 5's `>` writes)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError:  # a cookie naming no codec, or contradicting the byte-order mark
        encoding = "utf-8-sig"
    return data.decode(encoding, errors="replace")


def _universal_newlines(text):
    """`text` with its line ends as Python reads a source file: \\r\\n and a lone \\r become \\n.
    A .py saved on Windows (or a notebook whose source lines end in \\r\\n) had every given cell
    "differ from the release's given code"."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


class NotANotebook(ValueError):
    """Why a notebook file's bytes are no notebook the grader reads (a sentence for the student)."""


def notebook_sources(data):
    """The code cells of a notebook's bytes, as [(source, metadata)]; outputs are left behind.
    Raises NotANotebook for a file that is none, saying what it is instead."""
    import nbformat

    text = _json_text(data)
    _within_values_limit(text)
    try:
        notebook = json.loads(text)
    except json.JSONDecodeError as error:
        raise NotANotebook(_broken_json(text, error)) from None
    except RecursionError:
        raise NotANotebook("the notebook's JSON is nested too deeply to read") from None
    if not isinstance(notebook, dict):
        raise NotANotebook(f"the file's JSON is a {type(notebook).__name__}, not a notebook (an object holding cells)")
    version = notebook.get("nbformat", 4)
    if type(version) is not int or version not in (1, 2, 3, 4):
        raise NotANotebook(f"its `nbformat` is {ascii(version)[:40]}, not a version Jupyter reads (4, or 3 for old notebooks)")
    if version != 4 or not isinstance(notebook.get("cells"), list):
        notebook = nbformat.reads(text, as_version=4)
    found = []
    for cell in notebook["cells"]:
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            source = cell.get("source", "")
            source = "".join(map(str, source)) if isinstance(source, list) else str(source)
            metadata = cell.get("metadata")
            found.append((_encodable(_universal_newlines(source)), metadata if isinstance(metadata, dict) else {}))
    return found


def _json_text(data):
    """A notebook file's text, in any of JSON's encodings (UTF-8, UTF-16 or UTF-32, with a
    byte-order mark or without, as json.loads tells them apart); an empty file or a zip is none."""
    if not data:
        raise NotANotebook("the file is empty (0 bytes): save the notebook in Jupyter and hand it in again")
    if re.fullmatch(rb"\s*", data):
        raise NotANotebook("the file holds only blank space, no notebook: save the notebook in Jupyter and hand it in again")
    if data.startswith(b"PK\x03\x04"):
        raise NotANotebook("the file is a zip archive named .ipynb, not a notebook: hand in the notebook itself, "
                           "or the zip under a name ending .zip")
    return data.decode(json.detect_encoding(data), errors="replace").removeprefix("\ufeff")


def _within_values_limit(text):
    """Refuse JSON of more than MAX_JSON_VALUES values before it is parsed: each becomes an object in
    the grader's own memory, `[{},{},...]` about 26 bytes for each byte of the file (a 256 MB notebook
    of empty outputs, 7 GB). Every value but the first of an array or object follows a comma or a
    colon: their count, with the brackets', bounds the values (strings' characters left out)."""
    def count(json_text):
        return sum(json_text.count(mark) for mark in ",:[{")

    if count(text) > MAX_JSON_VALUES and count(_JSON_STRING.sub('""', text)) > MAX_JSON_VALUES:
        raise NotANotebook(f"the notebook's JSON holds over {MAX_JSON_VALUES:,} values (its outputs included), more "
                           "than the grader reads: clear the outputs (Edit > Clear Outputs of All Cells) and save it again")


def _broken_json(text, error):
    """What is wrong with a notebook file whose JSON does not parse, and where."""
    if error.pos == len(text) - len(text.lstrip()):
        return ("the file is not a notebook: a notebook's JSON starts with `{` (was it saved as another kind of "
                "file? a Python file must be named .py)")
    place = f"line {error.lineno}, column {error.colno}"
    if error.msg == "Extra data":
        return (f"the notebook's JSON ends at {place} and more follows it: the file was damaged (two files "
                "joined, or the end of an older copy left in it)")
    if error.pos >= len(text.rstrip()):
        return "the file ends in the middle of the notebook's JSON: it was cut short (saved or copied while incomplete)"
    return f"the notebook's JSON is broken at {place} ({error.msg}): the file was damaged or edited outside Jupyter"


def _encodable(text):
    """`text` as UTF-8 can hold it: JSON's `\\ud800` escapes give lone surrogates,
    which no file, database or frame the grader writes can take (each becomes U+FFFD)."""
    return _SURROGATE.sub("\ufffd", text)


def script_sources(text):
    """A .py file's cells: at its cell markers, else at its top-level
    paragraphs; at most MAX_CELLS, the last one holding the rest."""
    if _MARKER.search(text):
        return _at_most(cell for cell in _MARKER.split(text) if cell.strip())
    if len(text) <= AST_LIMIT:
        lines = text.splitlines(keepends=True)
        # Magic lines kept as comments, so that they neither stop the parse nor end a paragraph.
        read = ["#\n" if magic else line for line, magic in zip(lines, magic_lines(lines))]
        body = _parsed("".join(read))
        if body is not None:
            cuts = [0] + [start for start in _paragraph_starts(body, read) if start > 0] + [len(lines)]
            return _at_most(cell for cell in ("".join(lines[a:b]) for a, b in zip(cuts, cuts[1:])) if cell.strip())
    # No statements to go by: a line at the margin after a blank line starts a cell.
    cuts = [0] + [match.end() for match in itertools.islice(_PARAGRAPH.finditer(text), MAX_CELLS)] + [len(text)]
    return _at_most(cell for cell in (text[a:b] for a, b in zip(cuts, cuts[1:])) if cell.strip())


def _paragraph_starts(body, lines):
    """The 0-based lines at which top-level statements start a cell: after a blank line, with
    the comment lines right above them (jupytext's `# +` marker, a comment on a function):
    `# + autograder_given=[...]` right above a given function joined it to the paragraph before
    it, and a correct jupytext "light" .py got 65/100."""
    previous_end = 0
    for node in body:
        start = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))]) - 1
        # Never above the statement before: a string's lines may look like comments.
        while start > previous_end and lines[start - 1].lstrip().startswith("#"):
            start -= 1
        if start > 0 and not lines[start - 1].strip():
            yield start
        previous_end = node.end_lineno


def _at_most(sources):
    """The first MAX_CELLS - 1 of `sources`, then the rest as one."""
    sources = iter(sources)
    first = list(itertools.islice(sources, MAX_CELLS - 1))
    rest = "\n".join(sources)
    return first + ([rest] if rest.strip() else [])


def code_lines(source):
    """A cell's code as the lines that run: without blank lines, comment
    lines and trailing spaces, which a .py export (`nbconvert --to script`
    puts blank lines around each cell, and markdown as comments) or an
    editor changes in a cell the student left as it was."""
    return tuple(line.rstrip() for line in source.splitlines() if line.strip() and not line.lstrip().startswith("#"))


def parse(data, suffix, skip=frozenset(), given=()):
    """The cells of a submission's bytes (`suffix` ".ipynb" or ".py"),
    leaving out those whose code (code_lines) is that of a source in `skip`, with the release's `given`
    cells ([(names, source)]) in place of the student's copies. Never raises:
    a problem becomes `error`."""
    parsed = Parsed()
    if suffix == ".py" and len(data) > MAX_CODE_BYTES:
        parsed.error = _too_big(len(data))
        return parsed
    if suffix == ".py":
        sources = [(source, {}) for source in script_sources(_universal_newlines(decoded(data)))]
    else:
        try:
            sources = notebook_sources(data)
        except NotANotebook as error:
            parsed.error = str(error)
            return parsed
        except Exception as error:  # noqa: BLE001  (json and nbformat raise many kinds for a broken file)
            parsed.error = f"not a readable notebook ({type(error).__name__}); was the file saved from Jupyter?"
            return parsed
    parsed.code_bytes = sum(len(source.encode("utf-8", errors="replace")) for source, _ in sources)
    if parsed.code_bytes > MAX_CODE_BYTES:
        parsed.error = _too_big(parsed.code_bytes)
        return parsed
    if len(sources) >= MAX_CELLS:
        parsed.notes.append(f"from its {MAX_CELLS}th cell on, the code runs as one cell")
        sources = sources[:MAX_CELLS - 1] + [("\n".join(source for source, _ in sources[MAX_CELLS - 1:]), {})]
    summaries = _Summaries()
    restore = _Restorer(given, summaries)
    kept = []
    skip = {code_lines(source) for source in skip}
    for source, metadata in sources:
        if code_lines(source) in skip:
            parsed.not_run += 1
            continue
        names = summaries[source].names
        source = strip_magics(source, lambda: label(source, names), parsed.notes)
        if source.strip():
            kept += restore.cell(source, names, metadata, parsed)
    kept = restore.missing(parsed) + kept + restore.redefined(parsed)
    for number, source in enumerate(kept, 1):
        names = summaries[source].names
        parsed.cells.append((number, source))
        parsed.labels[number] = label(source, names)
        parsed.defines[number] = names
    return parsed


def _too_big(size):
    return f"the code is {size / 1024**2:.0f} MB, over the {MAX_CODE_BYTES // 1024**2} MB limit for code (outputs do not count)"


@functools.lru_cache(maxsize=4)
def _release_summaries(given):
    """{source: summary} of the release's given cells (the same for every submission, parsed once)."""
    return {source: _summary(source) for _, source in given}


class _Restorer:
    """Puts the release's given cells in place of the student's copies,
    comparing function by function (a .py paragraph may hold one function of
    a given cell, a merged cell several)."""

    def __init__(self, given, summaries):
        self.given = [(tuple(names), source) for names, source in given]
        self.summaries = summaries
        self.functions = {}
        for source, summary in _release_summaries(tuple(self.given)).items():
            summaries.setdefault(source, summary)
            self.functions.update(summary.functions)
        self.emitted = set()
        self.defined = set()  # the given functions the student's cells define as the release does
        self.redefining = []

    def _changed(self, source):
        """The given functions `source` defines otherwise than the release."""
        summary = self.summaries[source]
        functions = summary.functions
        names = [name for name in summary.names if name in self.functions]
        if functions is None:  # unparsable here: unchanged only if the release's text is there as it is
            return [name for name in names if self.functions[name] not in source]
        return [name for name in names if functions.get(name) != self.functions[name]]

    def _cells_of(self, names):
        """The release's given cells defining any of `names`, not yet run."""
        chosen = [index for index, (given_names, _) in enumerate(self.given)
                  if set(given_names) & set(names) and index not in self.emitted]
        self.emitted.update(chosen)
        return [self.given[index][1] for index in chosen]

    def cell(self, source, names, metadata, parsed):
        """The sources to run for one of the student's cells."""
        if any(given_source.strip() == source.strip() for _, given_source in self.given):
            self.defined.update(names)
            return [source]
        tag = metadata.get(GIVEN_TAG)
        # The tag is the notebook's JSON, the student's to write: only a list of names can name given cells.
        tagged = (isinstance(tag, list) and all(isinstance(name, str) for name in tag)
                  and tuple(tag) in {given_names for given_names, _ in self.given})
        other_code = self.summaries[source].other_code
        changed = self._changed(source)
        given_only = bool(names) and set(names) <= set(self.functions)
        # A comment or a blank line more is no edit; a function changed, added code or a function deleted is.
        if (tagged or given_only) and (changed or other_code or (tagged and set(tag) - set(names))):
            what = label(source, names)
            parsed.edited_given.append(what)
            parsed.notes.append(f"{what} differs from the release's given code: the grader ran the release's version "
                                "instead (given cells must stay as they are)")
            return self._cells_of(list(tag) if tagged else names)
        self.defined.update(name for name in names if name in self.functions and name not in changed)
        if changed:
            self.redefining.append((label(source, names), changed))
        return [source]

    def missing(self, parsed):
        """The release's given cells the student's copy does not have, run first."""
        absent = [index for index, (names, _) in enumerate(self.given)
                  if index not in self.emitted and not set(names) & self.defined]
        if absent:
            names = ", ".join(name for index in absent for name in self.given[index][0])
            parsed.notes.append(f"the given code of {names} is not in the submission: the grader ran the release's")
        return self._cells_of([name for index in absent for name in self.given[index][0]])

    def redefined(self, parsed):
        """The release's given cells again, after the cells that define one of their functions otherwise."""
        again = []
        for what, changed in self.redefining:
            parsed.edited_given.append(what)
            parsed.notes.append(f"{what} redefines the given {', '.join(changed)}: the grader uses the release's version")
            again += [index for index, (names, _) in enumerate(self.given) if set(names) & set(changed) and index not in again]
        return [self.given[index][1] for index in again]
