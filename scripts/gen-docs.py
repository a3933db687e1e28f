#!/usr/bin/env python3
"""Generates docs/cli.md and docs/slurm-factory.1 from the program's own
help (the one command table), so the CLI reference cannot drift from
--help. tests/test_docs.c checks the committed files are up to date.

    scripts/gen-docs.py BIN [OUTDIR]
"""
import re
import subprocess
import sys

binary = sys.argv[1]
outdir = sys.argv[2] if len(sys.argv) > 2 else "docs"


def run(*args):
    return subprocess.run([binary, *args], capture_output=True, text=True, check=True).stdout


overview = run("help")
version = run("--version").split()[-1]
commands = []
for line in overview.split("commands:\n", 1)[1].splitlines():
    m = re.match(r"  (\S+)\s+(.*)", line)
    if not m:
        break
    if m.group(1) != "help":
        commands.append((m.group(1), m.group(2)))


def parse(text):
    usage = text.splitlines()[0][len("usage: "):]
    body = text.split("\n\n")
    desc = body[1].replace("\n", " ").strip()
    sections = []
    for block in re.split(r"\n(?=\S[^\n]*options:\n)", text):
        m = re.match(r"(\S[^\n]*) options:\n", block)
        if not m:
            continue
        opts = []
        for l in block.splitlines()[1:]:
            om = re.match(r"  (--\S+(?: [A-Z][A-Z_]*)?)\s+(.*)", l)
            if om:
                opts.append((om.group(1), om.group(2)))
            elif not l.strip():
                break
        sections.append((m.group(1), opts))
    return usage, desc, sections


md = ["# slurm-factory command-line reference", "",
      "Generated from `slurm-factory help` by `scripts/gen-docs.py`; the man page",
      "`docs/slurm-factory.1` carries the same text. Every option can also be set",
      "in the environment as `SLURM_FACTORY_<OPTION>` (upper case, `-` as `_`);",
      "the command line wins.", "",
      "Exit codes: `0` all checks passed, `1` a check failed, `2` environment",
      "error, `129` usage error. Reports (`--json`, `--junit`) are written in",
      "every case.", ""]
man = [r'.TH SLURM-FACTORY 1 "" "slurm-factory %s" "User Commands"' % version,
       ".SH NAME", r"slurm-factory \- turn a Slurm version into proven-relocatable packages",
       ".SH SYNOPSIS", r".B slurm-factory", r".I COMMAND", r"[\fIARGS\fR] [\fIOPTIONS\fR]",
       ".SH DESCRIPTION",
       "slurm-factory resolves a Slurm version from git tags, fetches it, and proves "
       "that install trees are relocatable; it writes what it proved as JSON and JUnit XML.",
       ".SH COMMANDS"]


def roff(s):
    return s.replace("\\", "\\\\").replace("-", "\\-")


common_done = False
for name, summary in commands:
    usage, desc, sections = parse(run("help", name))
    md += ["## %s" % name, "", summary[0].upper() + summary[1:] + ".", "",
           "```", "slurm-factory " + usage[len("slurm-factory "):], "```", "", desc, ""]
    man += [".SS " + roff(name), ".B slurm-factory " + roff(usage[len("slurm-factory "):]),
            ".PP", roff(desc)]
    for title, opts in sections:
        if title == "common":
            continue
        md += ["| option | |", "|---|---|"]
        md += ["| `%s` | %s |" % (o, h.replace("|", "\\|")) for o, h in opts]
        md.append("")
        for o, h in opts:
            man += [".TP", r"\fB%s\fR" % roff(o), roff(h)]
    if not common_done:
        common = [s for s in sections if s[0] == "common"]
        common_opts = common[0][1] if common else []
        common_done = True
md += ["## Options of every command", "", "| option | |", "|---|---|"]
md += ["| `%s` | %s |" % (o, h) for o, h in common_opts]
md.append("")
man += [".SH COMMON OPTIONS"]
for o, h in common_opts:
    man += [".TP", r"\fB%s\fR" % roff(o), roff(h)]
man += [".SH EXIT STATUS", ".TP", "0", "all checks passed", ".TP", "1",
        "a check failed (the report says which)", ".TP", "2",
        "the environment failed (LXD down, disk full, network)", ".TP", "129", "usage error",
        ".SH ENVIRONMENT", ".TP", r"\fBSLURM_FACTORY_\fIOPTION\fR",
        "the value of \\fB\\-\\-\\fIoption\\fR when it is not given on the command line",
        ".SH SEE ALSO", "docs/relocatability.md, docs/report.schema.json in the source tree"]

open(outdir + "/cli.md", "w").write("\n".join(md) + "\n")
open(outdir + "/slurm-factory.1", "w").write("\n".join(man) + "\n")
