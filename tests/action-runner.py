#!/usr/bin/env python3
"""Runs the steps of a composite GitHub action locally, the way the runner
does: each step's `run` under its `shell` with its `env`, the GitHub
environment files (GITHUB_OUTPUT, GITHUB_ENV, GITHUB_PATH,
GITHUB_STEP_SUMMARY) pointed at files in WORKDIR, `if:` conditions, a
failed step skipping the rest but for `always()` ones, then the action's
outputs computed from the steps' outputs.

`uses: actions/cache/restore@v4` and `actions/cache/save@v4` are carried
out against a local store (--cache-store DIR, one directory per key) with
the semantics of the real ones: restore an exact key (cache-hit=true) or
the newest entry matching a restore-keys prefix (cache-hit=false); save
never overwrites a key. Any other `uses:`, and any expression beyond
inputs.*, github.action_path, runner.temp, steps.*.outputs.*, always(),
success(), failure(), ==, != and &&, is an error: the test fails instead of
guessing.

    action-runner.py [--cache-store DIR] ACTION_YML WORKDIR [name=value ...]

WORKDIR is the job's workspace (GITHUB_WORKSPACE, the steps' working
directory); the environment files and runner-temp/ go under it. Prints the
action's outputs as JSON on the last line of stdout; exits with the first
failing step's exit code.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import time

import yaml

args = sys.argv[1:]
store = None
if args[:1] == ["--cache-store"]:
    store, args = args[1], args[2:]
action_yml, workdir = args[0], os.path.abspath(args[1])
given = dict(a.split("=", 1) for a in args[2:])
action = yaml.safe_load(open(action_yml))
action_path = os.path.dirname(os.path.abspath(action_yml))

inputs = {}
for name, spec in action.get("inputs", {}).items():
    inputs[name] = str(given.pop(name, spec.get("default", "")))
if given:
    sys.exit("unknown inputs: %s" % ", ".join(given))

files = {k: os.path.join(workdir, k.lower()) for k in
         ("GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH", "GITHUB_STEP_SUMMARY")}
for f in files.values():
    open(f, "a").close()
runner_temp = os.path.join(workdir, "runner-temp")
os.makedirs(runner_temp, exist_ok=True)
step_outputs = {}
failed = 0


def value(e, where):
    e = e.strip()
    m = re.fullmatch(r"'([^']*)'", e)
    if m:
        return m.group(1)
    if e.startswith("inputs."):
        return inputs[e[len("inputs."):]]
    if e == "github.action_path":
        return action_path
    if e == "runner.temp":
        return runner_temp
    m = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", e)
    if m:
        return step_outputs.get(m.group(1), {}).get(m.group(2), "")
    sys.exit("%s: expression not understood by the local runner: %s" % (where, e))


def expr(text, where):
    return re.sub(r"\$\{\{(.*?)\}\}", lambda m: value(m.group(1), where), str(text))


def condition(cond, where):
    """An `if:`: terms joined by &&; without a status function, success()."""
    status = None
    ok = True
    for term in str(cond).split("&&"):
        term = term.strip()
        if term in ("always()", "success()", "failure()"):
            status = term
            continue
        m = re.fullmatch(r"(.+?)\s*(==|!=)\s*(.+)", term)
        if not m:
            sys.exit("%s: condition not understood by the local runner: %s" % (where, term))
        a, b = value(m.group(1), where), value(m.group(3), where)
        ok = ok and ((a == b) if m.group(2) == "==" else (a != b))
    if status == "always()":
        return ok
    if status == "failure()":
        return ok and failed != 0
    return ok and failed == 0


def read_outputs(path):
    """GITHUB_OUTPUT format: name=value lines and name<<DELIM heredocs."""
    out, lines, i = {}, open(path).read().split("\n"), 0
    while i < len(lines):
        line = lines[i]
        m = re.match(r"([\w-]+)<<(.+)$", line)
        if m:
            name, delim, val = m.group(1), m.group(2), []
            i += 1
            while i < len(lines) and lines[i] != delim:
                val.append(lines[i])
                i += 1
            out[name] = "\n".join(val)
        elif "=" in line:
            k, v = line.split("=", 1)
            out[k] = v
        i += 1
    return out


def copy_tree(src, dst):
    """tar, as actions/cache does: modes and times kept, files the user's own."""
    os.makedirs(dst, exist_ok=True)
    rc = subprocess.call("tar -C '%s' -cf - . | tar -C '%s' -xf -" % (src, dst), shell=True)
    if rc:
        sys.exit("cache copy %s -> %s failed" % (src, dst))


