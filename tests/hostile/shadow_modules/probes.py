raise ImportError("a student's probes.py shadowed the grader's probes")
