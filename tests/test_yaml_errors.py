"""YAML syntax errors say where the mistake is and what it is in plain words, with the line as written.

The mistakes are the ones the YAML 1.2.2 specification (https://yaml.org/spec/1.2.2/) rules out and that people make
by hand: indentation ("6.1. Indentation Spaces": the siblings of a block collection share one indentation, and
"tab characters must not be used in indentation"), quoted scalars without their closing quote ("7.3. Flow Scalar
Styles"), flow collections without their closing bracket ("7.4. Flow Collection Styles"), a key without its ':'
("8.2.2. Block Mappings": a block mapping entry is a key, ':' and a value; a plain scalar cannot contain ': ',
"7.3.3. Plain Style"), and a '-' entry where a mapping key belongs ("8.2.1. Block Sequences").
Both parsers that netpolkit may use (libyaml, and PyYAML's own when libyaml is missing) get the same words.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

import netpolkit as npk
from netpolkit import PolicyError
from netpolkit.io import read_text, yaml_syntax
from netpolkit.io.yaml_syntax import describe_syntax_error

BASE = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: web\n"

# (case, text, line, column, plain words expected, the line the message shows)
CASES = [
    (
        "key indented less than its siblings",
        BASE + "spec:\n    podSelector: {}\n  policyTypes: [Ingress]\n",
        7,
        3,
        yaml_syntax.INDENTATION,
        "  policyTypes: [Ingress]",
    ),
    (
        "key indented more than the key above",
        BASE + "spec:\n  podSelector: {}\n    policyTypes: [Ingress]\n",
        7,
        5,
        yaml_syntax.INDENTATION,
        "    policyTypes: [Ingress]",
    ),
    (
        "value continued by a more indented key",
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n    labels: {}\n",
        5,
        5,
        yaml_syntax.MORE_INDENTED,
        "    labels: {}",
    ),
    (
        "key of a list item indented less than its siblings",
        BASE + "spec:\n  ingress:\n  - from:\n    - podSelector: {}\n   ports: []\n",
        9,
        4,
        yaml_syntax.INDENTATION,
        "   ports: []",
    ),
    (
        "tab indenting a key",
        BASE + "spec:\n\tpodSelector: {}\n",
        6,
        1,
        yaml_syntax.TAB,
        "\tpodSelector: {}",
    ),
    (
        "tab after the indentation spaces",
        BASE + "spec:\n  podSelector:\n   \tmatchLabels: {}\n",
        7,
        4,
        yaml_syntax.TAB,
        "   \tmatchLabels: {}",
    ),
    (
        "double quote never closed",
        'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: "shop\n',
        4,
        9,
        yaml_syntax.UNCLOSED_QUOTE.format(char="'\"'"),
        '  name: "shop',
    ),
    (
        "single quote never closed",
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: 'shop\nspec: {}\n",
        4,
        9,
        yaml_syntax.UNCLOSED_QUOTE.format(char='"\'"'),
        "  name: 'shop",
    ),
    (
        "flow mapping never closed",
        BASE + "spec:\n  podSelector: {matchLabels: {app: web}\n  policyTypes: [Ingress]\n",
        6,
        16,
        yaml_syntax.UNCLOSED_BRACKET.format(opener="'{'", closer="'}'", stop="line 7, column 3"),
        "  podSelector: {matchLabels: {app: web}",
    ),
    (
        "flow sequence never closed",
        BASE + "spec:\n  policyTypes: [Ingress, Egress\n  podSelector: {}\n",
        6,
        16,
        yaml_syntax.UNCLOSED_BRACKET.format(opener="'['", closer="']'", stop="line 7, column 14"),
        "  policyTypes: [Ingress, Egress",
    ),
    (
        "key without its colon before a mapping",
        "apiVersion: v1\nkind Namespace\nmetadata:\n  name: shop\n",
        2,
        1,
        yaml_syntax.NO_COLON,
        "kind Namespace",
    ),
    (
        "key without its colon inside a mapping",
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name shop\n  labels: {}\n",
        4,
        3,
        yaml_syntax.NO_COLON_ABOVE,
        "  name shop",
    ),
    (
        "no space after the colon",
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name:shop\n  labels: {}\n",
        4,
        3,
        yaml_syntax.NO_SPACE_ABOVE,
        "  name:shop",
    ),
    (
        "list item among the keys of a mapping",
        BASE + "spec:\n  podSelector: {}\n  policyTypes:\n  - Ingress\n  podSelector: {}\n  - Egress\n",
        10,
        3,
        yaml_syntax.LIST_ITEM,
        "  - Egress",
    ),
    (
        "list item where a mapping key was expected",
        BASE + "  - labels\n",
        5,
        3,
        yaml_syntax.LIST_ITEM,
        "  - labels",
    ),
    (
        "list entry without its dash",
        BASE + "spec:\n  podSelector: {}\n  policyTypes:\n    - Ingress\n    Egress\n",
        9,
        5,
        yaml_syntax.NO_COLON,
        "    Egress",
    ),
    (
        "unquoted value with ': ' in it",
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  annotations:\n    note: see: docs\n",
        6,
        14,
        yaml_syntax.SECOND_COLON,
        "    note: see: docs",
    ),
    (
        "text after a quoted value",
        'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: "shop" prod\n',
        4,
        16,
        yaml_syntax.TEXT_AFTER_VALUE,
        '  name: "shop" prod',
    ),
    (
        "value starting with a reserved character",
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: @shop\n",
        4,
        9,
        yaml_syntax.RESERVED.format(char="'@'"),
        "  name: @shop",
    ),
]

PARSER_WORDS = re.compile(r"expected <block end>|did not find expected|<block mapping start>|could not find expected")


@pytest.mark.parametrize(("case", "text", "line", "column", "words", "shown"), CASES, ids=[c[0] for c in CASES])
def test_yaml_syntax_error_names_line_column_and_the_mistake(
    tmp_path: Path, case: str, text: str, line: int, column: int, words: str, shown: str
):
    path = tmp_path / "answer.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        npk.load(path)
    error = caught.value
    expected = f"line {line}, column {column}: invalid YAML: {words}; line {line} reads {shown!r}"
    assert error.message == expected
    assert str(error) == f"{path}: {expected}"
    assert not PARSER_WORDS.search(str(error))
    assert "field" not in error.message  # no field to point at: the line is the place
    assert text.splitlines()[line - 1] == shown  # the line shown is the line named


@pytest.mark.parametrize(("case", "text", "line", "column", "words", "shown"), CASES, ids=[c[0] for c in CASES])
def test_pure_python_parser_gets_the_same_words(case: str, text: str, line: int, column: int, words: str, shown: str):
    """PyYAML's own scanner and parser (used without libyaml) word their errors differently; the plain words and
    the place are the same."""
    with pytest.raises(yaml.MarkedYAMLError) as caught:
        list(yaml.parse(text, Loader=yaml.SafeLoader))
    assert describe_syntax_error(caught.value, text) == (line, column, f"{words}; line {line} reads {shown!r}")


def test_a_problem_without_plain_words_keeps_the_parsers_and_names_the_line():
    text = 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: "sh\\qop"\n'
    with pytest.raises(PolicyError) as caught:
        read_text(text, "answer.yaml")
    assert caught.value.message.startswith("line 4, column ")
    assert yaml_syntax.BAD_ESCAPE in caught.value.message
    text = "%FOO bar\n---\napiVersion: v1\n"
    with pytest.raises(PolicyError, match=r"^answer\.yaml: line 1, column \d+: invalid YAML: .*directive"):
        read_text(text, "answer.yaml")


def test_the_line_shown_is_bounded_for_a_long_line():
    text = 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: "' + "x" * 100_000 + "\n"
    with pytest.raises(PolicyError) as caught:
        read_text(text, "answer.yaml")
    assert len(str(caught.value)) < 1_000
    assert caught.value.message.startswith("line 4, column 9: invalid YAML: the quote")


def test_the_cli_prints_a_yaml_syntax_error_on_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    from netpolkit.cli import main

    path = tmp_path / "answer.yaml"
    path.write_text(CASES[0][1], encoding="utf-8")
    code = main(["matrix", str(path)])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1
    assert f"line 7, column 3: invalid YAML: {yaml_syntax.INDENTATION}" in err
    assert "Traceback" not in err
