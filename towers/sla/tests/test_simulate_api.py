import pytest

from towers.organisations.tests.test_api import bearer
from towers.sla.simulation import EXAMPLE

pytestmark = pytest.mark.django_db
HOUR = 3600


def test_the_documented_example_is_answered_with_explained_segments(client, estate):
    """Thu 2 Apr 15:00 BST, P3, 16 business hours on 08–18 weekdays with bank holidays.

    Thu 15–18 = 3h (1h Meridian, 2h Apex). Fri 3 Apr Good Friday, weekend, Mon 6 Apr Easter Monday: closed.
    Tue 7 Apr 08–10 = 2h, then pending until Wed 09:00 (paused: Tue 10–18 and Wed 08–09 do not count).
    Wed 8 Apr 09–18 = 9h; Thu 9 Apr 08–12 = 4h. Elapsed 3 + 2 + 9 + 4 = 18h > 16h: breached.
    The 16th hour was reached on Thu 9 Apr at 10:00 (3 + 2 + 9 = 14h by Wed close; 2h more).
    """
    auth = bearer(estate.network_resolver, estate.network)
    response = client.post("/api/v1/sla/simulate", data=EXAMPLE, content_type="application/json", **auth)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["elapsed_seconds"] == 18 * HOUR
    assert body["breached"] is True
    assert body["breach_at"].startswith("2026-04-09T09:00:00")  # 10:00 BST in UTC
    assert body["state"] == "stopped"
    assert body["by_organisation"] == {"Meridian": 1 * HOUR, "Apex": 17 * HOUR}
    rules = " ".join(segment["rule"] for segment in body["segments"])
    assert "Good Friday" in rules or any(s["status"] == "paused" for s in body["segments"])
    assert any(s["status"] == "paused" for s in body["segments"])


def test_an_inconsistent_request_names_the_problem(client, estate):
    auth = bearer(estate.network_resolver, estate.network)
    bad = {
        **EXAMPLE,
        "service_level": {**EXAMPLE["service_level"], "targets": {"P3": {"hours": 16, "calendar": "nope"}}},
    }
    response = client.post("/api/v1/sla/simulate", data=bad, content_type="application/json", **auth)
    assert response.status_code == 422
    assert "nope" in response.json()["error"]["message"]


def test_the_openapi_document_carries_the_example(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/sla/simulate" in schema["paths"]
    assert "EXAMPLE" not in str(schema) and "P3 incident resolution" in str(schema)
