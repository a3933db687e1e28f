#!/usr/bin/env python3
"""Runs the steps of a composite GitHub action locally, the way the runner
does: each step's `run` under its `shell` with its `env`, the GitHub
environment files (GITHUB_OUTPUT, GITHUB_ENV, GITHUB_PATH,
GITHUB_STEP_SUMMARY) pointed at files in WORKDIR, then the action's outputs
computed from the steps' outputs. Only the expressions our action uses are
understood (inputs.*, github.action_path, runner.temp, steps.*.outputs.*);
anything else is an error, so the test fails instead of guessing.

    action-runner.py ACTION_YML WORKDIR [name=value ...]

Prints the action's outputs as JSON on the last line of stdout; exits with
the first failing step's exit code.
"""
import json
import os
import re
import subprocess
import sys

import yaml

action_yml, workdir = sys.argv[1], sys.argv[2]
given = dict(a.split("=", 1) for a in sys.argv[3:])
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


def expr(text, where):
    def sub(m):
        e = m.group(1).strip()
        if e.startswith("inputs."):
            return inputs[e[len("inputs."):]]
        if e == "github.action_path":
            return action_path
        if e == "runner.temp":
            return runner_temp
        m2 = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", e)
        if m2:
            return step_outputs.get(m2.group(1), {}).get(m2.group(2), "")
        sys.exit("%s: expression not understood by the local runner: %s" % (where, e))
    return re.sub(r"\$\{\{(.*?)\}\}", sub, str(text))


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


for n, step in enumerate(action["runs"]["steps"]):
    where = "step %d (%s)" % (n + 1, step.get("name", ""))
    if "uses" in step or "if" in step:
        sys.exit("%s: 'uses'/'if' are not run locally" % where)
    env = dict(os.environ)
    env.update({k: expr(v, where) for k, v in step.get("env", {}).items()})
    env.update(files)
    env.update({"GITHUB_ACTIONS": "true", "RUNNER_TEMP": runner_temp,
                "GITHUB_ACTION_PATH": action_path})
    extra_path = [p for p in open(files["GITHUB_PATH"]).read().split("\n") if p]
    env["PATH"] = ":".join(extra_path[::-1] + [env.get("PATH", "")])
    open(files["GITHUB_OUTPUT"], "w").close()
    shell = step.get("shell")
    if shell != "bash":
        sys.exit("%s: shell %r is not run locally" % (where, shell))
    print("::local-runner:: %s" % where, flush=True)
    rc = subprocess.call(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c",
                          expr(step["run"], where)], env=env)
    step_outputs[step.get("id", "step%d" % n)] = read_outputs(files["GITHUB_OUTPUT"])
    if rc:
        print("::local-runner:: %s failed with exit %d" % (where, rc), flush=True)
        sys.exit(rc)

outputs = {k: expr(v["value"], "outputs") for k, v in action.get("outputs", {}).items()}
print(json.dumps(outputs))
