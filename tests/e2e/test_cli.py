# SPDX-License-Identifier: Apache-2.0
"""The CLI shell: help, version, unknown commands and the documented usage exit code."""


def test_help_lists_commands(vigil):
    r = vigil("--help")
    assert r.rc == 0
    assert "Usage: vigil COMMAND" in r.out
    assert "version" in r.out


def test_no_arguments_is_usage_error(vigil):
    r = vigil()
    assert r.rc == 2


def test_version(vigil):
    r = vigil("version")
    assert r.rc == 0
    assert r.out.startswith("vigil ")


def test_unknown_command(vigil):
    r = vigil("frobnicate")
    assert r.rc == 2
    assert "unknown command 'frobnicate'" in r.err


def test_help_command_is_command_help(vigil):
    for cmd in (["scan"], ["sbom"], ["db"], ["db", "query"], ["verify"]):
        a = vigil("help", *cmd)
        b = vigil(*cmd, "--help")
        assert (a.rc, a.out, a.err) == (b.rc, b.out, b.err), cmd
        assert a.rc == 0 and "Usage: vigil " + " ".join(cmd) in a.out, (cmd, a)
    r = vigil("help", "nope")
    assert r.rc == 2 and "unknown command 'nope'" in r.err
    assert vigil("help").rc == 0
