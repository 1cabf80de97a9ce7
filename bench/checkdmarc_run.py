"""Times checkdmarc 6.0.4 on one domain against a DNS server on 127.0.0.1:PORT.

Usage: checkdmarc_run.py PORT DOMAIN RUNS. Prints JSON with the median and
every run in seconds (imports excluded). Run inside the network namespace
(bench/checkdmarc.sh): checkdmarc's MTA-STS and BIMI fetches use the system
resolver whatever nameservers are passed.
"""
import json
import sys
import time

import checkdmarc
import dns.nameserver

port, domain, runs = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
nameservers = [dns.nameserver.Do53Nameserver("127.0.0.1", port=port)]
times = []
result = None
for _ in range(runs):
    started = time.perf_counter()
    result = checkdmarc.check_domains([domain], nameservers=nameservers, timeout=2.0)
    times.append(time.perf_counter() - started)
print(json.dumps({"median_s": sorted(times)[len(times) // 2], "runs_s": times,
                  "sections": sorted(k for k in dict(result) if k != "domain")}))
