"""Builds update and condition expressions with placeholders for every name and value.

boto3's ``conditions`` module builds conditions only (and for the resource layer); the store also
needs update expressions, so this small builder does both. Every attribute name goes through a
``#name`` placeholder, which sidesteps DynamoDB's reserved words (status, type, result, error, ...).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef


class Expression:
    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.values: dict[str, AttributeValueTypeDef] = {}
        self._set: list[str] = []
        self._remove: list[str] = []
        self._add: list[str] = []
        self._delete: list[str] = []
        self._conditions: list[str] = []

    def name(self, attribute: str) -> str:
        placeholder = "#" + attribute
        self.names[placeholder] = attribute
        return placeholder

    def value(self, value: AttributeValueTypeDef) -> str:
        placeholder = f":v{len(self.values)}"
        self.values[placeholder] = value
        return placeholder

    def set(self, attribute: str, value: AttributeValueTypeDef) -> None:
        self._set.append(f"{self.name(attribute)} = {self.value(value)}")

    def remove(self, attribute: str) -> None:
        self._remove.append(self.name(attribute))

    def set_expression(self, clause: str) -> None:
        """A SET clause written by the caller (placeholders from name() and value())."""
        self._set.append(clause)

    def add(self, attribute: str, value: AttributeValueTypeDef) -> None:
        """ADD: atomically add to a number, or put elements into a set (created if absent)."""
        self._add.append(f"{self.name(attribute)} {self.value(value)}")

    def delete(self, attribute: str, value: AttributeValueTypeDef) -> None:
        """DELETE: take elements out of a set (the attribute goes when the set is empty)."""
        self._delete.append(f"{self.name(attribute)} {self.value(value)}")

    def require(self, condition: str) -> None:
        """Add a clause to the condition; clauses are ANDed."""
        self._conditions.append(condition)

    @property
    def update(self) -> str:
        clauses = []
        if self._set:
            clauses.append("SET " + ", ".join(self._set))
        if self._remove:
            clauses.append("REMOVE " + ", ".join(self._remove))
        if self._add:
            clauses.append("ADD " + ", ".join(self._add))
        if self._delete:
            clauses.append("DELETE " + ", ".join(self._delete))
        return " ".join(clauses)

    @property
    def condition(self) -> str:
        return " AND ".join(f"({c})" for c in self._conditions)
