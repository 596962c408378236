"""The run's figures as one Markdown table per scenario, each with its ratio to the baselines, and
the issue's targets marked met or not.

    python -m bench.summary bench/results/*.json     # re-summarise saved results (the newest of each name)
"""
import json
import sys
from collections import defaultdict

NAMES = {"real": "real", "bare_python": "bare python-socketio", "bare_node": "bare Node socket.io"}


def _ratio(a, b):
    return f"{a / b:.2f}×" if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b else "–"


def _v(value):
    return "–" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


def _table(rows, by_target, figures, baselines=("bare_python", "bare_node")):
    present = [t for t in ("real", *baselines) if t in by_target]
    head = ["figure", *[NAMES[t] for t in present], *[f"real / {NAMES[t]}" for t in present[1:]]]
    rows.append("| " + " | ".join(head) + " |")
    rows.append("|" + "---|" * len(head))
    for label, path in figures:
        values = [_get(by_target[t], *path) for t in present]
        ratios = [_ratio(values[0], v) for v in values[1:]]
        rows.append("| " + " | ".join([label, *map(_v, values), *ratios]) + " |")


def _losses(record):
    phases = [p for p in _walk(record.get("metrics", {}))]
    return sum((p.get("lost", 0) or 0) + (p.get("duplicated", 0) or 0) + (p.get("unacked", 0) or 0) for p in phases)


def _walk(metrics):
    if isinstance(metrics, dict):
        if "lost" in metrics:
            yield metrics
        for value in metrics.values():
            yield from _walk(value)


