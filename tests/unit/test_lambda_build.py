"""lambda-build/ has a Makefile for every runtime and architecture the template allows.

`sam build` tells a makefile build nothing of its target, so template.yaml picks the folder
lambda-build/<PythonRuntime>-<Architecture> by ContextPath: a missing folder would fail the build
of that choice, and a Makefile naming another target would build the wrong wheels and bytecode.
"""

from __future__ import annotations

import re

from jobstream_local.template_table import load_template

from ..conftest import REPO_ROOT, TEMPLATE

LAMBDA_BUILD = REPO_ROOT / "lambda-build"
# As load_template reads !Sub.
CONTEXT_PATH = {"Sub": "lambda-build/${PythonRuntime}-${Architecture}"}


def test_every_runtime_and_architecture_has_its_makefile() -> None:
    parameters = load_template(TEMPLATE)["Parameters"]
    expected = {
        f"{runtime}-{architecture}"
        for runtime in parameters["PythonRuntime"]["AllowedValues"]
        for architecture in parameters["Architecture"]["AllowedValues"]
    }
    present = {path.parent.name for path in LAMBDA_BUILD.glob("*/Makefile")}
    assert present == expected
    for name in sorted(present):
        text = (LAMBDA_BUILD / name / "Makefile").read_text(encoding="utf-8")
        runtime, architecture = name.split("-", 1)
        assert re.search(rf"^RUNTIME := {re.escape(runtime)}$", text, re.M), name
        assert re.search(rf"^ARCHITECTURE := {re.escape(architecture)}$", text, re.M), name


def test_the_layer_and_every_function_are_built_by_lambda_build() -> None:
    resources = load_template(TEMPLATE)["Resources"]
    built = {
        name: resource.get("Metadata", {})
        for name, resource in resources.items()
        if resource["Type"] in {"AWS::Serverless::Function", "AWS::Serverless::LayerVersion"}
    }
    assert built
    recipes = (LAMBDA_BUILD / "lambda.mk").read_text(encoding="utf-8")
    for name, metadata in built.items():
        assert metadata.get("BuildMethod") == "makefile", name
        assert metadata.get("ContextPath") == CONTEXT_PATH, name
        assert f"build-{name}" in recipes, f"lambda.mk has no build-{name} target"
