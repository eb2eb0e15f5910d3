#!/usr/bin/env python3
"""Checks README.md and docs/*.md against the repository and the binaries.

    scripts/check_docs.py --build build                # what ctest docs_check runs
    scripts/check_docs.py --build build --no-snippet   # links and flags only

Three checks, each problem printed as FILE:LINE: message, exit status 1 when
there is any:

- links: every relative link ([text](path), [text](path#anchor),
  [text](#anchor), reference definitions) names a file or folder that exists,
  and its #anchor a heading of that page under GitHub's rules (lower case;
  punctuation but '-' and '_' dropped; spaces to '-'; repeats get -1, -2...).
- flags: every --flag in a code span or a shell code block exists where it
  is attributed. A command's flags belong to its program: tensor_transform_
  server and tensor_transform_client (or a client command such as `load`
  opening a code span) are asked with --helpfull, scripts/*.py that use
  argparse with --help; scripts/run.sh passes its flags to the client;
  another script knows the flags its opening names (a shell script's first
  comment, a Python script's text before its first import). Commands of
  other tools (cmake, ctest, grpcurl, docker, ...) are not checked. A bare flag (`--listen`) is
  attributed by the last `<!-- flags: PROGRAM -->` comment before it
  (PROGRAM: tensor_transform_server, tensor_transform_client, a script's
  path, `any` for all of the above, or `none`); without one, `any`.
- snippet: the first ```python block under a README heading that mentions
  Python runs with PYTHONPATH=BUILD/python, /usr/bin/python3, against a
  server started on a free port, whose address it gets in
  TENSOR_TRANSFORM_TARGET.
"""

import argparse
import os
import pathlib
import re
import subprocess
import sys
import tempfile

REPO = pathlib.Path(__file__).resolve().parent.parent
SERVER = "tensor_transform_server"
CLIENT = "tensor_transform_client"
CLIENT_COMMANDS = {"load", "bench", "apply", "describe", "health"}
# Abseil's own flags, which --helpfull does not list.
ABSL_BUILTIN = {"help", "helpfull", "helpshort", "helppackage", "version",
                "only_check_args", "helpon", "helpmatch"}
SHELL_LANGUAGES = {"", "sh", "bash", "shell", "console"}

FENCE = re.compile(r"^(\s*)(```|~~~)\s*([\w+-]*)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
INLINE_LINK = re.compile(r"!?\[((?:[^\[\]]|\[[^\]]*\])*)\]\(\s*<?([^)\s>]+)>?"
                         r"(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)")
CODE_SPAN = re.compile(r"(`+)(.+?)\1")
FLAG = re.compile(r"(?<![\w-])--([A-Za-z][\w-]*)")
DIRECTIVE = re.compile(r"<!--\s*flags:\s*(\S+)\s*-->")


class Problems(list):
    def add(self, path, line, message):
        self.append(f"{path}:{line}: {message}")


# --- markdown structure ---------------------------------------------------

def split_blocks(text):
    """Yields (line number, kind, content, language): kind "text" for a line
    outside code fences, "code" for a whole fenced block (its first line's
    number)."""
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        fence = FENCE.match(lines[i])
        if not fence:
            yield i + 1, "text", lines[i], None
            i += 1
            continue
        start, marker, language = i, fence.group(2), fence.group(3).lower()
        i += 1
        body = []
        while i < len(lines) and not lines[i].strip().startswith(marker):
            body.append(lines[i])
            i += 1
        i += 1  # the closing fence
        yield start + 1, "code", "\n".join(body), language


def plain_heading(raw):
    """The text GitHub renders for a heading's markdown."""
    text = INLINE_LINK.sub(lambda m: m.group(1), raw)
    text = re.sub(r"`([^`]*)`", r"\1", text)
    text = re.sub(r"<[^>]+>", "", text)
    return re.sub(r"(\*\*|__|\*)", "", text)


def github_slug(text):
    slug = re.sub(r"[^\w\- ]", "", plain_heading(text).strip().lower())
    return slug.replace(" ", "-")


def anchors(text):
    """Every anchor GitHub generates for the headings of a page."""
    seen = {}
    out = set()
    for _, kind, line, _ in split_blocks(text):
        heading = HEADING.match(line) if kind == "text" else None
        if not heading:
            continue
        slug = github_slug(heading.group(2))
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        out.add(slug if count == 0 else f"{slug}-{count}")
    return out


def text_outside_spans(line):
    return CODE_SPAN.sub("", line)


# --- links ------------------------------------------------------------------

def link_targets(text):
    """(line number, target) of every link outside code."""
    for number, kind, line, _ in split_blocks(text):
        if kind != "text":
            continue
        visible = text_outside_spans(line)
        for match in INLINE_LINK.finditer(visible):
            yield number, match.group(2)
        definition = REFERENCE_DEF.match(visible)
        if definition:
            yield number, definition.group(1)


def check_link(page, number, target, problems, anchor_cache):
    if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):
        return  # https:, mailto:, ...
    path_part, _, anchor = target.partition("#")
    destination = (page.parent / path_part).resolve() if path_part else page
    if not destination.exists():
        problems.add(page, number, f"link {target}: no file {path_part}")
        return
    if not anchor:
        return
    if destination.is_dir() or destination.suffix != ".md":
        problems.add(page, number, f"link {target}: #anchor on a non-page")
        return
    if destination not in anchor_cache:
        anchor_cache[destination] = anchors(destination.read_text())
    if anchor not in anchor_cache[destination]:
        problems.add(page, number,
                     f"link {target}: no heading #{anchor} in {path_part or page.name}")


