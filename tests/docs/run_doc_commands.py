#!/usr/bin/env python3
"""Runs the commands the docs mark as runnable, as written.

A fenced block in README.md or docs/*.md directly after a line

    <!-- doc-command -->

or, with substitutions for paths that only exist on a production host,

    <!-- doc-command: /var/lib/pcs/ohlcv => $DOC_DATA; /etc/x => $DOC_TMP/x -->

is run with `bash -euo pipefail` from the repository root, after the
substitutions (plain text, left to right).

Every other shell block (a fenced block tagged sh, bash, shell or console, or
untagged, whose first line is a command) must follow a line

    <!-- doc-example: why it does not run here -->

and is not run; its placeholders are written <like-this>. An unmarked shell
block fails the run, so a new command in the docs is either checked or says
that it is not. The run ends with the count of blocks run and marked.

Its environment:

  PATH               the build's pcs, pcs-server and pcs-client first
  PCS_EMBEDDED_ROOT  one embedded PostgreSQL for all blocks of the run, so
                     `pcs` commands share their data like on a real host
  DOC_DATA           a folder of three real OHLCV files (AAPL, AA, DIA)
  DOC_TMP            an empty scratch folder
  PCS_WEBHOOK_URL    a local HTTP sink that accepts alert POSTs
  PCS_BUILD_DIR      the build folder

Exit 0 when every block exits 0; 1 when one fails (named by file:line, with
the tail of its output); 2 on bad usage or when no block is marked.

  run_doc_commands.py --root REPO --build BUILD [--data OHLCV] [DOC ...]
"""

import argparse
import glob
import http.server
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading

MARKER = re.compile(r"^<!--\s*doc-command\s*(?::(.*?))?\s*-->\s*$")
EXAMPLE = re.compile(r"^<!--\s*doc-example\s*:\s*\S.*-->\s*$")
FENCE = re.compile(r"^\s*```")
SHELL_TAGS = ("", "sh", "bash", "shell", "console")
# A block whose first line starts with one of these is a shell block.
COMMANDS = re.compile(
    r"^\s*(\$ )?((scripts|build[^/\s]*|\.)/\S*|PCS_[A-Z_]+=\S*|"
    r"(pcs|pcs-server|pcs-client|cmake|ctest|curl|psql|python3|pip|grpcurl|"
    r"ghz|docker|kubectl|helm|systemctl|sudo|export|cd|git|buf|openssl|flock|"
    r"bash|sh|apt|apt-get|promtool|cat|ls|mkdir|cp|install|jq|tar)(\s|$))")


def first_command_line(body):
    """The first line of `body` that is not a shell comment."""
    for line in body:
        if line.strip() and not line.strip().startswith("#"):
            return line
    return ""


def shell_blocks(path):
    """Yields (line, first line, marked) of every shell block: a fenced
    block tagged sh/bash/shell/console or untagged, or an indented (4
    spaces) block after a blank line, whose first line is a command.
    `marked`: the nearest non-blank line before it is a doc-command or
    doc-example marker."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()

    def marked_before(i):
        k = i - 1
        while k >= 0 and not lines[k].strip():
            k -= 1
        previous = lines[k].strip() if k >= 0 else ""
        return bool(MARKER.match(previous) or EXAMPLE.match(previous))

    i = 0
    while i < len(lines):
        if FENCE.match(lines[i]):
            tag = lines[i].strip()[3:].strip()
            j = i + 1
            while j < len(lines) and not FENCE.match(lines[j]):
                j += 1
            body = [l for l in lines[i + 1:j] if l.strip()]
            first = first_command_line(body)
            if tag in SHELL_TAGS and COMMANDS.match(first):
                yield i + 1, first.strip(), marked_before(i)
            i = j + 1
            continue
        if (lines[i].startswith("    ") and lines[i].strip() and i > 0 and
                not lines[i - 1].strip()):
            j = i
            while j < len(lines) and (lines[j].startswith("    ") or
                                      not lines[j].strip()):
                j += 1
            first = first_command_line(lines[i:j])
            if COMMANDS.match(first):
                yield i + 1, first.strip(), marked_before(i)
            i = j
            continue
        i += 1


def unmarked_shell_blocks(path):
    """(line, first line) of every shell block without a marker."""
    for line, first, marked in shell_blocks(path):
        if not marked:
            yield line, first


def count_examples(path):
    with open(path, encoding="utf-8") as f:
        return sum(1 for l in f if EXAMPLE.match(l.strip()))
SYMBOLS = ("AAPL", "AA", "DIA")


def blocks(path):
    """Yields (line number of the marker, substitutions, block text)."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    i = 0
    while i < len(lines):
        match = MARKER.match(lines[i].strip())
        if not match:
            i += 1
            continue
        marker_line = i + 1
        subs = []
        for item in (match.group(1) or "").split(";"):
            if item.strip():
                if "=>" not in item:
                    raise ValueError("%s:%d: substitution without '=>': %r" %
                                     (path, marker_line, item))
                old, new = item.split("=>", 1)
                subs.append((old.strip(), new.strip()))
        j = i + 1
        if j >= len(lines) or not FENCE.match(lines[j]):
            raise ValueError("%s:%d: doc-command marker not followed by a "
                             "fenced block" % (path, marker_line))
        body = []
        j += 1
        while j < len(lines) and not FENCE.match(lines[j]):
            body.append(lines[j])
            j += 1
        if j >= len(lines):
            raise ValueError("%s:%d: unterminated block" % (path, marker_line))
        yield marker_line, subs, "\n".join(body) + "\n"
        i = j + 1


