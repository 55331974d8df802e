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