def summarise(records, context=None):
    context = context or {}
    groups = defaultdict(dict)
    for r in records:
        if r.get("target") != "error":
            groups[(r["scenario"], r.get("variant"))][r["target"]] = r
    rows = ["# Benchmark summary", ""]
    if context:
        rows += [f"- machine: {json.dumps(context.get('machine'))}",
                 f"- versions: {json.dumps(context.get('versions'))}",
                 f"- quick: {context.get('quick')}; sizes: {json.dumps(context.get('sizes'))}",
                 f"- time per scenario (s): {json.dumps(context.get('timings_s'))}; "
                 f"total {context.get('total_s')} s", ""]
    checks = []
    for (scenario, variant), by_target in sorted(groups.items(), key=lambda kv: (kv[0][0], str(kv[0][1]))):
        rows += [f"## {scenario} {variant or ''}".rstrip(), ""]
        real = by_target.get("real") or by_target.get("cluster")
        if scenario == "delivery":
            figures = [("saturation: delivered msgs/s", ("metrics", "saturation", "deliveries_per_s")),
                       ("saturation: deliveries per server CPU-second", ("metrics", "saturation",
                                                                          "deliveries_per_server_cpu_s")),
                       ("saturation: e2e p99 ms", ("metrics", "saturation", "e2e_ms", "p99")),
                       ("saturation: server CPU %", ("metrics", "saturation", "server_cpu_pct")),
                       ("saturation: database process CPU %", ("metrics", "saturation", "db_cpu_pct")),
                       ("saturation: app CPU µs per delivery", ("metrics", "saturation", "app_cpu_us_per_delivery")),
                       ("saturation: database CPU µs per delivery", ("metrics", "saturation",
                                                                     "db_cpu_us_per_delivery")),
                       ("saturation: load generator CPU %", ("metrics", "saturation", "loader_cpu_pct")),
                       ("half: rate msgs/s", ("metrics", "half", "rate")),
                       ("half: ack p50 ms", ("metrics", "half", "ack_ms", "p50")),
                       ("half: ack p99 ms", ("metrics", "half", "ack_ms", "p99")),
                       ("half: e2e p50 ms", ("metrics", "half", "e2e_ms", "p50")),
                       ("half: e2e p90 ms", ("metrics", "half", "e2e_ms", "p90")),
                       ("half: e2e p99 ms", ("metrics", "half", "e2e_ms", "p99")),
                       ("half: e2e max ms", ("metrics", "half", "e2e_ms", "max")),
                       ("half: load generator CPU %", ("metrics", "half", "loader_cpu_pct")),
                       ("half: app CPU µs per delivery", ("metrics", "half", "app_cpu_us_per_delivery")),
                       ("half: database CPU µs per delivery", ("metrics", "half", "db_cpu_us_per_delivery")),
                       ("light (1 msg/s): e2e p50 ms", ("metrics", "light", "e2e_ms", "p50")),
                       ("light (1 msg/s): e2e p99 ms", ("metrics", "light", "e2e_ms", "p99")),
                       ("light (1 msg/s): e2e max ms", ("metrics", "light", "e2e_ms", "max")),
                       ("server RSS KiB at end", ("server_rss_kib",))]
            _table(rows, by_target, figures)
            if real and "bare_python" in by_target:
                # Issue 21: the app process's CPU per delivered message (the database's is apart), at the
                # same absolute rate (half the real server's saturation), so neither side is past its knee.
                r = _get(real, "metrics", "half", "app_cpu_us_per_delivery")
                p = _get(by_target["bare_python"], "metrics", "half", "app_cpu_us_per_delivery")
                checks.append((f"1:1 app CPU per delivery ≤ 1.6 × bare python-socketio, at half ({variant})",
                               bool(r and p and r / p <= 1.6), _ratio(r, p)))
            if real and not str(variant).startswith("deflate"):
                p99 = _get(real, "metrics", "half", "e2e_ms", "p99")
                rate = _get(real, "metrics", "half", "rate")
                checks.append((f"p99 e2e ≤ 25 ms at half saturation, ≥ 100 msgs/s ({variant})",
                               p99 is not None and p99 <= 25 and (rate or 0) >= 100,
                               f"{_v(p99)} ms at {_v(rate)} msgs/s"))
                light = _get(real, "metrics", "light", "e2e_ms", "p99")
                if light is not None:
                    checks.append((f"p99 e2e ≤ 10 ms at 1 msg/s with {real['params']['connections']} idle clients",
                                   light <= 10, f"{_v(light)} ms"))
        elif scenario == "fanout":
            figures = [("saturation: deliveries/s", ("metrics", "saturation", "deliveries_per_s")),
                       ("saturation: deliveries per server CPU-second", ("metrics", "saturation",
                                                                          "deliveries_per_server_cpu_s")),
                       ("saturation: messages/s", ("metrics", "saturation", "msgs_per_s")),
                       ("saturation: per-member e2e p99 ms", ("metrics", "saturation", "e2e_ms", "p99")),
                       ("saturation: load generator CPU %", ("metrics", "saturation", "loader_cpu_pct")),
                       ("saturation: server CPU %", ("metrics", "saturation", "server_cpu_pct")),
                       ("saturation: database process CPU %", ("metrics", "saturation", "db_cpu_pct")),
                       ("saturation: app CPU µs per delivery", ("metrics", "saturation", "app_cpu_us_per_delivery")),
                       ("saturation: database CPU µs per delivery", ("metrics", "saturation",
                                                                     "db_cpu_us_per_delivery")),
                       ("half: messages/s", ("metrics", "half", "rate")),
                       ("half: app CPU µs per delivery", ("metrics", "half", "app_cpu_us_per_delivery")),
                       ("half: per-member e2e p50 ms", ("metrics", "half", "e2e_ms", "p50")),
                       ("half: per-member e2e p90 ms", ("metrics", "half", "e2e_ms", "p90")),
                       ("half: per-member e2e p99 ms", ("metrics", "half", "e2e_ms", "p99")),
                       ("half: per-member e2e max ms", ("metrics", "half", "e2e_ms", "max"))]
            _table(rows, by_target, figures)
            if real and "bare_node" in by_target:
                ra = _get(real, "metrics", "saturation", "app_cpu_us_per_delivery")
                na = _get(by_target["bare_node"], "metrics", "saturation", "app_cpu_us_per_delivery")
                checks.append((f"fan-out app CPU per delivery ≤ 3 × bare Node ({variant})",
                               bool(ra and na and ra / na <= 3), _ratio(ra, na)))
        elif scenario == "capacity":
            points = [c.get("attempted", c["connections"]) for c in _get(real or {}, "metrics", "checkpoints") or []]
            figures = []
            for i, n in enumerate(points):
                figures += [(f"{n} connections: held", ("metrics", "checkpoints", i, "connections")),
                            (f"{n} connections: KiB per connection",
                             ("metrics", "checkpoints", i, "kib_per_connection")),
                            (f"{n} connections: server RSS KiB", ("metrics", "checkpoints", i, "rss_kib")),
                            (f"{n} connections: connects/s", ("metrics", "checkpoints", i, "connects_per_s"))]
            _table(rows, by_target, figures)
            if real and points:
                last = real["metrics"]["checkpoints"][-1]
                per = last["kib_per_connection"]
                checks.append((f"memory per idle authenticated connection ≤ 80 KiB ({variant})",
                               per is not None and per <= 80,
                               f"{_v(per)} KiB at {last['connections']} connections"))
        elif scenario == "storm":
            figures = [("all have user-id and both lists, s", ("metrics", "all_done_s")),
                       ("per client: lists p50 ms", ("metrics", "lists_ms", "p50")),
                       ("per client: lists p99 ms", ("metrics", "lists_ms", "p99")),
                       ("connected", ("metrics", "connected")), ("complete", ("metrics", "complete")),
                       ("SYNs dropped (ListenOverflows)", ("metrics", "listen_overflows")),
                       ("server CPU s", ("metrics", "server_cpu_s")),
                       ("load generator CPU s", ("metrics", "loader_cpu_s"))]
            _table(rows, by_target, figures)
            if real and "bare_python" in by_target:
                r = _get(real, "metrics", "all_done_s")
                p = _get(by_target["bare_python"], "metrics", "all_done_s")
                complete = _get(real, "metrics", "complete") == _get(real, "params", "clients")
                checks.append((f"connect storm completes in ≤ 2 × bare python-socketio's time ({variant})",
                               bool(r and p and complete and r / p <= 2), f"{_ratio(r, p)} ({_v(r)} s vs {_v(p)} s)"))
        elif scenario == "history":
            rows += ["| messages in chat | newest page p50 ms | 100 back p50 ms | oldest page p50 ms | one send p50 ms"
                     " | one send with ClientId p50 ms |", "|---|---|---|---|---|---|"]
            for p in real["metrics"]["pages"]:
                rows.append(f"| {p['messages_in_chat']} | {p['page_newest']['p50_ms']} | {p['page_100_back']['p50_ms']}"
                            f" | {p['page_oldest']['p50_ms']} | {p['send']['p50_ms']}"
                            f" | {_v(_get(p, 'send_client_id', 'p50_ms'))} |")
            pages = real["metrics"]["pages"]
            if len(pages) > 1:
                small, big = pages[0], pages[-1]
                worst = max(big[k]["p50_ms"] / small[k]["p50_ms"] for k in ("page_newest", "page_oldest", "send"))
                checks.append((f"history at {big['messages_in_chat']:,} messages costs the same as at "
                               f"{small['messages_in_chat']:,} (every p50 ≤ 1.5×)", worst <= 1.5,
                               f"worst {worst:.2f}×"))
        elif scenario == "login":
            m = real["metrics"]
            tags = m["messages"].get("e2e_ms_by_tag", {})
            burst, quiet, during = m["burst_s"] or {}, tags.get("quiet", {}), tags.get("burst", {})
            rows += ["| figure | value |", "|---|---|",
                     f"| logins/s (bursts of {real['params']['burst']}, production argon2) | {_v(m['logins_per_s'])} |",
                     f"| one burst, s (min–max) | {_v(burst.get('min'))}–{_v(burst.get('max'))} |",
                     f"| others' e2e p50 / p99 ms, quiet | {_v(quiet.get('p50'))} / {_v(quiet.get('p99'))} |",
                     f"| others' e2e p50 / p99 ms, during bursts | {_v(during.get('p50'))} / {_v(during.get('p99'))} |",
                     f"| p99 burst / quiet | {_v(m['p99_ratio_burst_vs_quiet'])} |",
                     f"| server CPU % / load generator CPU % | {_v(m['messages'].get('server_cpu_pct'))} / "
                     f"{_v(m['messages'].get('loader_cpu_pct'))} |"]
            ratio = m["p99_ratio_burst_vs_quiet"]
            checks.append((f"a burst of {real['params']['burst']} logins raises others' p99 by ≤ 1.5×",
                           ratio is not None and ratio <= 1.5, f"{_v(ratio)}×"))
        elif scenario == "scaleout":
            for target, record in by_target.items():
                for phase, result in record["metrics"].items():
                    if not isinstance(result, dict):
                        continue
                    by_kind = result.get("e2e_ms_by_tag")
                    rows.append(f"- {target} {variant} {phase}: rate {result.get('rate')} msgs/s, "
                                f"e2e {json.dumps(result.get('e2e_ms'))}"
                                + (f", by kind {json.dumps(by_kind)}" if by_kind else ""))
                if "p99_ratio_cross_vs_same" in record["metrics"]:
                    rows.append(f"- p99 cross-instance / same-instance: {record['metrics']['p99_ratio_cross_vs_same']}")
        elif scenario == "commands":
            m = real["metrics"]
            rows += ["| operation | commands each | by command |", "|---|---|---|"]
            rows += [f"| {name} | {_v(m[name]['total'])} | {json.dumps(m[name]['by_command'])} |"
                     for name in ("connect", "open_chat", "send_online", "send_away") if name in m]
        elif scenario in ("keepalive", "away", "chats"):
            from .summary27 import ISSUE_27  # issue 27's scenarios (it imports this module's helpers)
            ISSUE_27[scenario](rows, checks, real, variant)
        elif scenario == "sync":  # issue 30: a catch-up with 10 changes, by chat length
            rows += ["| messages in chat | state | REST p50 / p95 ms | service p50 / p95 ms |", "|---|---|---|---|"]
            for s in real["metrics"]["syncs"]:
                rows += [f"| {s['messages_in_chat']} | {state} | {t['rest']['p50_ms']} / {t['rest']['p95_ms']} | "
                         f"{t['service']['p50_ms']} / {t['service']['p95_ms']} |"
                         for state, t in (("fresh", s["fresh"]), ("settled", s["settled"]))]
            small, big = real["metrics"]["syncs"][0], real["metrics"]["syncs"][-1]
            worst = max(big[st]["rest"]["p50_ms"] / small[st]["rest"]["p50_ms"] for st in ("fresh", "settled"))
            checks.append((f"a sync of 10 changes at {big['messages_in_chat']:,} messages costs the same as at "
                           f"{small['messages_in_chat']:,} (REST p50 ≤ 1.5×)", worst <= 1.5, f"worst {worst:.2f}×"))
        elif scenario == "gc":
            line = real["metrics"]["light"]
            report = line.get("gc_report") or {}
            rows += [f"- {variant}: {line['connections']} connections, 1 msg/s: e2e {json.dumps(line['light_e2e_ms'])}",
                     f"- {variant}: pauses per generation {json.dumps(report.get('generations'))}"]
            if variant == "shipped":
                p99 = _get(line, "light_e2e_ms", "p99")
                checks.append((f"p99 e2e ≤ 10 ms at 1 msg/s with {line['connections']} idle connections (as shipped)",
                               p99 is not None and p99 <= 10, f"{_v(p99)} ms"))
        rows.append("")
    _deflate(rows, groups)
    if ("scaleout", "mixed") in groups and ("scaleout", "noredis") in groups:
        two = groups[("scaleout", "mixed")]["cluster"]["metrics"]["mixed"]
        one = groups[("scaleout", "noredis")]["real"]["metrics"]["single"]
        a, b = two.get("deliveries_per_server_cpu_s"), one.get("deliveries_per_server_cpu_s")
        checks.append(("two processes with Redis: deliveries per app CPU-second ≥ 0.85 × one process's",
                       bool(a and b and a / b >= 0.85), f"{_ratio(a, b)} ({_v(a)} vs {_v(b)})"))
        p99 = _get(two, "e2e_ms", "p99")
        checks.append((f"two processes with Redis: p99 e2e ≤ 25 ms at {_v(two.get('rate'))} msgs/s",
                       p99 is not None and p99 <= 25, f"{_v(p99)} ms"))
    losses = [(f"{r['scenario']}-{r['target']}-{r.get('variant')}", _losses(r)) for r in records if "metrics" in r]
    checks.insert(0, ("zero lost / duplicated / unacked messages", all(n == 0 for _, n in losses),
                      ", ".join(f"{name}: {n}" for name, n in losses if n) or "none"))
    errors = [r for r in records if r.get("target") == "error"]
    rows += ["## Targets", "", "| target | met | measured |", "|---|---|---|"]
    rows += [f"| {label} | {'yes' if ok else 'NO'} | {value} |" for label, ok, value in checks]
    rows += [f"| scenario {r['scenario']} | FAILED | {_one_line(r['error'])} |" for r in errors]
    return "\n".join(rows) + "\n"


