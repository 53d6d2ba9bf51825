"""Parses Swift files with tree-sitter's Swift grammar and reports every
syntax error as FILE:LINE:COL. A syntax check only: no types, no imports.

Usage: check_swift.py FILE...   (exit 1 when any file has an error)

Two rewrites cover constructs the grammar (tree-sitter-swift 0.7.4) does not
know but swiftc accepts; both keep every line and column where they were, so
errors still point at the real source:
  - `#if ...` / `@attribute` lines / `#endif` around a declaration's
    attributes (uniffi's generated `@_documentation` blocks): the two
    directive lines are blanked, leaving the attributes on the declaration;
  - `{ () }`, a closure returning the empty tuple: written `{ [] }`.
"""

import sys

import tree_sitter
import tree_sitter_swift

PARSER = tree_sitter.Parser(tree_sitter.Language(tree_sitter_swift.language()))


def normalise(src: bytes) -> bytes:
    lines = src.split(b"\n")
    i = 0
    while i < len(lines):
        if lines[i].strip().startswith(b"#if "):
            j = i + 1
            while j < len(lines) and lines[j].strip().startswith(b"@"):
                j += 1
            if j > i + 1 and j < len(lines) and lines[j].strip() == b"#endif":
                lines[i] = b" " * len(lines[i])
                lines[j] = b" " * len(lines[j])
                i = j
        i += 1
    return b"\n".join(lines).replace(b"{ () }", b"{ [] }")


def errors(src: bytes):
    """(line, column, what) of each ERROR or MISSING node, 1-based."""
    found = []
    stack = [PARSER.parse(normalise(src)).root_node]
    while stack:
        node = stack.pop()
        if node.is_missing:
            found.append((*node.start_point, f"missing {node.type!r}"))
        elif node.is_error:
            text = node.text.decode("utf-8", "replace").split("\n")[0][:40]
            found.append((*node.start_point, f"syntax error near {text!r}"))
        elif node.has_error:
            stack.extend(node.children)
    return sorted((row + 1, col + 1, what) for row, col, what in found)


def main(paths):
    failed = 0
    for path in paths:
        with open(path, "rb") as f:
            found = errors(f.read())
        for line, col, what in found:
            print(f"{path}:{line}:{col}: {what}")
        failed += bool(found)
    print(f"swift syntax: {len(paths) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
