"""The summary tables and targets of issue 27's scenarios (keepalive, away, chats); bench/summary.py calls them."""
import json

from .summary import _get, _v


def _keepalive(rows, checks, real, variant):
    """Issue 27 item 1: REST on a new connection vs one kept-alive session, per async mode."""
    m = real["metrics"]
    rows += ["| call | new connection p50 / p99 ms | kept-alive p50 / p99 ms | kept / new (p50) |", "|---|---|---|---|"]
    for route, label in (("health", "GET /health"), ("me", "GET /me"), ("rest_send", "REST send")):
        new, kept = m[route]["new"], m[route]["kept"]
        rows.append(f"| {label} | {_v(new['p50'])} / {_v(new['p99'])} | {_v(kept['p50'])} / {_v(kept['p99'])}"
                    f" | {_v(m[route]['ratio_p50'])}× |")
    ack = m.get("socket_send_ack") or {}
    rows.append(f"| socket send's ack (for comparison) | – | {_v(ack.get('p50'))} / {_v(ack.get('p99'))} | – |")
    worst = m["worst_ratio_p50"]
    checks.append((f"kept-alive REST p50 within 2× of a new connection's ({variant})", worst <= 2, f"worst {worst}×"))


def _away(rows, checks, real, variant):
    """Issue 27 item 2: group messages to away members, then new connections."""
    m, params = real["metrics"], real["params"]
    sends, connects = m["sends"], m["new_connections"]
    send_cpu, drained = m["cpu_send_phase"], m["cpu_until_drained"]
    probe = m.get("db_commands_probe") or {}
    rows += ["| figure | value |", "|---|---|",
             f"| messages sent ({params['rate']}/s for {params['duration_s']} s, {params['members']} members) | "
             f"{sends['sent']} |",
             f"| acks ok / failed (timed out after {params['ack_timeout_s']} s) | {sends['acked']} / "
             f"{sends['ack_errors']} {json.dumps(sends['ack_error_codes'])} |",
             f"| ack p50 / p99 ms | {_v(sends['ack_ms'].get('p50'))} / {_v(sends['ack_ms'].get('p99'))} |",
             f"| delivery p50 / p99 ms | {_v(sends['e2e_ms'].get('p50'))} / {_v(sends['e2e_ms'].get('p99'))} |",
             f"| deliveries / expected | {sends['deliveries']} / {sends['expected_deliveries']} |",
             f"| app CPU % / database CPU %, send phase | {_v(send_cpu.get('server_cpu_pct'))} / "
             f"{_v(send_cpu.get('db_cpu_pct'))} |",
             f"| app CPU s / database CPU s until drained ({_v(drained.get('wall_s'))} s) | "
             f"{_v(drained.get('server_cpu_s'))} / {_v(drained.get('db_cpu_s'))} |",
             f"| database commands per message (probe of {probe.get('messages')}) | {_v(probe.get('per_message'))} "
             f"{json.dumps(probe.get('by_command'))} |",
             f"| new connections after: connected / attempted | {connects['connected']} / {connects['attempted']} "
             f"{json.dumps(connects['errors']) if connects['errors'] else ''} |",
             f"| new connections: connect p50 / p99 ms, all done s | {_v(connects['connect_ms'].get('p50'))} / "
             f"{_v(connects['connect_ms'].get('p99'))}, {_v(connects['all_done_s'])} |"]
    p99 = sends["ack_ms"].get("p99")
    whole = (sends["ack_errors"] == 0 and sends["unacked"] == 0 and sends["lost"] == 0
             and sends["deliveries"] >= sends["expected_deliveries"])
    checks.append((f"away group of {params['members']} at {params['rate']} msgs/s: nothing lost, ack p99 ≤ 50 ms",
                   whole and p99 is not None and p99 <= 50,
                   f"{sends['ack_errors']} acks failed, {sends['deliveries']}/{sends['expected_deliveries']} "
                   f"delivered, ack p99 {_v(p99)} ms"))
    checks.append((f"away group: {connects['attempted']} new connections after the messages all connect",
                   connects["failed"] == 0, f"{connects['connected']}/{connects['attempted']}"))


def _chats(rows, checks, real, variant):
    """Issue 27 item 3: a personal send as the store's chats grow, and saturation at the largest size."""
    m = real["metrics"]
    rows += ["| chats in the store | socket ack p50 / p99 ms | REST send p50 / p99 ms |", "|---|---|---|"]
    for point in m["points"]:
        a, r = point["socket_ack_ms"], point["rest_send_ms"]
        rows.append(f"| {point['chats']:,} | {_v(a['p50'])} / {_v(a['p99'])} | {_v(r['p50'])} / {_v(r['p99'])} |")
    sat = m["saturation"]
    rows += ["", f"- saturation at {sat['chats']:,} chats: {_v(sat['deliveries_per_s'])} personal messages/s "
                 f"(app CPU {_v(sat.get('server_cpu_pct'))} %, database CPU {_v(sat.get('db_cpu_pct'))} %, "
                 f"e2e p99 {_v(_get(sat, 'e2e_ms', 'p99'))} ms)"]
    small, big = m["points"][0]["chats"], m["points"][-1]["chats"]
    worst = max(m["ratio_p50_largest_vs_smallest"].values())
    checks.append((f"a send at {big:,} chats ≤ 1.5× its p50 at {small:,} ({variant})", worst <= 1.5,
                   f"socket {m['ratio_p50_largest_vs_smallest']['socket_ack_ms']}×, "
                   f"REST {m['ratio_p50_largest_vs_smallest']['rest_send_ms']}×"))
    rate = sat["deliveries_per_s"]
    checks.append((f"saturation at {sat['chats']:,} chats ≥ 100 personal messages/s ({variant})",
                   rate is not None and rate >= 100, f"{_v(rate)} msgs/s"))


ISSUE_27 = {"keepalive": _keepalive, "away": _away, "chats": _chats}
