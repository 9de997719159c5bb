"""Every error code the server's code raises, found in the source (an AST walk)."""

from __future__ import annotations

import ast

from tests.structure_tests.imports import project_modules

# Calls whose first argument is an error code.
_CODE_CALLS = {"ApplicationError", "error_body"}


def raised_codes() -> dict[str, set[str]]:
    """code -> the modules that raise it (the scoring core, which has its own catalogue, left out)."""
    found: dict[str, set[str]] = {}
    for module, path in project_modules().items():
        if module == "evaluation" or module.startswith("evaluation."):
            continue
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            code = None
            if isinstance(node, ast.Call):
                name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
                if name in _CODE_CALLS and node.args and isinstance(node.args[0], ast.Constant):
                    code = node.args[0].value
                elif name == "NotFound":
                    code = "not_found"
            elif isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Attribute) and t.attr == "error_code"
                for target in node.targets
                for t in (target.elts if isinstance(target, ast.Tuple) else [target])
            ):
                values = node.value.elts if isinstance(node.value, ast.Tuple) else [node.value]
                code = next((v.value for v in values if isinstance(v, ast.Constant) and v.value), None)
            elif isinstance(node, ast.Tuple) and len(node.elts) == 2 and module == "lidserver.errors":
                first = node.elts[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str) and first.value.islower():
                    code = first.value  # the (code, message) pairs of DRF's exceptions
            if isinstance(code, str) and code:
                found.setdefault(code, set()).add(module)
    return found
