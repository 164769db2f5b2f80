"""Assertions shared by the API tests."""


def error_of(response, status_code: int, code: str = "invalid") -> dict:
    """Assert the one JSON error envelope and return its inner object."""
    assert response.status_code == status_code, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert list(body) == ["error"]
    assert set(body["error"]) == {"code", "message", "fields", "details"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]