def check_links(pages, problems):
    anchor_cache = {}
    for page in pages:
        for number, target in link_targets(page.read_text()):
            check_link(page, number, target, problems, anchor_cache)


# --- flags ------------------------------------------------------------------

def help_flags(command):
    result = subprocess.run(command, capture_output=True, text=True,
                            timeout=60, check=False)
    return set(FLAG.findall(result.stdout + result.stderr))


def opening_text(path):
    """A script's usage as its opening says it: a shell script's first
    comment, a Python script's text before its first import."""
    lines = path.read_text().split("\n")[1:]
    shell = path.suffix == ".sh"
    opening = []
    for line in lines:
        if (shell and not line.startswith("#")) or \
                (not shell and re.match(r"^(import|from) ", line)):
            break
        opening.append(line)
    return "\n".join(opening)


class FlagBook:
    """The flags each program knows, asked once."""

    def __init__(self, build):
        self.build = pathlib.Path(build)
        self.known = {}

    def flags(self, program):
        if program not in self.known:
            self.known[program] = self._ask(program)
        return self.known[program]

    def _ask(self, program):
        if program in (SERVER, CLIENT):
            return help_flags([str(self.build / program), "--helpfull"]) | ABSL_BUILTIN
        if program == "any":
            names = [SERVER, CLIENT] + [
                f"scripts/{p.name}" for p in sorted((REPO / "scripts").iterdir())
                if p.suffix in (".py", ".sh")]
            return set().union(*(self.flags(n) for n in names))
        if program == "scripts/run.sh":
            return self.flags(CLIENT)
        path = REPO / program
        # Only an argparse script is sure to answer --help without running.
        if path.suffix == ".py" and "argparse" in path.read_text():
            return help_flags(["/usr/bin/python3", str(path), "--help"])
        return set(FLAG.findall(opening_text(path)))


def program_of(word):
    """The project program a command word names, or None."""
    name = word.rsplit("/", 1)[-1]
    if name in (SERVER, CLIENT):
        return name
    if "/" in word and (REPO / "scripts" / name).is_file() and \
            word.endswith(f"scripts/{name}"):
        return f"scripts/{name}"
    return None


