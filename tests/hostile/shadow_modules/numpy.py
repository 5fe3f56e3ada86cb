raise ImportError("a student's numpy.py shadowed the real numpy")
