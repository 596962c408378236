"""Public groups anyone can find and join (SPEC "Public groups anyone can find and join"): `Public` on create,
`update-group`, the directory `GET /groups/public`, and `join-group` / `POST /groups/<id>/join`.

The rules run against the app with Flask-SocketIO's test clients; the join race, the kicked-member rule and
the room move run live, against two server processes sharing Redis (tests/cluster.py).
"""
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from test_groups import NS, GroupWorld

from conftest import bearer, error_code

MISSING = "0123456789abcdef01234567"


@pytest.fixture
def world(app, smtp, connect_socket):
    return GroupWorld(app, smtp, connect_socket)


def create(world, admin, members=(), name="Team", public=True, **extra):
    ack = world.call(admin, "create-group-chat", {"Name": name, "Participants": [m["id"] for m in members],
                                                  "Public": public, **extra})
    assert ack["ok"], ack
    for user in (admin, *members):
        for tab in range(len(user["tabs"])):
            user["tabs"][tab].get_received(NS)
    return ack["Group"]


def directory(world, user, **query):
    response = world.app.test_client().get("/groups/public", query_string=query, headers=bearer(user["access"]))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def public_user(user):
    return {"id": user["id"], "username": user["username"], "Bot": False}


def test_public_on_create_and_in_every_group(world):
    admin, bob = world.user(), world.user()
    group = create(world, admin, [bob], public=True)
    assert group["Public"] is True
    private = create(world, admin, [bob], public=False)
    assert private["Public"] is False
    default = world.call(admin, "create-group-chat", {"Name": "d", "Participants": []})["Group"]
    assert default["Public"] is False
    assert error_code(world.call(admin, "create-group-chat", {"Name": "x", "Participants": [],
                                                              "Public": "yes"})) == "validation_error"
    detail = world.app.test_client().get(f"/groups/{group['GroupId']}", headers=bearer(bob["access"])).get_json()
    assert detail["Group"]["Public"] is True


def test_update_group_is_for_the_admin_and_tells_the_members(world):
    admin, bob, stranger = world.user(), world.user(tabs=2), world.user()
    group = create(world, admin, [bob], public=False)
    gid = group["GroupId"]
    with world.unchanged():
        assert error_code(world.call(bob, "update-group", {"GroupId": gid, "Public": True})) == "forbidden"
        assert error_code(world.call(stranger, "update-group", {"GroupId": gid, "Public": True})) == "not_found"
        assert error_code(world.call(stranger, "update-group", {"GroupId": MISSING, "Public": True})) == "not_found"
        assert error_code(world.call(admin, "update-group", {"GroupId": gid})) == "validation_error"
        assert error_code(world.call(admin, "update-group", {"GroupId": gid, "Name": "  "})) == "validation_error"
        assert error_code(world.call(admin, "update-group", {"GroupId": gid, "Public": 1})) == "validation_error"
    ack = world.call(admin, "update-group", {"GroupId": gid, "Public": True, "Name": " Renamed ",
                                             "Description": "all welcome"})
    assert ack["ok"], ack
    assert (ack["Group"]["Name"], ack["Group"]["Description"], ack["Group"]["Public"]) == ("Renamed", "all welcome",
                                                                                          True)
    for user, tabs in ((admin, 1), (bob, 2)):
        for tab in range(tabs):
            assert world.events(user, tab) == [("group-updated", {"Group": ack["Group"]})]
    assert world.events(stranger) == []
    # Only what is given changes.
    again = world.call(admin, "update-group", {"GroupId": gid, "Description": "d2"})["Group"]
    assert (again["Name"], again["Description"], again["Public"]) == ("Renamed", "d2", True)
    assert directory(world, stranger, q="renamed")["entries"][0]["GroupId"] == gid
    world.call(admin, "update-group", {"GroupId": gid, "Public": False})
    assert directory(world, stranger, q="renamed")["entries"] == []
    assert "name_grams" not in world.group(gid)