def split_commands(code):
    """Commands of a shell block: continuation lines joined, comments and
    prompts dropped, split at pipes, ';' and '&&'."""
    joined = re.sub(r"\\\n", " ", code)
    for line in joined.split("\n"):
        line = re.sub(r"(^|\s)#.*$", "", line)
        line = re.sub(r"^\s*\$\s+", "", line)
        for command in re.split(r"\|\||&&|[|;]", line):
            if command.strip():
                yield command


def command_program(command, inline):
    """(program, is_command): the program a command's flags belong to;
    program None with is_command True for another tool's command, and
    is_command False for a bare flag list."""
    words = [w for w in command.split() if not re.match(r"^\w+=", w)]
    if not words or words[0].startswith("--"):
        return None, False
    for word in words:
        if word.startswith("-"):
            break
        program = program_of(word)
        if program:
            return program, True
    if inline and words[0] in CLIENT_COMMANDS:
        return CLIENT, True
    return None, True


def check_command(command, directive, inline, book, report):
    program, is_command = command_program(command, inline)
    if is_command and program is None:
        return
    program = program or directive
    if program == "none":
        return
    known = book.flags(program)
    for flag in FLAG.findall(command):
        if flag not in known:
            report(f"--{flag}: not a flag of {program}")


def check_flags_in_page(page, book, problems):
    directive = "any"
    for number, kind, content, language in split_blocks(page.read_text()):
        def report(message, number=number):
            problems.add(page, number, message)

        if kind == "code":
            if language in SHELL_LANGUAGES:
                for command in split_commands(content):
                    check_command(command, directive, False, book, report)
            continue
        found = DIRECTIVE.search(text_outside_spans(content))
        if found:
            directive = found.group(1)
        for match in CODE_SPAN.finditer(content):
            check_command(match.group(2), directive, True, book, report)


def check_flags(pages, book, problems):
    for page in pages:
        check_flags_in_page(page, book, problems)


# --- the README's Python snippet ------------------------------------------

def python_snippet(readme):
    """(line, code) of the first ```python block under a heading that
    mentions Python, or None."""
    under_python = False
    for number, kind, content, language in split_blocks(readme.read_text()):
        heading = HEADING.match(content) if kind == "text" else None
        if heading:
            under_python = "python" in heading.group(2).lower()
        elif kind == "code" and language == "python" and under_python:
            return number, content
    return None


def run_snippet(readme, build, problems):
    found = python_snippet(readme)
    if not found:
        problems.add(readme, 1, "no ```python block under a Python heading")
        return
    number, code = found
    sys.path.insert(0, str(REPO / "tests" / "python"))
    from live_server import LiveServer  # pylint: disable=import-outside-toplevel
    build = pathlib.Path(build).resolve()
    with LiveServer(str(build / SERVER)) as server, \
            tempfile.TemporaryDirectory() as scratch:
        env = dict(os.environ, PYTHONPATH=str(build / "python"),
                   TENSOR_TRANSFORM_TARGET=server.target)
        result = subprocess.run(["/usr/bin/python3", "-c", code], cwd=scratch,
                                env=env, capture_output=True, text=True,
                                timeout=120, check=False)
        server.stop()
    if result.returncode != 0:
        problems.add(readme, number,
                     f"python snippet exited {result.returncode}:\n{result.stderr}")


# --- main -------------------------------------------------------------------

def pages_of(root):
    root = pathlib.Path(root).resolve()
    return [root / "README.md"] + sorted((root / "docs").glob("*.md"))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", default=str(REPO),
                        help="folder holding README.md and docs/")
    parser.add_argument("--build", default=str(REPO / "build"),
                        help="build folder with the binaries and python/")
    parser.add_argument("--no-snippet", dest="snippet", action="store_false",
                        help="skip running the README's Python snippet")
    args = parser.parse_args(argv)
    pages = [p for p in pages_of(args.root) if p.exists()]
    problems = Problems()
    check_links(pages, problems)
    check_flags(pages, FlagBook(args.build), problems)
    if args.snippet:
        run_snippet(pages[0], args.build, problems)
    for problem in problems:
        print(problem)
    print(f"check_docs: {len(pages)} pages, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