def cache_step(kind, w, where):
    if store is None:
        sys.exit("%s: actions/cache needs --cache-store" % where)
    path, key = w["path"], w["key"]
    out = {}
    if kind == "restore":
        hit = os.path.join(store, key)
        matched = key if os.path.isdir(hit) else None
        if not matched:
            for prefix in [p for p in w.get("restore-keys", "").split("\n") if p.strip()]:
                cands = [k for k in os.listdir(store) if k.startswith(prefix.strip())]
                if cands:
                    matched = max(cands, key=lambda k: os.stat(os.path.join(store, k)).st_mtime)
                    break
        if matched:
            copy_tree(os.path.join(store, matched), path)
            print("Cache restored from key: %s" % matched, flush=True)
            out["cache-matched-key"] = matched
        else:
            print("Cache not found for input keys: %s" % key, flush=True)
        out["cache-hit"] = "true" if matched == key else "false"
    else:
        dst = os.path.join(store, key)
        if os.path.exists(dst):
            print("Cache already exists for key %s: not saved" % key, flush=True)
        elif os.path.isdir(path):
            tmp = dst + ".saving"
            shutil.rmtree(tmp, ignore_errors=True)
            copy_tree(path, tmp)
            os.rename(tmp, dst)
            print("Cache saved with key: %s" % key, flush=True)
        else:
            print("Path does not exist: %s: not saved" % path, flush=True)
    return out


for n, step in enumerate(action["runs"]["steps"]):
    where = "step %d (%s)" % (n + 1, step.get("name", ""))
    sid = step.get("id", "step%d" % n)
    if not condition(step.get("if", "success()"), where):
        print("::local-runner:: %s skipped" % where, flush=True)
        continue
    print("::local-runner:: %s" % where, flush=True)
    t0 = time.monotonic()
    if "uses" in step:
        m = re.fullmatch(r"actions/cache/(restore|save)@v4", step["uses"])
        if not m:
            sys.exit("%s: 'uses: %s' is not run locally" % (where, step["uses"]))
        w = {k: expr(v, where) for k, v in step.get("with", {}).items()}
        step_outputs[sid] = cache_step(m.group(1), w, where)
        continue
    env = dict(os.environ)
    env.update({k: expr(v, where) for k, v in step.get("env", {}).items()})
    env.update(files)
    env.update({"GITHUB_ACTIONS": "true", "RUNNER_TEMP": runner_temp,
                "GITHUB_ACTION_PATH": action_path, "GITHUB_WORKSPACE": workdir})
    for line in open(files["GITHUB_ENV"]).read().split("\n"):
        if "=" in line:
            k, v = line.split("=", 1)
            env[k] = v
    extra_path = [p for p in open(files["GITHUB_PATH"]).read().split("\n") if p]
    env["PATH"] = ":".join(extra_path[::-1] + [env.get("PATH", "")])
    open(files["GITHUB_OUTPUT"], "w").close()
    shell = step.get("shell")
    if shell != "bash":
        sys.exit("%s: shell %r is not run locally" % (where, shell))
    rc = subprocess.call(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c",
                          expr(step["run"], where)], env=env, cwd=workdir)
    step_outputs[sid] = read_outputs(files["GITHUB_OUTPUT"])
    print("::local-runner:: %s took %.1f s" % (where, time.monotonic() - t0), flush=True)
    if rc:
        print("::local-runner:: %s failed with exit %d" % (where, rc), flush=True)
        failed = failed or rc

outputs = {k: expr(v["value"], "outputs") for k, v in action.get("outputs", {}).items()}
print(json.dumps(outputs))
sys.exit(failed)
