"""Borderline submissions: honest but weak models whose held-out score sits near a bound, to
check that their mark does not swing between all and nothing from one secret draw to the next
(tests/test_heldout.py, benchmarks/calibrate_heldout.py --borderline)."""
