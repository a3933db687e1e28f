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


# What the man page says about the whole tool (DESCRIPTION), one paragraph a string.
description = [
    "slurm-factory turns a Slurm version into published, proven-relocatable Slurm "
    "packages, and writes what it proved as JSON and JUnit XML. It is one program "
    "meant to be called from a CI step.",
    "Its pipeline has eight stages, each also a command: resolve (a version spec "
    "to one tag and commit, by listing the tags of Slurm's git repository, no "
    "clone); fetch (that commit's source into the source cache); images (the LXD "
    "build and runtime images, made with debootstrap when missing, or imported "
    "from an export in the cache); build (the build recipe in an ephemeral LXD "
    "container, or on this machine with --backend host; the installed tree made "
    "relocatable with $ORIGIN RPATHs and grafted libraries); package "
    "(deterministic tarballs, modulefiles, SHA256SUMS and a manifest); verify "
    "(the relocatability gate: the tree moved to random prefixes, every RPATH "
    "and library resolution checked without running anything; it works on any "
    "tarball); smoke (the module loaded and a real one-node cluster run from "
    "the tree at random prefixes); publish (uploads to a directory, HTTP, S3, "
    "GitHub or GitLab).",
    "run walks the whole pipeline into one report and publishes only when "
    "every gate (verify, smoke) ran and passed; build walks resolve to verify. "
    "Under GitHub Actions or GitLab CI the tool also prints groups, annotations, "
    "a step summary and outputs. Sources, builds, the compiler cache, image "
    "exports and smoke proofs are kept in the cache directory, so an unchanged "
    "run is a cache hit that starts no container.",
]

# The environment the program reads, besides the option variables.
environment = [
    ("SLURM_FACTORY_<OPTION>", "the value of --option when it is not given on the "
     "command line (upper case, - as _); an empty value counts as unset, and a "
     "flag is set by any value but 0, false or no"),
    ("AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN",
     "credentials of s3:// publish targets"),
    ("AWS_REGION, AWS_DEFAULT_REGION", "the region of s3:// targets (default us-east-1)"),
    ("GITHUB_TOKEN, GH_TOKEN", "the token of github:// publish targets"),
    ("CI_JOB_TOKEN, GITLAB_TOKEN", "the token of gitlab:// publish targets (the job "
     "token first)"),
    ("CI_API_V4_URL", "the GitLab API of gitlab:// targets when --gitlab-api is not given"),
    ("SOURCE_DATE_EPOCH", "the time stamp of every file in the tarballs when "
     "--source-date-epoch is not given (else the commit's time)"),
    ("LXD_SOCKET", "the LXD socket when --lxd-socket is not given (then only that one)"),
    ("LXD_DIR", "LXD's directory: its unix.socket is tried before the snap's "
     "(/var/snap/lxd/common/lxd/unix.socket) and Debian's (/var/lib/lxd/unix.socket)"),
    ("TMPDIR", "temporary files, and the default work directory of verify and smoke "
     "(default /tmp; verify otherwise prefers /dev/shm, then /var/tmp)"),
    ("SF_NO_ISAL", "when set (not empty), gzip is inflated with zlib (libarchive) "
     "instead of ISA-L (libisal2): slower, and libarchive does not check the gzip "
     "CRC-32"),
    ("GITHUB_ACTIONS, GITLAB_CI", "when true, CI output: groups or collapsible "
     "sections, annotations, results"),
    ("GITHUB_OUTPUT, GITHUB_ENV, GITHUB_STEP_SUMMARY", "under GitHub Actions, the "
     "files the step outputs, the SLURM_FACTORY_RESULT_* variables and the job "
     "summary are appended to"),
    ("HOME", "the default cache directory is $HOME/.slurm-factory"),
]

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
       ".SH DESCRIPTION"]


def roff(s):
    return s.replace("\\", "\\\\").replace("-", "\\-")


for i, para in enumerate(description):
    man += ([".PP"] if i else []) + [roff(para)]
man.append(".SH COMMANDS")


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
md += ["## Environment", "", "| variable | |", "|---|---|"]
md += ["| %s | %s |" % (", ".join("`%s`" % v for v in names.split(", ")), h)
       for names, h in environment]
md.append("")
man += [".SH COMMON OPTIONS"]
for o, h in common_opts:
    man += [".TP", r"\fB%s\fR" % roff(o), roff(h)]
man += [".SH EXIT STATUS", ".TP", "0", "all checks passed", ".TP", "1",
        "a check failed (the report says which)", ".TP", "2",
        "the environment failed (LXD down, disk full, network)", ".TP", "129", "usage error",
        ".SH ENVIRONMENT"]
for names, h in environment:
    man += [".TP", r"\fB%s\fR" % roff(names), roff(h)]
man += [".SH SEE ALSO", "docs/relocatability.md, docs/report.schema.json in the source tree"]

open(outdir + "/cli.md", "w").write("\n".join(md) + "\n")
open(outdir + "/slurm-factory.1", "w").write("\n".join(man) + "\n")
