"""Draining before a stop (chat/process/drain.py): once begun, /health answers 503 and every new request is answered
503 `unavailable` without running, so a proxy sends it to another process; requests of an Engine.IO session
the process holds still reach it. The live drain (gunicorn's SIGTERM behind nginx) is in tests/test_nginx.py."""
from chat.process.drain import begin, draining, gate


def test_a_draining_process_answers_503_to_health_and_to_new_requests(app, client):
    gate(app)
    assert client.get("/health").status_code == 200 and not draining(app)
    assert begin(app) == 0 and draining(app)
    health = client.get("/health")
    assert health.status_code == 503 and health.headers["Retry-After"] == "5"
    assert health.get_json()["status"] == "unavailable" and health.get_json()["error"]["code"] == "unavailable"
    for path in ("/me", "/socket.io/?EIO=4&transport=polling", "/openapi.json"):
        response = client.get(path)
        assert response.status_code == 503, path
        assert response.get_json()["error"]["code"] == "unavailable"
    # a request of a session this process holds is not refused by the gate (engineio answers: unknown sid)
    assert client.get("/socket.io/?EIO=4&transport=polling&sid=unknown").status_code == 400
    assert begin(app) == 0  # a second SIGTERM changes nothing
