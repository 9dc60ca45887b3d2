"""Assertion helpers shared by the API tests."""


def error_code(response) -> str:
    """The `code` of the single error in a spec 11 error body."""
    body = response.json()
    assert set(body) == {"type", "errors"}, body
    return body["errors"][0]["code"]


def error_attrs(response) -> set:
    return {error["attr"] for error in response.json()["errors"]}


def contains_key(value, key: str) -> bool:
    """Whether `key` appears as a dict key anywhere in a decoded JSON body."""
    if isinstance(value, dict):
        return key in value or any(contains_key(item, key) for item in value.values())
    if isinstance(value, list):
        return any(contains_key(item, key) for item in value)
    return False