def _one_line(text):
    """The last non-empty line of an error (a traceback's last line says what failed), for a table cell."""
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    return (lines[-1] if lines else "").replace("|", "/")


def _deflate(rows, groups):
    """The real server with WS_COMPRESSION false and true (the `deflate` scenario), side by side."""
    figures = [("delivery", "1:1 saturation: delivered msgs/s", ("metrics", "saturation", "deliveries_per_s")),
               ("delivery", "1:1 saturation: app CPU µs per delivery", ("metrics", "saturation",
                                                                        "app_cpu_us_per_delivery")),
               ("delivery", "1:1 half: app CPU µs per delivery", ("metrics", "half", "app_cpu_us_per_delivery")),
               ("delivery", "1:1: server RSS KiB at end", ("server_rss_kib",)),
               ("fanout", "fan-out saturation: deliveries/s", ("metrics", "saturation", "deliveries_per_s")),
               ("fanout", "fan-out saturation: app CPU µs per delivery", ("metrics", "saturation",
                                                                          "app_cpu_us_per_delivery")),
               ("fanout", "fan-out: server RSS KiB at end", ("server_rss_kib",))]
    found = [(scenario, label, path, groups.get((scenario, "deflate-false"), {}).get("real"),
              groups.get((scenario, "deflate-true"), {}).get("real")) for scenario, label, path in figures]
    if not any(off and on for *_, off, on in found):
        return
    rows += ["## permessage-deflate (real server, browser clients)", "",
             "| figure | WS_COMPRESSION=false | WS_COMPRESSION=true | true / false |", "|---|---|---|---|"]
    for _scenario, label, path, off, on in found:
        if off and on:
            a, b = _get(off, *path), _get(on, *path)
            rows.append(f"| {label} | {_v(a)} | {_v(b)} | {_ratio(b, a)} |")
    rows.append("")


def _get_indexed(record, *path):
    for key in path:
        if isinstance(key, int):
            if not isinstance(record, list) or key >= len(record):
                return None
            record = record[key]
        elif not isinstance(record, dict) or key not in record:
            return None
        else:
            record = record[key]
    return record


_get = _get_indexed


if __name__ == "__main__":
    newest = {}
    for path in sorted(sys.argv[1:]):
        record = json.loads(open(path).read())
        newest[record["name"]] = record
    print(summarise(list(newest.values())))
