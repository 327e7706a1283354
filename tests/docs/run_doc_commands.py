#!/usr/bin/env python3
"""Runs the commands the docs mark as runnable, as written.

A fenced block in README.md or docs/*.md directly after a line

    <!-- doc-command -->

or, with substitutions for paths that only exist on a production host,

    <!-- doc-command: /var/lib/pcs/ohlcv => $DOC_DATA; /etc/x => $DOC_TMP/x -->

is run with `bash -euo pipefail` from the repository root, after the
substitutions (plain text, left to right). Its environment:

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
FENCE = re.compile(r"^\s*```")
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
    print("run_doc_commands: %d of %d blocks ran as written" %
          (len(todo) - failed, len(todo)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
