"""The web client's ES modules (web/static/js): no import cycles, and no module grown past its job.

Pure Python: reads each module's static `import ... from "./x.js"` / `export ... from "./x.js"` lines and
checks the graph they make. A cycle here means a module that needs, directly or through others, a module
that needs it back: split a leaf out of it, or pass a callback in.
"""
import re
from pathlib import Path

import pytest

JS = Path(__file__).resolve().parent.parent / "web" / "static" / "js"
# `import {a, b} from "./x.js"`, `import * as x from "./x.js"`, `export {a} from "./x.js"`, `import "./x.js"`
# (named lists may span lines).
LOCAL_IMPORT = re.compile(r"""^\s*(?:import|export)\b\s*(?:[^;"']*?\bfrom\s*)?["']\./([\w.-]+\.js)["']""", re.M)
MAX_LINES = {"chat-view.js": 299}
# The conversation and the session, split into modules of one job each (issue 28): kept within the house style.
MAX_LINES.update({name: 200 for name in (
    "conversation.js", "conversation-view.js", "history.js", "message-list.js", "receive.js",
    "session.js", "session-lead.js", "session-tabs.js")})


def modules():
    return {path.name: path.read_text(encoding="utf-8") for path in sorted(JS.glob("*.js"))}


def import_graph(sources):
    return {name: sorted(set(LOCAL_IMPORT.findall(text))) for name, text in sources.items()}


def find_cycle(graph):
    """One cycle as a list of modules (first == last), or None."""
    done, path = set(), []

    def visit(name):
        if name in path:
            return path[path.index(name):] + [name]
        if name in done:
            return None
        path.append(name)
        for target in graph.get(name, []):
            cycle = visit(target)
            if cycle:
                return cycle
        path.pop()
        done.add(name)
        return None

    for name in graph:
        cycle = visit(name)
        if cycle:
            return cycle
    return None


def test_the_parser_sees_every_kind_of_local_import():
    text = ('import { a,\n  b } from "./one.js";\nimport * as two from "./two.js";\n'
            'export { c } from "./three.js";\nimport "./four.js";\nconst x = "import y from \'./no.js\'";\n')
    assert sorted(LOCAL_IMPORT.findall(text)) == ["four.js", "one.js", "three.js", "two.js"]
    assert find_cycle({"a.js": ["b.js"], "b.js": ["c.js"], "c.js": ["a.js"]}) == ["a.js", "b.js", "c.js", "a.js"]
    assert find_cycle({"a.js": ["b.js", "c.js"], "b.js": ["c.js"], "c.js": []}) is None


def test_web_modules_import_no_cycle():
    sources = modules()
    if not sources:
        pytest.skip("no web client modules")
    graph = import_graph(sources)
    for name, targets in graph.items():
        missing = [target for target in targets if target not in sources]
        assert not missing, f"{name} imports modules that do not exist: {missing}"
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


@pytest.mark.parametrize("name,limit", sorted(MAX_LINES.items()))
def test_web_modules_stay_small(name, limit):
    path = JS / name
    if not path.exists():
        pytest.skip(f"{name} is gone")
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= limit, f"{name} has {lines} lines (at most {limit})"


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


def unbalanced_tags(html):
    """The first tag of `html` that closes out of order or never closes, as "tag at line N", or None: a section left
    open swallows what follows it (and hides it with its own `hidden`)."""
    from html.parser import HTMLParser

    problems, stack = [], []

    class Walker(HTMLParser):
        def handle_starttag(self, tag, attrs):
            if tag not in VOID:
                stack.append((tag, self.getpos()[0]))

        def handle_endtag(self, tag):
            if not stack or stack[-1][0] != tag:
                problems.append(f"</{tag}> at line {self.getpos()[0]} closes {stack[-1] if stack else 'nothing'}")
            else:
                stack.pop()

    Walker().feed(html)
    problems += [f"<{tag}> at line {line} never closes" for tag, line in stack]
    return problems[0] if problems else None


def test_the_parser_sees_an_element_left_open():
    assert unbalanced_tags("<aside><section><p>x</p></aside>") == "</aside> at line 1 closes ('section', 1)"
    assert unbalanced_tags("<aside><section><input></section></aside>") is None


def test_the_page_closes_every_element_it_opens():
    page = (JS.parent.parent / "index.html").read_text(encoding="utf-8")
    assert unbalanced_tags(page) is None
