"""A translated template as one stack of given parameters would deploy it: its conditions
evaluated, the resources whose condition is false dropped, every Fn::If resolved.

CloudFormation's own condition functions (Fn::Equals, Fn::Not, Fn::And, Fn::Or, Condition) over
parameters only, which is all a condition may refer to, and Refs to parameters; nothing else is
evaluated (a Ref to a resource, Fn::Sub and Fn::GetAtt stay as they are)."""

from __future__ import annotations

from typing import Any

_NO_VALUE = {"Ref": "AWS::NoValue"}


class Stack:
    def __init__(self, document: dict[str, Any], parameters: dict[str, str]) -> None:
        declared = document["Parameters"]
        unknown = set(parameters) - set(declared)
        if unknown:
            raise KeyError(f"no such parameters: {sorted(unknown)}")
        self._document = document
        self._values = {
            name: str(parameters.get(name, spec.get("Default", "")))
            for name, spec in declared.items()
        }
        self._conditions: dict[str, bool] = {}

    def condition(self, name: str) -> bool:
        if name not in self._conditions:
            self._conditions[name] = self._truth(self._document["Conditions"][name])
        return self._conditions[name]

    def _truth(self, expression: Any) -> bool:
        [(function, arguments)] = expression.items()
        if function == "Condition":
            return self.condition(arguments)
        if function == "Fn::Equals":
            left, right = (self._scalar(a) for a in arguments)
            return left == right
        if function == "Fn::Not":
            return not self._truth(arguments[0])
        if function == "Fn::And":
            return all(self._truth(a) for a in arguments)
        if function == "Fn::Or":
            return any(self._truth(a) for a in arguments)
        raise ValueError(f"not a condition function: {function}")

    def _scalar(self, value: Any) -> str:
        if isinstance(value, dict):
            return self._values[value["Ref"]]
        return str(value)

    def resolve(self, value: Any) -> Any:
        """value with every Fn::If decided, every Ref to a parameter replaced by its value (a
        string, as CloudFormation passes it) and AWS::NoValue entries left out."""
        if isinstance(value, dict):
            if set(value) == {"Ref"} and value["Ref"] in self._values:
                return self._values[value["Ref"]]
            if set(value) == {"Fn::If"}:
                name, when_true, when_false = value["Fn::If"]
                return self.resolve(when_true if self.condition(name) else when_false)
            resolved = {k: self.resolve(v) for k, v in value.items()}
            return {k: v for k, v in resolved.items() if v != _NO_VALUE}
        if isinstance(value, list):
            return [r for r in (self.resolve(v) for v in value) if r != _NO_VALUE]
        return value

    def resources(self) -> dict[str, dict[str, Any]]:
        """The resources this stack creates, resolved."""
        return {
            name: self.resolve(resource)
            for name, resource in self._document["Resources"].items()
            if "Condition" not in resource or self.condition(resource["Condition"])
        }