def test_the_directory_searches_names_case_insensitively_and_pages_largest_first(world):
    admin, bob, carol, me = world.user(), world.user(), world.user(), world.user()
    small = create(world, admin, [], name="Rust Learners")
    big = create(world, admin, [bob, carol], name="The RUSTY Nails")
    mid = create(world, admin, [me], name="rust")
    create(world, admin, [bob], name="Rustic private", public=False)
    gone = create(world, admin, [bob], name="Rusted and deleted")
    world.call(admin, "delete-grp", {"GroupId": gone["GroupId"]})
    other = create(world, admin, [], name="Knitting")

    listed = directory(world, me)
    ids = [e["GroupId"] for e in listed["entries"]]
    assert ids == [big["GroupId"], mid["GroupId"], other["GroupId"], small["GroupId"]]  # ties: by name
    rust = [big["GroupId"], mid["GroupId"], small["GroupId"]]
    assert listed["state"] == {"page": 1, "per_page": 20, "total": 4, "total_pages": 1}
    assert listed["entries"][1] == {"GroupId": mid["GroupId"], "Name": "rust", "Description": "", "MemberCount": 2,
                                    "Joined": True}
    assert [e["Joined"] for e in listed["entries"]] == [False, True, False, False]
    assert [e["MemberCount"] for e in listed["entries"]] == [3, 2, 1, 1]

    for q in ("RuSt", "rus", "r", "ust"):  # up to 3 characters: one index key; longer: checked candidates
        found = directory(world, me, q=q)
        assert [e["GroupId"] for e in found["entries"]] == rust, q
        assert found["state"]["total"] == 3
    assert [e["GroupId"] for e in directory(world, me, q="rusty n")["entries"]] == [big["GroupId"]]
    assert [e["GroupId"] for e in directory(world, me, q="t l")["entries"]] == [small["GroupId"]]
    assert directory(world, me, q="rust learnerz")["entries"] == []
    assert directory(world, me, q="x")["state"]["total"] == 0
    assert directory(world, me, q=".*")["entries"] == []  # no pattern, just text

    page2 = directory(world, me, q="rust", per_page=2, page=2)
    assert [e["GroupId"] for e in page2["entries"]] == [small["GroupId"]]
    assert page2["state"] == {"page": 2, "per_page": 2, "total": 3, "total_pages": 2}
    page1 = directory(world, me, per_page=2)
    assert [e["GroupId"] for e in page1["entries"]] == ids[:2] and page1["state"]["total_pages"] == 2


@pytest.mark.parametrize("query", ["q=", "per_page=0", "per_page=101", "page=0", "q=a&q=b", "page=x",
                                   "q=" + "x" * 201])
def test_the_directory_refuses_bad_queries(world, query):
    me = world.user()
    response = world.app.test_client().get(f"/groups/public?{query}", headers=bearer(me["access"]))
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "validation_error"


def test_the_directory_wants_a_token(client):
    assert client.get("/groups/public").status_code == 401


def test_joining_tells_members_and_moves_every_tab_of_the_joiner_into_the_room(world):
    admin, bob, joiner = world.user(), world.user(), world.user(tabs=2)
    group = create(world, admin, [bob])
    gid = group["GroupId"]
    ack = world.call(joiner, "join-group", {"GroupId": gid})
    assert ack["ok"], ack
    assert [m["id"] for m in ack["Group"]["Members"]] == [admin["id"], bob["id"], joiner["id"]]
    added = {"GroupId": gid, "Member": public_user(joiner), "By": public_user(joiner)}
    assert world.events(admin) == [("member-added", added)] and world.events(bob) == [("member-added", added)]
    for tab in (0, 1):
        assert world.events(joiner, tab) == [("group-created", {"Group": ack["Group"]})]
    said = world.call(bob, "send-group-message", {"GroupId": gid, "Content": "welcome"})
    for tab in (0, 1):
        assert [name for name, _ in world.events(joiner, tab)] == ["receive-group-message"]
    world.events(admin)
    # Joining again is harmless: the same answer, nothing pushed, nothing unread from before.
    again = world.call(joiner, "join-group", {"GroupId": gid})
    assert again["ok"] and len(again["Group"]["Members"]) == 3
    assert world.events(admin) == [] and world.events(joiner, 1) == []
    stored = world.group(gid)
    assert stored["member_count"] == 3 and stored["names"][joiner["id"]] == joiner["username"]
    assert stored["reads"][joiner["id"]] == said["Message"]["Seq"] - 1


