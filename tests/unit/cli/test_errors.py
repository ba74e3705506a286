"""Every command reports a user error the same way: `error: ...` alone on one line of
stderr, the command's exit code, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from kairflow.cli.errors import EXIT_FAILED, EXIT_UNREACHABLE, EXIT_USAGE
from tests.cli import error_line, kairflow

ERRORS = [
    pytest.param(
        ["dags", "test", "{dir}/missing.yaml"],
        EXIT_USAGE,
        "error: cannot read {dir}/missing.yaml: No such file or directory",
        id="dags test of a file that is not there",
    ),
    pytest.param(
        ["dags", "test", "{dir}/broken.yaml"],
        EXIT_USAGE,
        "error: {dir}/broken.yaml: not valid YAML: while parsing a flow sequence",
        id="dags test of a file whose YAML error spans lines",
    ),
    pytest.param(
        ["dags", "next-execution", "{dir}/broken.yaml", "-n", "0"],
        EXIT_USAGE,
        "error: -n: must be at least 1, got 0",
        id="dags next-execution with -n 0",
    ),
    pytest.param(
        ["crds", "--check", "{dir}"],
        EXIT_FAILED,
        "error: stale CRDs in {dir}: dags.kairflow.io.yaml, ",
        id="crds --check of a directory without the CRDs",
    ),
    pytest.param(
        ["operator", "--pools", "db"],
        EXIT_USAGE,
        "error: invalid pool 'db': use name=slots, e.g. db=2",
        id="operator with a pool without slots",
    ),
    pytest.param(
        ["dev", "demo", "--dags", "{dir}/nothing"],
        EXIT_USAGE,
        "error: {dir}/nothing is not a directory of DAG manifests",
        id="dev demo without a DAG directory",
    ),
    pytest.param(
        ["dags", "render", "-n", "x"],
        EXIT_USAGE,
        "error: No such option: -n (see 'kairflow dags render --help')",
        id="an option the command does not take",
    ),
    pytest.param(
        ["dags", "apply", "{dir}/etl.yaml", "-n", "other", "--kubeconfig", "{dir}/none"],
        EXIT_USAGE,
        "error: dag \"etl\" is in namespace 'etl', not 'other': pass --namespace=etl",
        id="dags apply of a manifest to a namespace other than its own",
    ),
    pytest.param(
        ["dags", "apply", "{dir}/broken.yaml"],
        EXIT_USAGE,
        "error: {dir}/broken.yaml: not valid YAML: while parsing a flow sequence",
        id="dags apply of a file whose YAML is broken, before reaching any cluster",
    ),
    pytest.param(
        ["runs", "get"],
        EXIT_USAGE,
        "error: Missing argument 'RUN'. (see 'kairflow runs get --help')",
        id="a command without its argument",
    ),
    pytest.param(
        ["dag", "list"],
        EXIT_USAGE,
        "error: No such command 'dag'. Did you mean 'dags'? (see 'kairflow --help')",
        id="a command that does not exist",
    ),
    pytest.param(
        ["runs", "list", "-n", "ns", "--kubeconfig", "{dir}/no-such-kubeconfig"],
        EXIT_UNREACHABLE,
        "error: cannot load a kubeconfig",
        id="a cluster command without a kubeconfig",
    ),
]


@pytest.mark.parametrize(("args", "code", "starts"), ERRORS)
def test_a_user_error_is_one_line_and_an_exit_code(
    tmp_path: Path, args: list[str], code: int, starts: str
) -> None:
    (tmp_path / "broken.yaml").write_text("kind: DAG\nspec: [unclosed\n")
    (tmp_path / "etl.yaml").write_text(
        "kind: DAG\nmetadata: {name: etl, namespace: etl}\nspec: {tasks: [{name: a, bash: x}]}\n"
    )
    result = kairflow(*[arg.format(dir=tmp_path) for arg in args])
    assert result.exit_code == code
    assert error_line(result).startswith(starts.format(dir=tmp_path))


def test_a_failure_at_run_time_exits_1(tmp_path: Path) -> None:
    result = kairflow("localnode", env={"KUBECONFIG": str(tmp_path / "none")})
    assert result.exit_code == EXIT_FAILED
    assert error_line(result) == f"error: no kubeconfig at {tmp_path / 'none'} (set KUBECONFIG)"