class Sink(http.server.BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server's name)
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def find_data(root, given):
    for folder in ([given] if given else []) + [
            os.environ.get("PCS_DATA_DIR", ""),
            os.path.join(root, "..", "shared", "data", "ohlcv")]:
        if folder and os.path.isdir(folder):
            return folder
    return None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", required=True)
    parser.add_argument("--build", required=True)
    parser.add_argument("--data")
    parser.add_argument("docs", nargs="*")
    args = parser.parse_args()
    root = os.path.abspath(args.root)
    build = os.path.abspath(args.build)
    docs = args.docs or ([os.path.join(root, "README.md")] +
                         sorted(glob.glob(os.path.join(root, "docs", "*.md"))))
    source = find_data(root, args.data)
    if source is None:
        print("run_doc_commands: no OHLCV folder (--data, $PCS_DATA_DIR or "
              "../shared/data/ohlcv)", file=sys.stderr)
        return 2

    try:
        todo = [(doc, line, subs, text) for doc in docs
                for line, subs, text in blocks(doc)]
    except ValueError as error:
        print("run_doc_commands: %s" % error, file=sys.stderr)
        return 1
    if not todo:
        print("run_doc_commands: no <!-- doc-command --> block in %s" %
              ", ".join(docs), file=sys.stderr)
        return 2
    unmarked = [(doc, line, first) for doc in docs
                for line, first in unmarked_shell_blocks(doc)]
    examples = sum(count_examples(doc) for doc in docs)

    scratch = tempfile.mkdtemp(prefix="pcs-doc-commands-")
    os.chmod(scratch, 0o755)  # the embedded cluster runs as user postgres
    sink = http.server.HTTPServer(("127.0.0.1", 0), Sink)
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    failed = 0
    try:
        data = os.path.join(scratch, "data")
        os.makedirs(data)
        for name in os.listdir(source):
            if name.split(".")[0].split("_")[0].upper() in SYMBOLS:
                shutil.copy(os.path.join(source, name), data)
        env = dict(os.environ)
        env.update({
            "PATH": os.pathsep.join([os.path.join(build, "cli"),
                                     os.path.join(build, "server"),
                                     os.path.join(build, "client"),
                                     env.get("PATH", "")]),
            "PCS_EMBEDDED_ROOT": os.path.join(scratch, "pg"),
            "DOC_DATA": data,
            "DOC_TMP": os.path.join(scratch, "tmp"),
            "PCS_WEBHOOK_URL": "http://127.0.0.1:%d/" % sink.server_port,
            "PCS_BUILD_DIR": build,
        })
        env.pop("PCS_DATABASE_URL", None)
        os.makedirs(env["DOC_TMP"])
        for doc, line, subs, text in todo:
            for old, new in subs:
                if old not in text:
                    print("FAIL %s:%d: substitution %r matches nothing" %
                          (os.path.relpath(doc, root), line, old))
                    failed += 1
                text = text.replace(old, new)
            where = "%s:%d" % (os.path.relpath(doc, root), line)
            try:
                run = subprocess.run(["bash", "-euo", "pipefail", "-c", text],
                                     cwd=root, env=env, timeout=600,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
                code, output = run.returncode, run.stdout
            except subprocess.TimeoutExpired as timeout:
                code, output = "timeout", str(timeout.stdout or "")
            if code == 0:
                print("ok   %s" % where)
                continue
            failed += 1
            print("FAIL %s: exit %s running:\n%s--- output (tail) ---\n%s" %
                  (where, code, text, "\n".join(output.splitlines()[-20:])))
    finally:
        sink.shutdown()
        pg = os.path.join(scratch, "pg")
        if os.path.isdir(os.path.join(pg, "data")):
            subprocess.run(["/usr/lib/postgresql/15/bin/pg_ctl", "-D",
                            os.path.join(pg, "data"), "-m", "immediate",
                            "stop"], capture_output=True, check=False)
        shutil.rmtree(scratch, ignore_errors=True)
    for doc, line, first in unmarked:
        print("FAIL %s:%d: shell block neither run (<!-- doc-command -->) nor "
              "marked as an example (<!-- doc-example: why -->): %s" %
              (os.path.relpath(doc, root), line, first))
    print("run_doc_commands: %d of %d blocks ran as written; %d marked as "
          "examples that do not run; %d unmarked" %
          (len(todo) - failed, len(todo), examples, len(unmarked)))
    return 1 if failed or unmarked else 0


if __name__ == "__main__":
    sys.exit(main())