def test_rest_join_is_the_same_join(world):
    admin, joiner = world.user(), world.user()
    gid = create(world, admin)["GroupId"]
    other_tab = world.connect(joiner)
    response = world.app.test_client().post(f"/groups/{gid}/join", headers=bearer(joiner["access"]))
    assert response.status_code == 200, response.get_json()
    group = response.get_json()["Group"]
    assert [m["id"] for m in group["Members"]] == [admin["id"], joiner["id"]]
    assert world.events(admin) == [("member-added", {"GroupId": gid, "Member": public_user(joiner),
                                                     "By": public_user(joiner)})]
    assert [(e["name"], e["args"][0]) for e in other_tab.get_received(NS)] == [("group-created", {"Group": group})]
    world.call(admin, "send-group-message", {"GroupId": gid, "Content": "hi"})
    assert [e["name"] for e in other_tab.get_received(NS)] == ["receive-group-message"]
    assert directory(world, joiner)["entries"][0]["Joined"] is True


def test_private_deleted_and_unknown_groups_reveal_nothing(world):
    admin, bob, stranger = world.user(), world.user(), world.user()
    private = create(world, admin, [bob], public=False)["GroupId"]
    deleted = create(world, admin, [bob])["GroupId"]
    world.call(admin, "delete-grp", {"GroupId": deleted})
    world.events(admin), world.events(bob)
    client = world.app.test_client()
    with world.unchanged():
        answers = [world.call(stranger, "join-group", {"GroupId": gid})["error"]
                   for gid in (private, deleted, MISSING)]
        rest = [client.post(f"/groups/{gid}/join", headers=bearer(stranger["access"])) for gid in (private, MISSING)]
    assert answers[0]["code"] == "not_found" and answers[0] == answers[1] == answers[2]
    assert [r.status_code for r in rest] == [404, 404] and rest[0].get_json() == rest[1].get_json()
    assert world.events(admin) == [] and world.events(bob) == []
    assert directory(world, stranger)["entries"] == []


def test_a_kicked_member_cannot_rejoin_until_an_admin_adds_them_back(world):
    admin, bob = world.user(), world.user()
    gid = create(world, admin, [bob])["GroupId"]
    world.call(admin, "kickout", {"GroupId": gid, "Member": bob["id"]})
    world.events(admin), world.events(bob)
    with world.unchanged():
        refused = world.call(bob, "join-group", {"GroupId": gid})
        by_rest = world.app.test_client().post(f"/groups/{gid}/join", headers=bearer(bob["access"]))
    assert error_code(refused) == "forbidden" and by_rest.status_code == 403
    assert world.events(admin) == []
    # Made private, the group is not there for them at all.
    world.call(admin, "update-group", {"GroupId": gid, "Public": False})
    assert error_code(world.call(bob, "join-group", {"GroupId": gid})) == "not_found"
    world.call(admin, "update-group", {"GroupId": gid, "Public": True})
    assert world.call(admin, "add-member", {"GroupId": gid, "Member": bob["id"]})["ok"]
    assert world.group(gid)["kicked"] == []
    assert world.call(bob, "leave-grp", {"GroupId": gid})["ok"]
    assert world.call(bob, "join-group", {"GroupId": gid})["ok"], "leaving by oneself does not bar a return"


