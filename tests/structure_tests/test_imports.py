"""The project's modules import each other in one direction: no circles, and tasks are imported by nobody."""

from __future__ import annotations

from tests.structure_tests.imports import cycles, import_graph, project_modules


def test_the_walk_sees_the_project() -> None:
    graph = import_graph()
    assert "submissions.tasks" in graph and "submissions.scoring" in graph["submissions.tasks"]
    assert "evaluation" in graph["submissions.evaluate"] and "evaluation.scoring" in graph["evaluation"]
    assert len(project_modules()) > 80


def test_no_import_cycles() -> None:
    assert cycles(import_graph()) == []


def test_no_module_imports_a_tasks_module() -> None:
    """Tasks import services; services reach a task by name (lidserver.tasks.task_named)."""
    importers = {
        module: sorted(t for t in targets if t.endswith(".tasks") and t != "lidserver.tasks")
        for module, targets in import_graph().items()
    }
    assert {module: targets for module, targets in importers.items() if targets} == {}
