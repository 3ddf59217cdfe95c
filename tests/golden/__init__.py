"""Golden REST comparison of kconnect against Apache's Java Kafka Connect 4.3 (ConnectStandalone).

* scenario.py       ONE scripted REST scenario (data) covering every endpoint, happy and error paths
* normalise.py      removes only what must differ (timestamps, worker ids, versions, paths, ...)
* differences.py    the table of DELIBERATE differences, each with its reason
* runner.py         runs the scenario against a worker, normalises, compares (one report for all steps)
* record.py         ``python -m tests.golden.record``: rewrites java_responses.json from a live Java worker
* java_responses.json  Java's normalised responses (committed, so the kconnect side runs without Java)

The test is tests/integration/test_rest_golden.py.
"""