def test_member_count_follows_every_membership_change(world):
    admin, bob, carol, dave = world.user(), world.user(), world.user(), world.user()
    gid = create(world, admin, [bob])["GroupId"]

    def count():
        stored = world.group(gid)
        assert stored["member_count"] == len(stored["members"])
        return stored["member_count"]

    assert count() == 2
    world.call(admin, "add-member", {"GroupId": gid, "Member": carol["id"]})
    assert count() == 3
    world.call(dave, "join-group", {"GroupId": gid})
    assert count() == 4
    world.call(admin, "kickout", {"GroupId": gid, "Member": carol["id"]})
    assert count() == 3
    world.call(bob, "leave-grp", {"GroupId": gid})
    assert count() == 2
    world.call(admin, "delete-grp", {"GroupId": gid})
    assert count() == 0 and world.group(gid)["public"] is False


def test_the_last_member_leaving_takes_the_group_out_of_the_directory(world):
    admin, stranger = world.user(), world.user()
    gid = create(world, admin)["GroupId"]
    world.call(admin, "leave-grp", {"GroupId": gid})
    assert directory(world, stranger)["entries"] == []
    assert error_code(world.call(stranger, "join-group", {"GroupId": gid})) == "not_found"


def test_a_full_group_answers_conflict(make_app, smtp, connect_socket):
    world = GroupWorld(make_app(GROUP_MAX_MEMBERS=2), smtp, connect_socket)
    admin, bob, carol = world.user(), world.user(), world.user()
    gid = create(world, admin)["GroupId"]
    assert world.call(bob, "join-group", {"GroupId": gid})["ok"]
    with world.unchanged():
        assert error_code(world.call(carol, "join-group", {"GroupId": gid})) == "conflict"
    assert world.app.test_client().post(f"/groups/{gid}/join", headers=bearer(carol["access"])).status_code == 409


def test_racing_joiners_fill_exactly_the_free_places(make_app, smtp, connect_socket):
    world = GroupWorld(make_app(GROUP_MAX_MEMBERS=5), smtp, connect_socket)
    admin = world.user()
    joiners = [world.user() for _ in range(12)]
    gid = create(world, admin)["GroupId"]
    barrier = threading.Barrier(len(joiners))

    def join(user):
        barrier.wait()
        return world.call(user, "join-group", {"GroupId": gid})

    with ThreadPoolExecutor(len(joiners)) as pool:
        acks = list(pool.map(join, joiners))
    assert sum(1 for ack in acks if ack.get("ok")) == 4
    assert {error_code(ack) for ack in acks if not ack.get("ok")} == {"conflict"}
    stored = world.group(gid)
    assert len(stored["members"]) == stored["member_count"] == 5


# Live: two server processes sharing Redis and one database.

ROOM = 10  # free places in the raced group
RACERS = 256


@pytest.fixture(scope="module")
def cluster(smtp, tmp_path_factory, redis_server):
    from cluster import start_cluster
    instances = start_cluster(smtp, tmp_path_factory.mktemp("cluster"), redis_server.url,
                              GROUP_MAX_MEMBERS=ROOM + 2)
    yield instances
    for instance in instances:
        instance.stop()


def live_users(server, smtp, count):
    with ThreadPoolExecutor(8) as pool:  # verified without the mail round trip: the mail is not what these test
        return list(pool.map(lambda _: server.verified_user(), range(count)))


def post_join(server, user, group_id):
    return requests.post(f"{server.url}/groups/{group_id}/join", headers=bearer(user["access"]), timeout=30)


@pytest.mark.live
@pytest.mark.redis
def test_256_racing_joiners_on_two_processes_leave_exactly_ten_new_members(cluster, smtp, live_socket):
    a, b = cluster
    admin, bob = live_users(a, smtp, 2)
    watcher = live_socket(b, bob, ("/group",))
    racers = live_users(a, smtp, RACERS)
    created = live_socket(a, admin, ("/group",)).call("create-group-chat", {
        "Name": "Race", "Participants": [bob["id"]], "Public": True}, "/group")
    gid = created["Group"]["GroupId"]
    watcher.wait_for("group-created", "/group")
    barrier = threading.Barrier(RACERS)

    def race(index):
        barrier.wait()
        # Half through each process, half over REST and half over sockets would need 256 sockets: REST here,
        # the socket path is the same service call (tested above and below).
        return post_join((a, b)[index % 2], racers[index], gid).status_code

    with ThreadPoolExecutor(RACERS) as pool:
        statuses = list(pool.map(race, range(RACERS)))
    assert statuses.count(200) == ROOM and statuses.count(409) == RACERS - ROOM, statuses
    group = requests.get(f"{a.url}/groups/{gid}", headers=bearer(admin["access"]), timeout=10).json()["Group"]
    assert len(group["Members"]) == ROOM + 2 == len({m["id"] for m in group["Members"]})
    listed = requests.get(f"{b.url}/groups/public", params={"q": "race"}, headers=bearer(bob["access"]),
                          timeout=10).json()["entries"]
    assert [(e["GroupId"], e["MemberCount"], e["Joined"]) for e in listed] == [(gid, ROOM + 2, True)]
    # bob, on the other process, heard of exactly the ten who got in.
    winners = {racers[i]["id"] for i, status in enumerate(statuses) if status == 200}
    watcher.wait_for("member-added", "/group", count=ROOM)
    watcher.sync()
    assert {push["Member"]["id"] for push in watcher.received("member-added", "/group")} == winners


@pytest.mark.live
@pytest.mark.redis
def test_a_joiners_sockets_on_both_processes_enter_the_room_and_a_kicked_member_stays_out(cluster, smtp,
                                                                                          live_socket):
    a, b = cluster
    admin, joiner = live_users(a, smtp, 2)
    admin_sock = live_socket(a, admin, ("/group",))
    tab_a, tab_b = live_socket(a, joiner, ("/group",)), live_socket(b, joiner, ("/group",))
    gid = admin_sock.call("create-group-chat", {"Name": "Open house", "Participants": [], "Public": True},
                          "/group")["Group"]["GroupId"]
    found = requests.get(f"{b.url}/groups/public", params={"q": "open h"}, headers=bearer(joiner["access"]),
                         timeout=10).json()["entries"]
    assert [(e["GroupId"], e["Joined"]) for e in found] == [(gid, False)]
    ack = tab_b.call("join-group", {"GroupId": gid}, "/group")
    assert ack["ok"], ack
    assert admin_sock.wait_for("member-added", "/group")["By"]["id"] == joiner["id"]
    for tab in (tab_a, tab_b):
        assert tab.wait_for("group-created", "/group")["Group"]["GroupId"] == gid
    said = admin_sock.call("send-group-message", {"GroupId": gid, "Content": "hello both tabs"}, "/group")
    for tab in (tab_a, tab_b):  # the tab on the other process, too, is in the room at once
        assert tab.wait_for("receive-group-message", "/group")["Message"] == said["Message"]

    kicked = admin_sock.call("kickout", {"GroupId": gid, "Member": joiner["id"]}, "/group")
    assert kicked["ok"], kicked
    for tab in (tab_a, tab_b):
        tab.wait_for("kicked-out", "/group")
    refused = tab_a.call("join-group", {"GroupId": gid}, "/group")
    assert refused["error"]["code"] == "forbidden"
    assert post_join(b, joiner, gid).status_code == 403
    admin_sock.call("send-group-message", {"GroupId": gid, "Content": "after the kick"}, "/group")
    admin_sock.sync()
    for tab in (tab_a, tab_b):
        tab.sync()
        assert len(tab.received("receive-group-message", "/group")) == 1
    assert admin_sock.call("add-member", {"GroupId": gid, "Member": joiner["id"]}, "/group")["ok"]
    assert tab_b.call("leave-grp", {"GroupId": gid}, "/group")["ok"]
    assert post_join(a, joiner, gid).status_code == 200
